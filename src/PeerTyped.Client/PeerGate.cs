using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.Services;
using PeerTyped.Contracts;

namespace PeerTyped.Client;

/// <summary>
/// The wire format between callers and the gate. Requests go to <c>peer.gate.&lt;role&gt;.&lt;operation&gt;</c>: the
/// role is a subject token, so nats-server's per-user publish permissions decide who may claim it. Everything else
/// travels in headers; the body is the proposed document (update, create) or empty. Replies carry the outcome in
/// headers and, for an error, the message and its detail lines in the body.
/// </summary>
public static class PeerGateProtocol
{
    public const string ServiceName = "peer-typed-gate";
    public const string QueueGroup = "peer-typed-gate";
    public const string SubjectPrefix = "peer.gate";

    public const string Update = "update";
    public const string Create = "create";
    public const string Restore = "restore";
    public const string CycleNext = "cycle-next";

    internal static readonly string[] Operations = [Update, Create, Restore, CycleNext];

    internal const string BucketHeader = "Peer-Bucket";
    internal const string KeyHeader = "Peer-Key";
    internal const string BaseRevisionHeader = "Peer-Base-Revision";
    internal const string AttemptHeader = "Peer-Attempt-Id";
    internal const string RevisionHeader = "Peer-Revision";
    internal const string ForceHeader = "Peer-Force";
    internal const string PrefixHeader = "Peer-Prefix";
    internal const string OutcomeHeader = "Peer-Outcome";
    internal const string NumberHeader = "Peer-Number";
    internal const string ErrorKindHeader = "Peer-Error-Kind";

    /// <summary>The subject a role sends <paramref name="operation"/> to.</summary>
    public static string Subject(string role, string operation) => $"{SubjectPrefix}.{role}.{operation}";

    internal static NatsHeaders WriteHeaders(string bucket, string key, ulong baseRevision, string attemptId) => new()
    {
        [BucketHeader] = bucket,
        [KeyHeader] = key,
        [BaseRevisionHeader] = baseRevision.ToString(CultureInfo.InvariantCulture),
        [AttemptHeader] = attemptId,
    };

    internal static NatsHeaders RestoreHeaders(string bucket, string key, ulong revision, bool force) => new()
    {
        [BucketHeader] = bucket,
        [KeyHeader] = key,
        [RevisionHeader] = revision.ToString(CultureInfo.InvariantCulture),
        [ForceHeader] = force ? "true" : "false",
    };

    internal static NatsHeaders CycleHeaders(string bucket, string prefix) => new() { [BucketHeader] = bucket, [PrefixHeader] = prefix };

