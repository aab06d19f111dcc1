using System.Globalization;
using System.Text;
using PeerTyped.Contracts;
using PeerTyped.Runtime;

namespace PeerTyped.Client;

/// <summary>
/// The one write path. Update, create, restore and the cycle counter all run the same steps — read, compute, the
/// rules of <see cref="PeerWriteRules"/>, log, compare-and-set (<see cref="ApplyAtBaseAsync"/>), re-read and re-apply on
/// conflict until the retry deadline — in direct mode in this process, in gate mode with the compare-and-set done by
/// the gate after it ran the rules with the role it took from the request's subject.
/// </summary>
public sealed partial class PeerStateStore
{
    /// <summary>Creates <paramref name="key"/> with <paramref name="document"/>; fails if the key exists.</summary>
    public Task<PeerWriteResult> CreateAsync(string key, PeerCycle document, string? role = PeerCycleRoles.Orchestrator, CancellationToken cancellationToken = default) =>
        CreateJsonAsync(key, document.ToUtf8Bytes(), role, cancellationToken);

    /// <summary>Creates <paramref name="key"/> from raw JSON, after the same validation as every write.</summary>
    public Task<PeerWriteResult> CreateJsonAsync(string key, ReadOnlyMemory<byte> json, string? role = PeerCycleRoles.Orchestrator, CancellationToken cancellationToken = default) =>
        TrackAsync("create", key, role, telemetry => CreateJsonCoreAsync(key, json, role, telemetry, cancellationToken));

    private async Task<PeerWriteResult> CreateJsonCoreAsync(string key, ReadOnlyMemory<byte> json, string? role, WriteTelemetry telemetry, CancellationToken cancellationToken)
    {
        PeerKey.Parse(key);
        PeerWriteRules.CheckRole(role);
        var gate = await UseGateAsync(cancellationToken).ConfigureAwait(false);
        if (gate) role = GateRole(role);
        await OpenAsync(cancellationToken).ConfigureAwait(false);
        var bytes = PeerWriteRules.PlanCreate(key, role, json, SizeLimit);
        telemetry.Attempt(1, 0);
        LogWrite(key, 0, bytes, [new JsonChange(string.Empty, null, "(new document)")], 1);
        if (Options.DryRun)
        {
            if (await LatestAsync(key, cancellationToken).ConfigureAwait(false) is { Entry.Operation: PeerOperation.Put }) throw new PeerAlreadyExistsException(key);
            LogDryRun(key, 0);
            return new PeerWriteResult(key, 0, true, [new JsonChange(string.Empty, null, Encoding.UTF8.GetString(bytes))], 1);
        }
        var attemptId = NewAttemptId();
        var outcome = gate
            ? await GateWriteAsync(PeerGateProtocol.Create, role!, key, 0, bytes, attemptId, cancellationToken).ConfigureAwait(false)
            : await CreateCoreAsync(key, bytes, attemptId, NewBudget(), cancellationToken).ConfigureAwait(false);
        if (!outcome.Written) throw new PeerAlreadyExistsException(key);
        LogWritten(key, outcome.Revision, 1);
        return new PeerWriteResult(key, outcome.Revision, true, [new JsonChange(string.Empty, null, Encoding.UTF8.GetString(bytes))], 1);
    }

