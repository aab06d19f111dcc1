using System.Diagnostics;
using System.Globalization;
using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace PeerTyped.Client;

/// <summary>How one compare-and-set ended: stored at <see cref="Revision"/>, or refused because the key is at <see cref="Revision"/>.</summary>
internal readonly record struct CasOutcome(bool Written, ulong Revision, bool Unchanged = false)
{
    /// <summary>Nothing to write: the gate found the proposed document equal to the one at <see cref="Revision"/>.</summary>
    public static CasOutcome Same(ulong revision) => new(false, revision, true);

    public static CasOutcome Stored(ulong revision) => new(true, revision);

    public static CasOutcome Conflict(ulong currentRevision) => new(false, currentRevision);
}

/// <summary>A stored message with the attempt id of the write that stored it (null when another tool wrote it).</summary>
internal sealed record StoredRevision(PeerRawEntry Entry, string? AttemptId);

/// <summary>
/// The retry budget of one write: a deadline, not a count (plus an optional count cap), with full-jitter exponential
/// back-off between attempts.
/// </summary>
internal sealed class RetryBudget(TimeSpan timeout, TimeSpan firstBackoff, int? maxConflictRetries)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMilliseconds(500);
    private readonly long _deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);

    public TimeSpan Timeout { get; } = timeout;

    public bool Expired => Stopwatch.GetTimestamp() >= _deadline;

    public TimeSpan Remaining => TimeSpan.FromSeconds(Math.Max(0, (_deadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency));

    /// <summary>Waits before attempt <paramref name="failedAttempt"/> + 1; false when the budget is spent.</summary>
    public async ValueTask<bool> WaitAsync(int failedAttempt, CancellationToken cancellationToken)
    {
        if (maxConflictRetries is { } cap && failedAttempt > cap) return false;
        if (Expired) return false;
        var ceiling = Math.Min(firstBackoff.Ticks << Math.Min(failedAttempt - 1, 6), MaxBackoff.Ticks);
        var wait = TimeSpan.FromTicks(Math.Min(Random.Shared.NextInt64(0, ceiling + 1), Remaining.Ticks));
        if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public override string ToString() => $"the retry budget of {Timeout.TotalSeconds:0.###} s";
}

/// <summary>
/// The one compare-and-set strategy, used by update, create, restore and the cycle counter, in direct mode and in the
/// gate alike. A write is a JetStream publish to the key's subject carrying the attempt id (as <c>Nats-Msg-Id</c>, so
/// the stream drops a re-send of a stored write as a duplicate, and as <c>Peer-Attempt-Id</c>, so the revision can be
/// recognised later) and the expected sequence: the key's last revision on a single server, the stream's last sequence
/// on a replicated bucket (nats-server before 2.9.21 checks the per-key expectation only before proposing it).
/// </summary>
public sealed partial class PeerStateStore
{
    internal const string AttemptIdHeader = "Peer-Attempt-Id";

    internal RetryBudget NewBudget(TimeSpan? timeout = null) => new(timeout ?? Options.RetryTimeout, Options.ConflictBackoff, Options.MaxConflictRetries);

    internal static string NewAttemptId() => Guid.NewGuid().ToString("N");

    private string Subject(string key) => $"$KV.{Options.Bucket}.{key}";

    /// <summary>The key's latest stored message, delete and purge markers included, read from the stream leader; null when the key never existed.</summary>
    internal Task<StoredRevision?> LatestAsync(string key, CancellationToken cancellationToken) =>
        GetMessageAsync(key, new StreamMsgGetRequest { LastBySubj = Subject(key) }, cancellationToken);

    /// <summary>The message at exactly <paramref name="revision"/>, if it belongs to <paramref name="key"/>.</summary>
    internal Task<StoredRevision?> RevisionAsync(string key, ulong revision, CancellationToken cancellationToken) =>
        GetMessageAsync(key, new StreamMsgGetRequest { Seq = revision }, cancellationToken);

    /// <summary>The key's first revision after <paramref name="baseRevision"/>, if any.</summary>
    private Task<StoredRevision?> NextAfterAsync(string key, ulong baseRevision, CancellationToken cancellationToken) =>
        GetMessageAsync(key, new StreamMsgGetRequest { Seq = baseRevision + 1, NextBySubj = Subject(key) }, cancellationToken);

    private async Task<StoredRevision?> GetMessageAsync(string key, StreamMsgGetRequest request, CancellationToken cancellationToken)
    {
        await OpenAsync(cancellationToken).ConfigureAwait(false);
        var message = await Nats(async () => await MessageGetAsync(request, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        if (message is null || message.Subject != Subject(key)) return null;
        var headers = message.Headers is { Length: > 0 } raw ? Encoding.UTF8.GetString(Convert.FromBase64String(raw)) : string.Empty;
        var operation = PeerOperation.Put;
        if (headers.Contains("KV-Operation: DEL", StringComparison.Ordinal)) operation = PeerOperation.Delete;
        else if (headers.Contains("KV-Operation: PURGE", StringComparison.Ordinal)) operation = PeerOperation.Purge;
        return new StoredRevision(new PeerRawEntry(key, message.Seq, message.Time, operation, message.Data), HeaderValue(headers, AttemptIdHeader));
    }

    private static string? HeaderValue(string headers, string name)
    {
        foreach (var line in headers.Split("\r\n"))
        {
            if (line.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)) return line[(name.Length + 1)..].Trim();
        }
        return null;
    }

    /// <summary>The revision our attempt stored, if it is the key's next revision after <paramref name="baseRevision"/>.</summary>
    internal async Task<ulong?> FindOwnWriteAsync(string key, ulong baseRevision, string attemptId, CancellationToken cancellationToken)
    {
        var next = await NextAfterAsync(key, baseRevision, cancellationToken).ConfigureAwait(false);
        return next is not null && next.AttemptId == attemptId ? next.Entry.Revision : null;
    }

    /// <summary>
    /// Stores <paramref name="value"/> if <paramref name="key"/> is still at <paramref name="baseRevision"/> (0: absent),
    /// retrying only what cannot change the outcome's meaning: a stream-sequence refusal caused by another key, and
    /// a publish that was not answered (re-sent with the same attempt id, which the stream de-duplicates). A write whose
    /// answer was lost is recognised by its attempt id. The caller's cancellation is not passed to a publish once it is
    /// sent: its answer decides what is reported, so a write that landed is never reported as failed.
    /// </summary>
    internal async Task<CasOutcome> ApplyAtBaseAsync(string key, byte[] value, ulong baseRevision, string attemptId, RetryBudget budget, CancellationToken cancellationToken)
    {
        Exception? unanswered = null;
        for (var attempt = 1; ; attempt++)
        {
            ulong streamSequence = 0;
            // Every caller has just read the key at baseRevision, so a per-key first attempt goes straight to the
            // compare-and-set, which checks it anyway. Later attempts (and stream-sequence mode, which needs the
            // stream's last sequence read before the key) look first: the key may hold our write or someone else's.
            if (attempt > 1 || _serializeOnStream)
            {
                StoredRevision? latest;
                try
                {
                    var read = unanswered is null ? cancellationToken : CancellationToken.None;
                    if (_serializeOnStream)
                    {
                        streamSequence = (await StreamInfoAsync(read).ConfigureAwait(false)).LastSeq;
                    }
                    latest = await LatestAsync(key, read).ConfigureAwait(false);
                }
                catch (PeerUnavailableException ex) when (unanswered is not null)
                {
                    // The server is still away after an unanswered publish: keep resolving until the budget is spent.
                    if (!await budget.WaitAsync(attempt, CancellationToken.None).ConfigureAwait(false)) throw new PeerOutcomeUnknownException(key, baseRevision, attemptId, ex);
                    continue;
                }
                var latestRevision = latest?.Entry.Revision ?? 0;
                if (latestRevision != baseRevision)
                {
                    if (latest?.AttemptId == attemptId) return Recognised(key, baseRevision, latestRevision, attemptId);
                    if (await FindOwnWriteAsync(key, baseRevision, attemptId, CancellationToken.None).ConfigureAwait(false) is { } own) return Recognised(key, baseRevision, own, attemptId);
                    return CasOutcome.Conflict(latestRevision);
                }
                if (_serializeOnStream && latestRevision > streamSequence)
                {
                    // The stream info and the read straddled a write: read both again.
                    if (!await budget.WaitAsync(attempt, cancellationToken).ConfigureAwait(false)) return UnknownOrConflict(key, baseRevision, attemptId, latestRevision, unanswered);
                    continue;
                }
            }
            if (unanswered is null) cancellationToken.ThrowIfCancellationRequested();
            var headers = new NatsHeaders
            {
                ["Nats-Msg-Id"] = attemptId,
                ["Nats-Expected-Stream"] = StreamName,
                [_serializeOnStream ? "Nats-Expected-Last-Sequence" : "Nats-Expected-Last-Subject-Sequence"] = (_serializeOnStream ? streamSequence : baseRevision).ToString(CultureInfo.InvariantCulture),
                [AttemptIdHeader] = attemptId,
            };
            PublishAck ack;
            try
            {
                ack = await WatchPermissionAsync(Subject(key), PublishAsync(key, value, headers),
                    () => $"{key}: the NATS user{(_user is null ? string.Empty : " '" + _user + "'")} may not write to bucket {Options.Bucket} directly; writes go through the gate (--gate on, PEER_GATE=on)").ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NatsJSPublishNoResponseException or NatsNoReplyException or NatsNoRespondersException or TimeoutException or NatsJSApiNoResponseException
                                       || (ex is NatsException && ex is not NatsJSApiException and not NatsJSException))
            {
                unanswered ??= ex;
                LogUnanswered(key, baseRevision, attemptId);
                // The write span's counter has no handle here; the re-send is counted with its reason alone.
                PeerTelemetry.Retries.Add(1, new KeyValuePair<string, object?>("peertyped.retry.reason", "unanswered"));
                if (!await budget.WaitAsync(attempt, CancellationToken.None).ConfigureAwait(false)) return await ResolveLastAsync(key, baseRevision, attemptId, ex).ConfigureAwait(false);
                continue;
            }
            if (ack.Error is { ErrCode: 10071 })
            {
                // Refused: the key moved (the next read tells), or on a replicated bucket another key did (retried on the new sequence).
                if (!await budget.WaitAsync(attempt, cancellationToken).ConfigureAwait(false))
                {
                    // Out of time, but "conflict" would make the caller re-apply its change: first make sure the key did
                    // not move because of this very attempt (a re-sent gate request whose first copy landed).
                    if (await FindOwnWriteAsync(key, baseRevision, attemptId, CancellationToken.None).ConfigureAwait(false) is { } own) return Recognised(key, baseRevision, own, attemptId);
                    return UnknownOrConflict(key, baseRevision, attemptId, baseRevision, unanswered);
                }
                continue;
            }
            if (ack.Error is { } error)
            {
                if (error.ErrCode == 10054 || error.Description?.Contains("maximum message size", StringComparison.OrdinalIgnoreCase) == true)
                {
                    throw new PeerValidationException(key, [new PeerTyped.Runtime.Violation(string.Empty, "maxValueSize", "the server rejected the document as over the bucket's max value size: " + error.Description)]);
                }
                throw new PeerUnavailableException($"{key}: the server refused the write: {error.Description}");
            }
            return CasOutcome.Stored(ack.Seq);
        }
    }

    private CasOutcome Recognised(string key, ulong baseRevision, ulong revision, string attemptId)
    {
        LogRecognised(key, baseRevision, revision, attemptId);
        return CasOutcome.Stored(revision);
    }

    private static CasOutcome UnknownOrConflict(string key, ulong baseRevision, string attemptId, ulong latestRevision, Exception? unanswered) =>
        unanswered is null ? CasOutcome.Conflict(latestRevision) : throw new PeerOutcomeUnknownException(key, baseRevision, attemptId, unanswered);

    /// <summary>The budget is spent after an unanswered publish: one last look, then "outcome unknown".</summary>
    private async Task<CasOutcome> ResolveLastAsync(string key, ulong baseRevision, string attemptId, Exception unanswered)
    {
        try
        {
            if (await FindOwnWriteAsync(key, baseRevision, attemptId, CancellationToken.None).ConfigureAwait(false) is { } own) return Recognised(key, baseRevision, own, attemptId);
        }
        catch (PeerUnavailableException)
        {
            // Still unreachable: nothing more can be known.
        }
        throw new PeerOutcomeUnknownException(key, baseRevision, attemptId, unanswered);
    }

    // ---- permission violations: the server drops a refused publish and says so on the connection, not to the request

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource<string>> _refusals = new(StringComparer.Ordinal);

    private ValueTask OnServerErrorAsync(object? sender, NatsServerErrorEventArgs args)
    {
        if (args.Kind != NatsServerErrorKind.PermissionsViolation) return ValueTask.CompletedTask;
        foreach (var (subject, refusal) in _refusals)
        {
            if (args.Error.Contains('"' + subject + '"', StringComparison.Ordinal)) refusal.TrySetResult(args.Error);
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Awaits <paramref name="call"/>, failing fast with exit 6 when the server refuses to let us publish to <paramref name="subject"/>.</summary>
    internal async Task<T> WatchPermissionAsync<T>(string subject, Task<T> call, Func<string> refusedMessage)
    {
        var refusal = _refusals.GetOrAdd(subject, _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            var first = await Task.WhenAny(call, refusal.Task).ConfigureAwait(false);
            if (first == refusal.Task)
            {
                _ = call.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
                throw new PeerNotPermittedException(refusedMessage() + $" (the server said: {refusal.Task.Result})");
            }
            return await call.ConfigureAwait(false);
        }
        finally
        {
            if (refusal.Task.IsCompleted) _refusals.TryRemove(subject, out _);
        }
    }
}