    internal static string? Header(NatsHeaders? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;

    internal static string RequiredHeader(NatsHeaders? headers, string name) =>
        Header(headers, name) is { Length: > 0 } value ? value : throw new PeerUsageException($"the gate request has no {name} header");

    internal static ulong RequiredNumber(NatsHeaders? headers, string name) =>
        ulong.TryParse(RequiredHeader(headers, name), NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : throw new PeerUsageException($"the gate request's {name} header is not a whole number");
}

/// <summary>What the gate answered.</summary>
internal readonly record struct GateReply(string Outcome, ulong Revision, int Number);

/// <summary>The caller's side of gate mode.</summary>
public sealed partial class PeerStateStore
{
    private bool? _gateDiscovered;

    /// <summary>The role the NATS user name stands for, when the user is named after a role (as `server start --secure` and the shipped permissions do).</summary>
    private string? AuthenticatedRole => _user is not null && PeerCycle.Roles.Contains(_user) ? _user : null;

    private async ValueTask<bool> UseGateAsync(CancellationToken cancellationToken)
    {
        switch (Options.WriteMode)
        {
            case PeerWriteMode.Direct: return false;
            case PeerWriteMode.Gate: return true;
        }
        return _gateDiscovered ??= await DiscoverGateAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether a gate answers <c>$SRV.PING.peer-typed-gate</c>. Without a gate the server answers "no responders" at
    /// once; a ping that merely goes unanswered (a busy machine) is asked again with the full request timeout before
    /// the answer is no, since writing directly where a gate runs is refused by the server's permissions anyway.
    /// </summary>
    public async Task<bool> DiscoverGateAsync(CancellationToken cancellationToken = default)
    {
        foreach (var timeout in new[] { TimeSpan.FromMilliseconds(Math.Min(1000, _connection.Opts.RequestTimeout.TotalMilliseconds)), _connection.Opts.RequestTimeout })
        {
            try
            {
                await Core.RequestAsync<byte[], byte[]>("$SRV.PING." + PeerGateProtocol.ServiceName, [], requestSerializer: Raw, replySerializer: Raw,
                    replyOpts: new NatsSubOpts { Timeout = timeout }, cancellationToken: cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (NatsNoRespondersException)
            {
                return false;
            }
            catch (Exception ex) when (ex is NatsNoReplyException or TimeoutException)
            {
                // Unanswered: ask once more with the longer timeout.
            }
        }
        return false;
    }

    /// <summary>
    /// The role a gate request is sent as. The gate takes the role from the subject and the server lets each role's
    /// user publish only to its own subjects; a claimed role that disagrees with the authenticated one is refused here
    /// (exit 6) rather than quietly replaced.
    /// </summary>
    private string GateRole(string? role, string? fallback = null)
    {
        var authenticated = AuthenticatedRole;
        if (role is not null && authenticated is not null && role != authenticated)
        {
            throw new PeerNotPermittedException($"the role '{role}' (from --as or PEER_ROLE) disagrees with the authenticated NATS user '{authenticated}'; through the gate the role comes from authentication");
        }
        return role ?? authenticated ?? fallback ?? throw new PeerUsageException("writing through the gate needs a role: connect as a role's NATS user, or pass --as/PEER_ROLE");
    }

    private async Task<CasOutcome> GateWriteAsync(string operation, string role, string key, ulong baseRevision, byte[] document, string attemptId, CancellationToken cancellationToken)
    {
        var reply = await GateRequestAsync(operation, role, key, PeerGateProtocol.WriteHeaders(Options.Bucket, key, baseRevision, attemptId), document, cancellationToken, baseRevision, attemptId).ConfigureAwait(false);
        return reply.Outcome switch
        {
            "conflict" => CasOutcome.Conflict(reply.Revision),
            "unchanged" => CasOutcome.Same(reply.Revision),
            _ => CasOutcome.Stored(reply.Revision),
        };
    }

    /// <summary>
    /// Sends one request to the gate's queue group. An unanswered request is re-sent unchanged (same attempt id, same
    /// base revision: the gate recognises a write that already landed, and compare-and-set stops a second one) to
    /// whichever instance is alive, until the retry deadline; then the key is read to tell whether the write landed.
    /// </summary>
    private async Task<GateReply> GateRequestAsync(string operation, string role, string key, NatsHeaders headers, byte[] body, CancellationToken cancellationToken, ulong baseRevision = 0, string? attemptId = null)
    {
        var subject = PeerGateProtocol.Subject(role, operation);
        var budget = NewBudget();
        var sent = false;
        Exception? last = null;
        for (var attempt = 1; ; attempt++)
        {
            if (!sent) cancellationToken.ThrowIfCancellationRequested();
            try
            {
                // Not cancellable once sent: the answer decides what is reported (the request timeout still bounds it).
                var call = Core.RequestAsync<byte[], byte[]>(subject, body, headers, Raw, Raw, replyOpts: new NatsSubOpts { Timeout = _connection.Opts.RequestTimeout }, cancellationToken: CancellationToken.None).AsTask();
                var reply = await WatchPermissionAsync(subject, call,
                    () => $"{key}: the NATS user{(_user is null ? string.Empty : " '" + _user + "'")} may not send {operation} requests as role '{role}' (subject {subject})").ConfigureAwait(false);
                return ParseReply(key, reply);
            }
            catch (NatsNoRespondersException ex)
            {
                last = ex;
            }
            catch (Exception ex) when (ex is NatsNoReplyException or TimeoutException)
            {
                sent = true;
                last = ex;
                LogUnanswered(key, baseRevision, attemptId ?? "-");
            }
            if (!await budget.WaitAsync(attempt, sent ? CancellationToken.None : cancellationToken).ConfigureAwait(false)) break;
        }
        if (!sent) throw new PeerUnavailableException($"no gate answers on {subject} at {_servers} (start one with `peer-typed gate`)", last);
        if (attemptId is not null)
        {
            try
            {
                if (await FindOwnWriteAsync(key, baseRevision, attemptId, CancellationToken.None).ConfigureAwait(false) is { } own) return new GateReply("written", own, 0);
            }
            catch (PeerUnavailableException)
            {
                // Unreachable: nothing more can be known.
            }
        }
        throw new PeerOutcomeUnknownException(key, baseRevision, attemptId ?? "-", last);
    }

    private static GateReply ParseReply(string key, NatsMsg<byte[]> reply)
    {
        var outcome = PeerGateProtocol.Header(reply.Headers, PeerGateProtocol.OutcomeHeader);
        if (outcome == "error" || outcome is null)
        {
            var text = reply.Data is { Length: > 0 } data ? Encoding.UTF8.GetString(data) : $"{key}: the gate answered without an outcome";
            var lines = text.Split('\n');
            var kind = Enum.TryParse<PeerErrorKind>(PeerGateProtocol.Header(reply.Headers, PeerGateProtocol.ErrorKindHeader), out var parsed) ? parsed : PeerErrorKind.Other;
            throw new PeerGateException(kind, lines[0], lines.Skip(1).ToList());
        }
        _ = ulong.TryParse(PeerGateProtocol.Header(reply.Headers, PeerGateProtocol.RevisionHeader), NumberStyles.None, CultureInfo.InvariantCulture, out var revision);
        _ = int.TryParse(PeerGateProtocol.Header(reply.Headers, PeerGateProtocol.NumberHeader), NumberStyles.None, CultureInfo.InvariantCulture, out var number);
        return new GateReply(outcome, revision, number);
    }
}

/// <summary>
/// <c>peer-typed gate</c>: a NATS service (<c>$SRV.PING/INFO/STATS.peer-typed-gate</c>) in a queue group, so several
/// instances share the load and a request re-sent after one dies is answered by another. It owns every write to the
/// bucket: it takes the role from the request subject (which nats-server's permissions make unforgeable), runs the
/// rules of <see cref="PeerWriteRules"/> on the whole document, writes by compare-and-set through the store's one write
/// path, logs, and answers with the new revision or a typed error. It never runs caller-supplied code: jq filters and
/// typed changes run on the caller's side, which re-reads and recomputes when the gate answers "conflict".
/// </summary>
public sealed partial class PeerGateService : IAsyncDisposable
{
    /// <summary>How long the gate keeps retrying a write whose key is still at the base revision (other keys moving the stream, an unanswered publish).</summary>
    private static readonly TimeSpan WriteBudget = TimeSpan.FromSeconds(2);

    private static readonly NatsRawSerializer<byte[]> Raw = NatsRawSerializer<byte[]>.Default;

    private readonly PeerStateStore _store;
    private readonly ILogger _logger;
    private INatsSvcServer? _service;

    private PeerGateService(PeerStateStore store, ILogger logger)
    {
        _store = store;
        _logger = logger;
    }

    /// <summary>Starts answering on <paramref name="store"/>'s connection; the store must write directly and its bucket must exist.</summary>
    public static async Task<PeerGateService> StartAsync(PeerStateStore store, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        if (store.Options.WriteMode != PeerWriteMode.Direct) throw new PeerUsageException("the gate writes directly: its store's write mode must be Direct");
        // A service outlives a slow start: a bucket lookup that times out (a busy server) is tried again until the
        // retry deadline; a missing bucket or a refusal ends the start at once.
        await PeerStateStore.RetryTimedOutReadAsync(() => store.EnsureOpenAsync(cancellationToken), store.NewBudget(), cancellationToken).ConfigureAwait(false);
        var gate = new PeerGateService(store, logger ?? NullLogger.Instance);
        var context = new NatsSvcContext(store.Connection);
        var service = await context.AddServiceAsync(new NatsSvcConfig(PeerGateProtocol.ServiceName, "1.0.0")
        {
            Description = "PeerTyped gate: validated, ownership-checked compare-and-set writes to " + store.Options.Bucket,
            QueueGroup = PeerGateProtocol.QueueGroup,
            Metadata = new Dictionary<string, string> { ["bucket"] = store.Options.Bucket },
        }, cancellationToken).ConfigureAwait(false);
        gate._service = service;
        foreach (var operation in PeerGateProtocol.Operations)
        {
            await service.AddEndpointAsync<byte[]>(msg => gate.HandleAsync(operation, msg), name: operation,
                subject: $"{PeerGateProtocol.SubjectPrefix}.*.{operation}", serializer: Raw, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        gate.LogStarted(store.Options.Bucket, store.Servers);
        return gate;
    }

    public async ValueTask DisposeAsync()
    {
        if (_service is not null) await _service.DisposeAsync().ConfigureAwait(false);
    }

    private async ValueTask HandleAsync(string operation, NatsSvcMsg<byte[]> msg)
    {
        NatsHeaders headers;
        byte[] body = [];
        var role = "?";
        try
        {
            role = RoleFromSubject(msg.Subject);
            var bucket = PeerGateProtocol.RequiredHeader(msg.Headers, PeerGateProtocol.BucketHeader);
            if (bucket != _store.Options.Bucket) throw new PeerUsageException($"this gate writes bucket {_store.Options.Bucket}, not {bucket}");
            headers = operation switch
            {
                PeerGateProtocol.Update => await UpdateAsync(role, msg).ConfigureAwait(false),
                PeerGateProtocol.Create => await CreateAsync(role, msg).ConfigureAwait(false),
                PeerGateProtocol.Restore => await RestoreAsync(role, msg).ConfigureAwait(false),
                _ => await CycleNextAsync(role, msg).ConfigureAwait(false),
            };
        }
        catch (PeerStateException ex)
        {
            LogRefused(role, operation, ex.Message);
            headers = new NatsHeaders { [PeerGateProtocol.OutcomeHeader] = "error", [PeerGateProtocol.ErrorKindHeader] = ex.Kind.ToString() };
            body = Encoding.UTF8.GetBytes(string.Join('\n', ex.Details.Prepend(ex.Message)));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogFailed(role, operation, ex);
            headers = new NatsHeaders { [PeerGateProtocol.OutcomeHeader] = "error", [PeerGateProtocol.ErrorKindHeader] = nameof(PeerErrorKind.Other) };
            body = Encoding.UTF8.GetBytes("the gate failed: " + ex.Message);
        }
        await msg.ReplyAsync(body, headers, serializer: Raw).ConfigureAwait(false);
    }

    /// <summary>The role is the subject's third token: the server's permissions, not the caller, decide who may publish there.</summary>
    private static string RoleFromSubject(string subject)
    {
        var tokens = subject.Split('.');
        var role = tokens.Length == 4 ? tokens[2] : string.Empty;
        if (!PeerCycle.Roles.Contains(role)) throw new PeerUsageException($"unknown role '{role}' in subject {subject}; expected one of {string.Join(", ", PeerCycle.Roles)}");
        return role;
    }

    private static NatsHeaders Written(string outcome, ulong revision) => new()
    {
        [PeerGateProtocol.OutcomeHeader] = outcome,
        [PeerGateProtocol.RevisionHeader] = revision.ToString(CultureInfo.InvariantCulture),
    };

    private async Task<NatsHeaders> UpdateAsync(string role, NatsSvcMsg<byte[]> msg)
    {
        var key = PeerGateProtocol.RequiredHeader(msg.Headers, PeerGateProtocol.KeyHeader);
        PeerKey.Parse(key);
        var baseRevision = PeerGateProtocol.RequiredNumber(msg.Headers, PeerGateProtocol.BaseRevisionHeader);
        var attemptId = PeerGateProtocol.RequiredHeader(msg.Headers, PeerGateProtocol.AttemptHeader);
        // The ownership diff needs the document at the base revision, not the latest: a stored revision never changes,
        // so it is cached from the gate's own writes, and compare-and-set on the base revision checks it is still the
        // latest. A stale base fails that check and is answered "conflict" (or, for a re-sent request whose first copy
        // landed, with that revision).
        var current = _documents.TryGetValue(key, out var cached) && cached.Revision == baseRevision
            ? cached.Current
            : await LoadRevisionAsync(key, baseRevision).ConfigureAwait(false);
        if (current is not { } found)
        {
            var latest = await _store.LatestAsync(key, CancellationToken.None).ConfigureAwait(false) ?? throw new PeerNotFoundException($"{key}: not found in bucket {_store.Options.Bucket}");
            if (latest.AttemptId == attemptId) return Written("written", latest.Entry.Revision);
            if (await _store.FindOwnWriteAsync(key, baseRevision, attemptId, CancellationToken.None).ConfigureAwait(false) is { } own) return Written("written", own);
            return Written("conflict", latest.Entry.Revision);
        }
        if (found.Document is null && role != PeerCycle.Superuser) throw found.Invalid!;
        await _store.EnsureWriteSettingsAsync(CancellationToken.None).ConfigureAwait(false);
        var plan = PeerWriteRules.PlanUpdate(key, role, found, new Proposal(null, msg.Data ?? []), _store.SizeLimit);
        if (plan.Next is null) return Written("unchanged", baseRevision);
        LogRequest(role, PeerGateProtocol.Update, key);
        _store.LogWrite(key, baseRevision, plan.Next, plan.Changes, 1);
        var outcome = await _store.ApplyAtBaseAsync(key, plan.Next, baseRevision, attemptId, _store.NewBudget(WriteBudget), CancellationToken.None).ConfigureAwait(false);
        if (outcome.Written)
        {
            _store.LogWritten(key, outcome.Revision, 1);
            Remember(key, outcome.Revision, plan.Next, plan.Document);
        }
        return Written(outcome.Written ? "written" : "conflict", outcome.Revision);
    }

    /// <summary>The last revision this gate wrote per key, with its document, so the next update based on it needs no read.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (ulong Revision, Current Current)> _documents = new(StringComparer.Ordinal);

    /// <summary>The rules read the written bytes as <paramref name="document"/> already; parsed here only when they did not.</summary>
    private void Remember(string key, ulong revision, byte[] canonical, PeerCycle? document)
    {
        if (_documents.Count > 10_000) _documents.Clear();
        _documents[key] = (revision, new Current(canonical, document ?? PeerCycle.Parse(canonical), null));
    }

    /// <summary>The document stored at exactly <paramref name="revision"/> of <paramref name="key"/>; null when that revision is not the key's.</summary>
    private async Task<Current?> LoadRevisionAsync(string key, ulong revision)
    {
        var stored = await _store.RevisionAsync(key, revision, CancellationToken.None).ConfigureAwait(false);
        return stored is null || stored.Entry.Operation != PeerOperation.Put ? null : PeerWriteRules.Load(stored.Entry);
    }

    private async Task<NatsHeaders> CreateAsync(string role, NatsSvcMsg<byte[]> msg)
    {
        var key = PeerGateProtocol.RequiredHeader(msg.Headers, PeerGateProtocol.KeyHeader);
        PeerKey.Parse(key);
        var attemptId = PeerGateProtocol.RequiredHeader(msg.Headers, PeerGateProtocol.AttemptHeader);
        await _store.EnsureWriteSettingsAsync(CancellationToken.None).ConfigureAwait(false);
        var bytes = PeerWriteRules.PlanCreate(key, role, msg.Data ?? [], _store.SizeLimit);
        LogRequest(role, PeerGateProtocol.Create, key);
        _store.LogWrite(key, 0, bytes, [new JsonChange(string.Empty, null, "(new document)")], 1);
        var outcome = await _store.CreateCoreAsync(key, bytes, attemptId, _store.NewBudget(WriteBudget), CancellationToken.None).ConfigureAwait(false);
        if (outcome.Written) _store.LogWritten(key, outcome.Revision, 1);
        return Written(outcome.Written ? "written" : "conflict", outcome.Revision);
    }

    private async Task<NatsHeaders> RestoreAsync(string role, NatsSvcMsg<byte[]> msg)
    {
        var key = PeerGateProtocol.RequiredHeader(msg.Headers, PeerGateProtocol.KeyHeader);
        var revision = PeerGateProtocol.RequiredNumber(msg.Headers, PeerGateProtocol.RevisionHeader);
        var force = PeerGateProtocol.Header(msg.Headers, PeerGateProtocol.ForceHeader) == "true";
        LogRequest(role, PeerGateProtocol.Restore, key);
        var result = await _store.RestoreAsync(key, revision, role, force, CancellationToken.None).ConfigureAwait(false);
        return Written("written", result.Revision);
    }

    private async Task<NatsHeaders> CycleNextAsync(string role, NatsSvcMsg<byte[]> msg)
    {
        var prefix = PeerGateProtocol.RequiredHeader(msg.Headers, PeerGateProtocol.PrefixHeader);
        if (role != PeerCycleRoles.Orchestrator && role != PeerCycle.Superuser)
        {
            throw new PeerOwnershipException(PeerKey.CounterKey(prefix), role, [new OwnershipViolation("(cycle counter)", [PeerCycleRoles.Orchestrator, PeerCycle.Superuser ?? "operator"])]);
        }
        LogRequest(role, PeerGateProtocol.CycleNext, prefix);
        var number = await _store.NextCycleNumberAsync(prefix, CancellationToken.None).ConfigureAwait(false);
        return new NatsHeaders { [PeerGateProtocol.OutcomeHeader] = "written", [PeerGateProtocol.NumberHeader] = number.ToString(CultureInfo.InvariantCulture) };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Gate started: writing bucket {Bucket} on {Servers}; requests on peer.gate.<role>.<operation>, discovery on $SRV.PING.peer-typed-gate")]
    private partial void LogStarted(string bucket, string servers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Gate: {Role} {Operation} {Key}")]
    private partial void LogRequest(string role, string operation, string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gate refused {Role} {Operation}: {Reason}")]
    private partial void LogRefused(string role, string operation, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gate failed on {Role} {Operation}")]
    private partial void LogFailed(string role, string operation, Exception exception);
}