    /// <summary>Creates the key unless it holds a document; a delete or purge marker left by another tool is written over.</summary>
    internal async Task<CasOutcome> CreateCoreAsync(string key, byte[] bytes, string attemptId, RetryBudget budget, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var latest = await LatestAsync(key, cancellationToken).ConfigureAwait(false);
            if (latest is { Entry.Operation: PeerOperation.Put })
            {
                return latest.AttemptId == attemptId ? CasOutcome.Stored(latest.Entry.Revision) : CasOutcome.Conflict(latest.Entry.Revision);
            }
            var outcome = await ApplyAtBaseAsync(key, bytes, latest?.Entry.Revision ?? 0, attemptId, budget, cancellationToken).ConfigureAwait(false);
            if (outcome.Written || !await budget.WaitAsync(attempt, cancellationToken).ConfigureAwait(false)) return outcome;
        }
    }

    /// <summary>Changes the document as <typeparamref name="TView"/>'s role: only what that role owns can be changed.</summary>
    public Task<PeerWriteResult> UpdateAsync<TView>(string key, Func<TView, TView> change, CancellationToken cancellationToken = default)
        where TView : IRoleView<TView, PeerCycle> =>
        UpdateAsync(key, TView.RoleName, document => change(TView.Over(document)).Document, cancellationToken);

    /// <summary>Changes the typed document as <paramref name="role"/> (null: metadata plus at most one section).</summary>
    public Task<PeerWriteResult> UpdateAsync(string key, string? role, Func<PeerCycle, PeerCycle> change, CancellationToken cancellationToken = default) =>
        CommitAsync(key, role, (current, _) =>
        {
            if (current.Document is null) throw current.Invalid!;
            return ValueTask.FromResult(new Proposal(change(current.Document), null));
        }, cancellationToken);

    /// <summary>
    /// Changes the document with an untyped transform (a jq filter, a merge patch) that turns the current JSON into the
    /// new JSON. The result passes the same validation, ownership and compare-and-set gate as a typed change.
    /// </summary>
    public Task<PeerWriteResult> UpdateJsonAsync(string key, string? role, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask<byte[]>> transform, CancellationToken cancellationToken = default) =>
        CommitAsync(key, role, async (current, ct) =>
        {
            if (current.Document is null && role != PeerCycle.Superuser) throw current.Invalid!;
            return new Proposal(null, await transform(current.Json, ct).ConfigureAwait(false));
        }, cancellationToken);

    private Task<PeerWriteResult> CommitAsync(string key, string? role, Func<Current, CancellationToken, ValueTask<Proposal>> compute, CancellationToken cancellationToken) =>
        TrackAsync("update", key, role, telemetry => CommitCoreAsync(key, role, compute, telemetry, cancellationToken));

    private async Task<PeerWriteResult> CommitCoreAsync(string key, string? role, Func<Current, CancellationToken, ValueTask<Proposal>> compute, WriteTelemetry telemetry, CancellationToken cancellationToken)
    {
        PeerKey.Parse(key);
        PeerWriteRules.CheckRole(role);
        var gate = await UseGateAsync(cancellationToken).ConfigureAwait(false);
        if (gate) role = GateRole(role);
        var budget = NewBudget();
        await RetryTimedOutReadAsync(() => OpenAsync(cancellationToken).AsTask(), budget, cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var entry = await RetryTimedOutReadAsync(() => ReadRawAsync(key, 0, cancellationToken), budget, cancellationToken).ConfigureAwait(false);
            telemetry.Attempt(attempt, entry.Revision);
            LogRead(key, entry.Revision, attempt);
            var current = LoadRemembered(entry);
            var proposed = await compute(current, cancellationToken).ConfigureAwait(false);
            // Through the gate a typed change is checked there (the gate cannot trust its callers): not here as well.
            var plan = gate && !Options.DryRun && proposed.Typed is { } typed
                ? PeerWriteRules.PlanForGate(role, current, typed)
                : PeerWriteRules.PlanUpdate(key, role, current, proposed, SizeLimit);
            if (plan.Next is null)
            {
                LogUnchanged(key, entry.Revision);
                return new PeerWriteResult(key, entry.Revision, false, plan.Changes, attempt);
            }
            LogWrite(key, entry.Revision, plan.Next, plan.Changes, attempt);
            if (Options.DryRun)
            {
                LogDryRun(key, entry.Revision);
                return new PeerWriteResult(key, entry.Revision, true, plan.Changes, attempt);
            }
            var attemptId = NewAttemptId();
            var outcome = gate
                ? await GateWriteAsync(PeerGateProtocol.Update, role!, key, entry.Revision, plan.Next, attemptId, cancellationToken).ConfigureAwait(false)
                : await ApplyAtBaseAsync(key, plan.Next, entry.Revision, attemptId, budget, cancellationToken).ConfigureAwait(false);
            if (outcome.Written)
            {
                LogWritten(key, outcome.Revision, attempt);
                if (plan.Document is { } written) _remembered = new RememberedDocument(key, plan.Next, new Current(plan.Next, written, null));
                return new PeerWriteResult(key, outcome.Revision, true, plan.Changes, attempt);
            }
            if (outcome.Unchanged)
            {
                LogUnchanged(key, outcome.Revision);
                return new PeerWriteResult(key, outcome.Revision, false, [], attempt);
            }
            LogConflict(key, entry.Revision, attempt);
            telemetry.Conflict(outcome.Revision);
            if (!await budget.WaitAsync(attempt, cancellationToken).ConfigureAwait(false)) throw new PeerConflictException(key, attempt, outcome.Revision, budget.ToString());
            telemetry.Retry();
        }
    }

    /// <summary>The last document this store validated and parsed for a write, with the exact bytes it was read from.</summary>
    private sealed record RememberedDocument(string Key, ReadOnlyMemory<byte> Bytes, Current Current);

    private volatile RememberedDocument? _remembered;

    /// <summary>
    /// <see cref="PeerWriteRules.Load"/>, skipped when the stored bytes are exactly the ones this store last validated
    /// and parsed (its own last write, typically, when one process updates a key again and again): the same bytes give
    /// the same verdict and the same document, which is immutable.
    /// </summary>
    private Current LoadRemembered(PeerRawEntry entry)
    {
        if (entry.Operation == PeerOperation.Put && _remembered is { } remembered && remembered.Key == entry.Key && entry.Value.Span.SequenceEqual(remembered.Bytes.Span))
        {
            return remembered.Current;
        }
        var current = PeerWriteRules.Load(entry);
        if (current.Document is not null && current.Stored is null) _remembered = new RememberedDocument(entry.Key, entry.Value, current);
        return current;
    }

    /// <summary>
    /// A read that a write (or the gate's start) depends on and that went unanswered — a timed-out request under load,
    /// not a refusal — is tried again within <paramref name="budget"/>: nothing has been sent yet, so trying again cannot
    /// change what the write means.
    /// </summary>
    internal static async Task<T> RetryTimedOutReadAsync<T>(Func<Task<T>> read, RetryBudget budget, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await read().ConfigureAwait(false);
            }
            catch (PeerUnavailableException ex) when (ex.TimedOut && !cancellationToken.IsCancellationRequested)
            {
                if (!await budget.WaitAsync(attempt, cancellationToken).ConfigureAwait(false)) throw;
            }
        }
    }

    /// <inheritdoc cref="RetryTimedOutReadAsync{T}"/>
    internal static Task RetryTimedOutReadAsync(Func<Task> read, RetryBudget budget, CancellationToken cancellationToken) =>
        RetryTimedOutReadAsync(async () => { await read().ConfigureAwait(false); return true; }, budget, cancellationToken);

    /// <summary>
    /// Operator recovery: writes the exact bytes of <paramref name="revision"/> as a new revision, by compare-and-set
    /// against the latest. A target that is not schema-valid is refused unless <paramref name="force"/>; an empty one always.
    /// </summary>
    public Task<PeerWriteResult> RestoreAsync(string key, ulong revision, string role, bool force = false, CancellationToken cancellationToken = default) =>
        TrackAsync("restore", key, role, telemetry => RestoreCoreAsync(key, revision, role, force, telemetry, cancellationToken));

    private async Task<PeerWriteResult> RestoreCoreAsync(string key, ulong revision, string role, bool force, WriteTelemetry telemetry, CancellationToken cancellationToken)
    {
        PeerKey.Parse(key);
        PeerWriteRules.CheckRole(role);
        if (!Options.DryRun && await UseGateAsync(cancellationToken).ConfigureAwait(false))
        {
            role = GateRole(role);
            var reply = await GateRequestAsync(PeerGateProtocol.Restore, role, key, PeerGateProtocol.RestoreHeaders(Options.Bucket, key, revision, force), [], cancellationToken).ConfigureAwait(false);
            return new PeerWriteResult(key, reply.Revision, true, [], 1);
        }
        var target = await ReadRawAsync(key, revision, cancellationToken).ConfigureAwait(false);
        var bytes = PeerWriteRules.PlanRestore(key, role, target, force);
        var budget = NewBudget();
        for (var attempt = 1; ; attempt++)
        {
            // The latest revision may be a delete marker left by another tool; the stream sees it where a KV get does not.
            var latest = await LatestAsync(key, cancellationToken).ConfigureAwait(false) ?? throw new PeerNotFoundException($"{key}: not found in bucket {Options.Bucket}");
            telemetry.Attempt(attempt, latest.Entry.Revision);
            JsonChange[] changes = [new JsonChange(string.Empty, $"(revision {latest.Entry.Revision})", $"(revision {revision})")];
            LogWrite(key, latest.Entry.Revision, bytes, changes, attempt);
            if (Options.DryRun)
            {
                LogDryRun(key, latest.Entry.Revision);
                return new PeerWriteResult(key, latest.Entry.Revision, true, changes, attempt);
            }
            var outcome = await ApplyAtBaseAsync(key, bytes, latest.Entry.Revision, NewAttemptId(), budget, cancellationToken).ConfigureAwait(false);
            if (outcome.Written)
            {
                LogWritten(key, outcome.Revision, attempt);
                return new PeerWriteResult(key, outcome.Revision, true, [], attempt);
            }
            LogConflict(key, latest.Entry.Revision, attempt);
            telemetry.Conflict(outcome.Revision);
            if (!await budget.WaitAsync(attempt, cancellationToken).ConfigureAwait(false)) throw new PeerConflictException(key, attempt, outcome.Revision, budget.ToString());
            telemetry.Retry();
        }
    }

    /// <summary>
    /// Atomically allocates the next cycle number for <paramref name="prefix"/>: the counter key
    /// <c>&lt;prefix&gt;.cycle.current</c> is written by the same compare-and-set strategy as every document.
    /// </summary>
    public Task<int> NextCycleNumberAsync(string prefix, CancellationToken cancellationToken = default) =>
        TrackAsync("cycle_next", PeerKey.CounterKey(prefix), null, telemetry => NextCycleNumberCoreAsync(prefix, telemetry, cancellationToken), number => (0UL, true, 1));

    private async Task<int> NextCycleNumberCoreAsync(string prefix, WriteTelemetry telemetry, CancellationToken cancellationToken)
    {
        var counterKey = PeerKey.CounterKey(prefix);
        if (Options.DryRun)
        {
            // What the loop below would compute on its first attempt, without the compare-and-set that allocates it.
            await OpenAsync(cancellationToken).ConfigureAwait(false);
            var existing = await HighestExistingCycleAsync(await StoreAsync(cancellationToken).ConfigureAwait(false), prefix, cancellationToken).ConfigureAwait(false);
            var counter = await LatestAsync(counterKey, cancellationToken).ConfigureAwait(false);
            var number = CycleCounter.Next(counter is { Entry.Operation: PeerOperation.Put } ? CycleCounter.Parse(counterKey, counter.Entry.Value.Span) : null, existing);
            LogDryRun(counterKey, counter?.Entry.Revision ?? 0);
            return number;
        }
        if (await UseGateAsync(cancellationToken).ConfigureAwait(false))
        {
            var reply = await GateRequestAsync(PeerGateProtocol.CycleNext, GateRole(null, fallback: PeerCycleRoles.Orchestrator), counterKey, PeerGateProtocol.CycleHeaders(Options.Bucket, prefix), [], cancellationToken).ConfigureAwait(false);
            return reply.Number;
        }
        await OpenAsync(cancellationToken).ConfigureAwait(false);
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var budget = NewBudget();
        for (var attempt = 1; ; attempt++)
        {
            // The counter and the cycle keys together decide the number (CycleCounter); the probe afterwards skips a
            // number whose cycle was created directly between the listing and the counter's compare-and-set.
            var highest = await HighestExistingCycleAsync(store, prefix, cancellationToken).ConfigureAwait(false);
            var latest = await LatestAsync(counterKey, cancellationToken).ConfigureAwait(false);
            var next = CycleCounter.Next(latest is { Entry.Operation: PeerOperation.Put } ? CycleCounter.Parse(counterKey, latest.Entry.Value.Span) : null, highest);
            telemetry.Attempt(attempt, latest?.Entry.Revision ?? 0);
            var outcome = await ApplyAtBaseAsync(counterKey, CycleCounter.Format(next), latest?.Entry.Revision ?? 0, NewAttemptId(), budget, cancellationToken).ConfigureAwait(false);
            if (outcome.Written)
            {
                if (await CycleKeyExistsAsync(store, $"{prefix}.cycle.{next}", cancellationToken).ConfigureAwait(false))
                {
                    telemetry.Retry("taken");
                    continue;
                }
                return next;
            }
            telemetry.Conflict(outcome.Revision);
            // Allocation must not fail under load the way a document write may: every caller needs a number, so only the deadline ends it.
            if (budget.Expired) throw new PeerConflictException(counterKey, attempt, outcome.Revision, budget.ToString());
            await budget.WaitAsync(Math.Min(attempt, 1), cancellationToken).ConfigureAwait(false);
            telemetry.Retry();
        }
    }

    private Task<PeerWriteResult> TrackAsync(string operation, string key, string? role, Func<WriteTelemetry, Task<PeerWriteResult>> write) =>
        TrackAsync(operation, key, role, write, result => (result.Revision, result.Changed, result.Attempts));

    /// <summary>Runs one public write inside its span and records its outcome, duration and (on failure) error kind.</summary>
    private async Task<T> TrackAsync<T>(string operation, string key, string? role, Func<WriteTelemetry, Task<T>> write, Func<T, (ulong Revision, bool Changed, int Attempts)> describe)
    {
        var telemetry = new WriteTelemetry(Options.DryRun ? operation + "_dry_run" : operation, key, role, Options.Bucket);
        try
        {
            var result = await write(telemetry).ConfigureAwait(false);
            var (revision, changed, attempts) = describe(result);
            telemetry.Succeeded(revision, changed, attempts);
            return result;
        }
        catch (Exception ex) when (telemetry.Failed(ex))
        {
            throw; // never reached: Failed records the outcome and returns false, so the exception passes through untouched
        }
    }
}
