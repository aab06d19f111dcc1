using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;
using PeerTyped.Contracts;
using PeerTyped.Runtime;

namespace PeerTyped.Client;

/// <summary>
/// The only code path that writes PEER cycle documents. Every write is validated against the schema, checked for
/// ownership by comparing the old and new documents, and committed by compare-and-set on the revision it was computed
/// from; a conflict re-reads and re-applies the change (bounded), it never overwrites.
/// </summary>
public sealed partial class PeerStateStore : IAsyncDisposable
{
    private static readonly NatsRawSerializer<byte[]> Raw = NatsRawSerializer<byte[]>.Default;

    private readonly INatsConnection _connection;
    private readonly bool _ownsConnection;
    private readonly NatsKVContext _kv;
    private readonly ILogger _logger;
    private readonly string _servers;
    private readonly string[] _secrets;
    private INatsKVStore? _store;
    private INatsJSStream? _stream;
    private bool _serializeOnStream;

    /// <summary>Uses an existing connection (for hosts that share one); the caller keeps ownership of it.</summary>
    public PeerStateStore(INatsConnection connection, PeerStoreOptions? options = null, ILogger? logger = null)
        : this(connection, ownsConnection: false, options, logger, connection.Opts.Url, [])
    {
    }

    private PeerStateStore(INatsConnection connection, bool ownsConnection, PeerStoreOptions? options, ILogger? logger, string servers, string[] secrets)
    {
        _connection = connection;
        _ownsConnection = ownsConnection;
        Options = options ?? new PeerStoreOptions();
        _logger = logger ?? NullLogger.Instance;
        _servers = servers;
        _secrets = secrets;
        _kv = new NatsKVContext(new NatsJSContext((NatsConnection)connection));
    }

    public PeerStoreOptions Options { get; }

    /// <summary>Connects to NATS; an unreachable server is one <see cref="PeerUnavailableException"/> naming the URL.</summary>
    public static async Task<PeerStateStore> ConnectAsync(PeerConnectionOptions connection, PeerStoreOptions? options = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        (string PublicKey, string Seed)? nkey = connection.NKeyFile is null ? null : ReadNKey(connection.NKeyFile);
        var secrets = new[] { connection.Password, connection.Token, nkey?.Seed }.Where(s => !string.IsNullOrEmpty(s)).Select(s => s!).ToArray();
        var opts = NatsOpts.Default with
        {
            Url = string.Join(",", connection.Servers),
            Name = connection.ClientName,
            ConnectTimeout = connection.ConnectTimeout,
            RequestTimeout = connection.RequestTimeout,
            CommandTimeout = connection.RequestTimeout,
            AuthOpts = NatsAuthOpts.Default with
            {
                CredsFile = connection.CredsFile,
                Username = connection.User,
                Password = connection.Password,
                Token = connection.Token,
                NKey = nkey?.PublicKey,
                Seed = nkey?.Seed,
            },
            TlsOpts = connection.TlsCaFile is null && connection.TlsCertFile is null
                ? NatsTlsOpts.Default
                : NatsTlsOpts.Default with { CaFile = connection.TlsCaFile, CertFile = connection.TlsCertFile, KeyFile = connection.TlsKeyFile, Mode = TlsMode.Require },
            SerializerRegistry = NatsDefaultSerializerRegistry.Default,
        };
        var nats = new NatsConnection(opts);
        try
        {
            await nats.ConnectAsync().AsTask().WaitAsync(connection.ConnectTimeout + TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException or IOException)
        {
            await nats.DisposeAsync().ConfigureAwait(false);
            throw new PeerUnavailableException($"cannot reach NATS at {connection.DisplayServers}: {Redact(Innermost(ex).Message, secrets)}");
        }
        return new PeerStateStore(nats, ownsConnection: true, options, logger, connection.DisplayServers, secrets);
    }

    /// <summary>
    /// Reads an nkey seed file: nsc writes the seed alone, other tools the public key and the seed on two lines.
    /// The public key is derived from the seed either way.
    /// </summary>
    private static (string PublicKey, string Seed) ReadNKey(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (IOException ex)
        {
            throw new PeerUsageException($"cannot read the nkey file {path}: {ex.Message}");
        }
        var seed = lines.Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("SU", StringComparison.Ordinal))
            ?? throw new PeerUsageException($"the nkey file {path} holds no user seed (a line starting with SU)");
        try
        {
            using var pair = NATS.NKeys.KeyPair.FromSeed(seed);
            return (pair.GetPublicKey(), seed);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException)
        {
            throw new PeerUsageException($"the nkey file {path} holds no valid user seed");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsConnection) await _connection.DisposeAsync().ConfigureAwait(false);
    }

    // ---- bucket --------------------------------------------------------------------------------------------------

    /// <summary>Creates the bucket if it is missing; an existing bucket whose settings differ is reported, not changed.</summary>
    public async Task<PeerBucketInfo> EnsureBucketAsync(CancellationToken cancellationToken = default)
    {
        var existing = await TryGetBucketInfoAsync(cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            var differences = new List<string>();
            if (existing.History != Options.History) differences.Add($"history {existing.History} (wanted {Options.History})");
            if (existing.Replicas != Options.Replicas) differences.Add($"replicas {existing.Replicas} (wanted {Options.Replicas})");
            if (!string.Equals(existing.Storage, Options.Storage.ToString(), StringComparison.OrdinalIgnoreCase)) differences.Add($"storage {existing.Storage} (wanted {Options.Storage.ToString().ToLowerInvariant()})");
            if (existing.MaxValueSize != Options.MaxValueSize) differences.Add($"max value size {existing.MaxValueSize} (wanted {Options.MaxValueSize})");
            if (differences.Count > 0) throw new PeerBucketMismatchException(Options.Bucket, differences);
            return existing;
        }
        var config = new NatsKVConfig(Options.Bucket)
        {
            Description = "Agent OS PEER cycle state, written by peer-typed",
            History = Options.History,
            NumberOfReplicas = Options.Replicas,
            Storage = Options.Storage == PeerBucketStorage.File ? NatsKVStorageType.File : NatsKVStorageType.Memory,
            MaxValueSize = Options.MaxValueSize,
        };
        try
        {
            _store = await Nats(() => _kv.CreateStoreAsync(config, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException ex)
        {
            throw new PeerUnavailableException($"cannot create bucket {Options.Bucket} on {_servers}: {ex.Error.Description}", ex);
        }
        return (await TryGetBucketInfoAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>The bucket's settings and size, or null when it does not exist.</summary>
    public async Task<PeerBucketInfo?> TryGetBucketInfoAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var store = await Nats(() => _kv.GetStoreAsync(Options.Bucket, cancellationToken), cancellationToken).ConfigureAwait(false);
            _store = store;
            var status = await Nats(() => store.GetStatusAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
            var config = status.Info.Config;
            return new PeerBucketInfo(Options.Bucket, config.MaxMsgsPerSubject, config.NumReplicas, config.Storage.ToString().ToLowerInvariant(),
                config.MaxMsgSize, (ulong)status.Info.State.Messages, (ulong)status.Info.State.Bytes, status.Info.Cluster?.Name is not null, status.Info.Cluster?.Leader);
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
            return null;
        }
    }

    private async ValueTask<INatsKVStore> StoreAsync(CancellationToken cancellationToken)
    {
        if (_store is not null && _stream is not null) return _store;
        try
        {
            _store = await Nats(() => _kv.GetStoreAsync(Options.Bucket, cancellationToken), cancellationToken).ConfigureAwait(false);
            _stream = await Nats(() => _kv.JetStreamContext.GetStreamAsync("KV_" + Options.Bucket, cancellationToken: cancellationToken), cancellationToken).ConfigureAwait(false);
            _serializeOnStream = Options.CasMode == PeerCasMode.Stream || (Options.CasMode == PeerCasMode.Auto && _stream.Info.Config.NumReplicas > 1);
            return _store;
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
            throw new PeerNotFoundException($"bucket {Options.Bucket} does not exist on {_servers}; create it with `peer-typed bucket init`");
        }
    }

    // ---- reads ---------------------------------------------------------------------------------------------------

    /// <summary>Reads the current document and its revision from one entry read.</summary>
    public async Task<PeerEntry> ReadAsync(string key, CancellationToken cancellationToken = default) =>
        Typed(await ReadRawAsync(key, 0, cancellationToken).ConfigureAwait(false));

    /// <summary>Reads the document as it was at <paramref name="revision"/>.</summary>
    public async Task<PeerEntry> ReadAsync(string key, ulong revision, CancellationToken cancellationToken = default) =>
        Typed(await ReadRawAsync(key, revision, cancellationToken).ConfigureAwait(false));

    /// <summary>Reads a stored value as it is, valid or not (revision 0: the latest).</summary>
    public async Task<PeerRawEntry> ReadRawAsync(string key, ulong revision = 0, CancellationToken cancellationToken = default)
    {
        PeerKey.CheckNatsKey(key);
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        if (_serializeOnStream) return await ReadFromLeaderAsync(key, revision, cancellationToken).ConfigureAwait(false);
        try
        {
            var entry = await Nats(() => store.GetEntryAsync(key, revision, Raw, cancellationToken), cancellationToken).ConfigureAwait(false);
            // Asked for a revision the bucket's history no longer holds, the server answers with a later one.
            if (revision != 0 && entry.Revision != revision) throw new PeerNotFoundException($"{key}: revision {revision} not found (no longer in the bucket's history of {Options.History} revisions per key?)");
            return ToRaw(entry);
        }
        catch (NatsKVKeyDeletedException)
        {
            throw new PeerNotFoundException(revision == 0 ? $"{key}: not found (the key was deleted)" : $"{key}: revision {revision} is a delete marker");
        }
        catch (NatsKVKeyNotFoundException)
        {
            throw NotFound(key, revision);
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
            throw NotFound(key, revision);
        }
    }

    /// <summary>
    /// Reads through the stream leader. A KV get may be answered by any replica, and a replica may lag; the writes of a
    /// replicated bucket are serialized on the leader's stream sequence, so the document they start from must be the leader's.
    /// </summary>
    private async Task<PeerRawEntry> ReadFromLeaderAsync(string key, ulong revision, CancellationToken cancellationToken)
    {
        var request = revision == 0
            ? new StreamMsgGetRequest { LastBySubj = $"$KV.{Options.Bucket}.{key}" }
            : new StreamMsgGetRequest { Seq = revision };
        var response = await Nats(async () =>
        {
            try
            {
                return await _kv.JetStreamContext.JSRequestResponseAsync<StreamMsgGetRequest, StreamMsgGetResponse>(
                    $"{_kv.JetStreamContext.Opts.Prefix}.STREAM.MSG.GET.KV_{Options.Bucket}", request, cancellationToken).ConfigureAwait(false);
            }
            catch (NatsJSApiException ex) when (ex.Error.Code == 404)
            {
                return null;
            }
        }, cancellationToken).ConfigureAwait(false);
        var message = response?.Message;
        if (message is null || message.Subject != $"$KV.{Options.Bucket}.{key}")
        {
            throw NotFound(key, revision);
        }
        var operation = PeerOperation.Put;
        var headers = message.Hdrs is { Length: > 0 } raw ? System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(raw)) : string.Empty;
        if (headers.Contains("KV-Operation: DEL", StringComparison.Ordinal)) operation = PeerOperation.Delete;
        else if (headers.Contains("KV-Operation: PURGE", StringComparison.Ordinal)) operation = PeerOperation.Purge;
        if (revision == 0 && operation != PeerOperation.Put) throw new PeerNotFoundException($"{key}: not found (the key was deleted)");
        return new PeerRawEntry(key, message.Seq, message.Time, operation, message.Data.ToArray());
    }

    private PeerNotFoundException NotFound(string key, ulong revision) =>
        new(revision == 0 ? $"{key}: not found in bucket {Options.Bucket}" : $"{key}: revision {revision} not found");

    /// <summary>Every revision of <paramref name="key"/> still in the bucket's history, oldest first.</summary>
    public async IAsyncEnumerable<PeerRawEntry> HistoryAsync(string key, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        PeerKey.CheckNatsKey(key);
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var any = false;
        await using var entries = store.HistoryAsync(key, Raw, cancellationToken: cancellationToken).GetAsyncEnumerator(cancellationToken);
        // MoveNextAsync goes through the same error mapping as every other call; yield cannot sit inside that try.
        while (await Nats(() => entries.MoveNextAsync(), cancellationToken).ConfigureAwait(false))
        {
            any = true;
            yield return ToRaw(entries.Current);
        }
        if (!any) throw NotFound(key, 0);
    }

    /// <summary>The current value and then every change to it, until cancelled.</summary>
    public async IAsyncEnumerable<PeerRawEntry> WatchAsync(string key, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        PeerKey.CheckNatsKey(key);
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var entry in store.WatchAsync(key, Raw, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return ToRaw(entry);
        }
    }

    private PeerEntry Typed(PeerRawEntry raw)
    {
        var current = PeerDocumentVersions.ToCurrent(raw.Key, raw.Value);
        var validation = PeerCycle.Validate(current.Span);
        if (!validation.IsValid)
        {
            throw new PeerValidationException(raw.Key, validation.Violations, $"stored revision {raw.Revision} is not schema-valid (inspect with `peer-typed doctor {raw.Key}`)");
        }
        return new PeerEntry(raw.Key, raw.Revision, raw.Created, PeerCycle.Parse(current.Span), current);
    }

    private static PeerRawEntry ToRaw(NatsKVEntry<byte[]> entry) => new(
        entry.Key,
        entry.Revision,
        entry.Created,
        entry.Operation switch { NatsKVOperation.Del => PeerOperation.Delete, NatsKVOperation.Purge => PeerOperation.Purge, _ => PeerOperation.Put },
        entry.Value ?? []);

    // ---- writes --------------------------------------------------------------------------------------------------

    /// <summary>Creates <paramref name="key"/> with <paramref name="document"/>; fails if the key exists.</summary>
    public Task<PeerWriteResult> CreateAsync(string key, PeerCycle document, string? role = PeerCycleRoles.Orchestrator, CancellationToken cancellationToken = default) =>
        CreateJsonAsync(key, document.ToUtf8Bytes(), role, cancellationToken);

    /// <summary>Creates <paramref name="key"/> from raw JSON, after the same validation as every write.</summary>
    public async Task<PeerWriteResult> CreateJsonAsync(string key, ReadOnlyMemory<byte> json, string? role = PeerCycleRoles.Orchestrator, CancellationToken cancellationToken = default)
    {
        PeerKey.Parse(key);
        CheckRole(role);
        if (role is not null && role != PeerCycle.Superuser && !PeerCycle.MayWrite(role, string.Empty))
        {
            throw new PeerOwnershipException(key, role, [new OwnershipViolation("(document)", PeerCycle.OwnersOf(string.Empty))]);
        }
        var bytes = Normalize(key, json, "the new document");
        CheckSize(key, bytes);
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        LogWrite(key, 0, bytes, [new JsonChange(string.Empty, null, "(new document)")]);
        try
        {
            var revision = await Nats(() => store.CreateAsync(key, bytes, Raw, cancellationToken), cancellationToken, key).ConfigureAwait(false);
            LogWritten(key, revision);
            return new PeerWriteResult(key, revision, true, [new JsonChange(string.Empty, null, Encoding.UTF8.GetString(bytes))], 1);
        }
        catch (NatsKVCreateException)
        {
            throw new PeerAlreadyExistsException(key);
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

    private readonly record struct Current(ReadOnlyMemory<byte> Json, PeerCycle? Document, PeerValidationException? Invalid);

    /// <summary>The new document: typed (already in canonical form once written) or raw JSON from an untyped transform.</summary>
    private readonly record struct Proposal(PeerCycle? Typed, byte[]? Json);

    private async Task<PeerWriteResult> CommitAsync(string key, string? role, Func<Current, CancellationToken, ValueTask<Proposal>> compute, CancellationToken cancellationToken)
    {
        PeerKey.Parse(key);
        CheckRole(role);
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        ulong lastRevision = 0;
        for (var attempt = 1; ; attempt++)
        {
            ulong streamSequence = 0;
            if (_serializeOnStream)
            {
                await Nats(async () => { await _stream!.RefreshAsync(cancellationToken).ConfigureAwait(false); return 0; }, cancellationToken).ConfigureAwait(false);
                streamSequence = _stream!.Info.State.LastSeq;
            }
            var entry = await ReadRawAsync(key, 0, cancellationToken).ConfigureAwait(false);
            lastRevision = entry.Revision;
            if (_serializeOnStream && entry.Revision > streamSequence) continue;
            var current = Load(entry);
            var proposed = await compute(current, cancellationToken).ConfigureAwait(false);
            if (proposed.Typed is not null && proposed.Typed.Equals(current.Document))
            {
                LogUnchanged(key, entry.Revision);
                return new PeerWriteResult(key, entry.Revision, false, [], attempt);
            }
            var next = proposed.Typed is { } typed ? Canonical(key, typed, "the changed document") : Normalize(key, proposed.Json!, "the changed document");
            var changes = current.Document is null
                ? [new JsonChange(string.Empty, "(invalid document)", "(valid document)")]
                : JsonChanges.Between(current.Json, next);
            if (changes.Count == 0)
            {
                LogUnchanged(key, entry.Revision);
                return new PeerWriteResult(key, entry.Revision, false, changes, attempt);
            }
            CheckOwnership(key, role, changes);
            CheckSize(key, next);
            LogWrite(key, entry.Revision, next, changes);
            try
            {
                var revision = _serializeOnStream
                    ? await PublishOnStreamSequenceAsync(key, next, streamSequence, cancellationToken).ConfigureAwait(false)
                    : await Nats(() => store.UpdateAsync(key, next, entry.Revision, Raw, cancellationToken), cancellationToken, key).ConfigureAwait(false);
                LogWritten(key, revision);
                return new PeerWriteResult(key, revision, true, changes, attempt);
            }
            catch (NatsKVWrongLastRevisionException)
            {
                if (attempt > Options.MaxConflictRetries) throw new PeerConflictException(key, attempt, lastRevision);
                LogConflict(key, entry.Revision, attempt);
                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Operator recovery: writes the exact bytes of <paramref name="revision"/> as a new revision, by compare-and-set
    /// against the latest. A target that is not schema-valid is refused unless <paramref name="force"/>; an empty one always.
    /// </summary>
    public async Task<PeerWriteResult> RestoreAsync(string key, ulong revision, string role, bool force = false, CancellationToken cancellationToken = default)
    {
        PeerKey.Parse(key);
        CheckRole(role);
        if (role != PeerCycle.Superuser)
        {
            throw new PeerOwnershipException(key, role, [new OwnershipViolation("(restore)", [PeerCycle.Superuser ?? "(none)"])]);
        }
        var target = await ReadRawAsync(key, revision, cancellationToken).ConfigureAwait(false);
        if (target.Operation != PeerOperation.Put || target.Value.IsEmpty)
        {
            throw new PeerValidationException(key, [new Violation(string.Empty, "json", $"revision {revision} is {(target.Operation != PeerOperation.Put ? "a " + target.Operation.ToString().ToLowerInvariant() + " marker" : "empty")}; there is nothing to restore")]);
        }
        // A newer-version revision cannot be restored by a build that does not know its version (exit 8).
        PeerDocumentVersions.ToCurrent(key, target.Value);
        var validation = PeerDocumentVersions.Validate(key, target.Value);
        if (!validation.IsValid && !force)
        {
            throw new PeerValidationException(key, validation.Violations, $"revision {revision} is not schema-valid (restore it anyway with --force)");
        }
        // The latest revision may be a delete marker left by another tool; history sees it where a get does not.
        PeerRawEntry? latest = null;
        await foreach (var entry in HistoryAsync(key, cancellationToken).ConfigureAwait(false)) latest = entry;
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var bytes = target.Value.ToArray();
        LogWrite(key, latest!.Revision, bytes, [new JsonChange(string.Empty, $"(revision {latest.Revision})", $"(revision {revision})")]);
        try
        {
            var written = await Nats(() => store.UpdateAsync(key, bytes, latest.Revision, Raw, cancellationToken), cancellationToken, key).ConfigureAwait(false);
            LogWritten(key, written);
            return new PeerWriteResult(key, written, true, [], 1);
        }
        catch (NatsKVWrongLastRevisionException)
        {
            throw new PeerConflictException(key, 1, latest.Revision);
        }
    }

    /// <summary>
    /// Compare-and-set on the whole stream: the write is stored only if nothing was written to the bucket since
    /// <paramref name="streamSequence"/>. Used where the per-key check is not serialized by the cluster.
    /// </summary>
    private async Task<ulong> PublishOnStreamSequenceAsync(string key, byte[] value, ulong streamSequence, CancellationToken cancellationToken)
    {
        var ack = await Nats(() => _kv.JetStreamContext.PublishAsync($"$KV.{Options.Bucket}.{key}", value, Raw,
            new NatsJSPubOpts { ExpectedLastSequence = streamSequence, ExpectedStream = "KV_" + Options.Bucket }, cancellationToken: cancellationToken), cancellationToken, key).ConfigureAwait(false);
        if (ack.Error is { ErrCode: 10071 } wrongSequence) throw new NatsKVWrongLastRevisionException(wrongSequence);
        if (ack.Error is { } error) throw new PeerUnavailableException($"{key}: the server refused the write: {error.Description}");
        return ack.Seq;
    }

    /// <summary>Atomically allocates the next cycle number for <paramref name="prefix"/> (CAS on <c>&lt;prefix&gt;.cycle.current</c>).</summary>
    public async Task<int> NextCycleNumberAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var counterKey = PeerKey.CounterKey(prefix);
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        // Allocation must not fail under load the way a document write may: every caller needs a number.
        var attempts = Math.Max(Options.MaxConflictRetries, 100);
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            // The counter and the cycle keys together decide the number (CycleCounter); the probe afterwards skips a
            // number whose cycle was created directly between the listing and the counter's CAS.
            var highest = await HighestExistingCycleAsync(store, prefix, cancellationToken).ConfigureAwait(false);
            var result = await Nats(() => store.TryGetEntryAsync(counterKey, 0, Raw, cancellationToken), cancellationToken).ConfigureAwait(false);
            try
            {
                int next;
                if (!result.Success)
                {
                    next = CycleCounter.Next(null, highest);
                    await Nats(() => store.CreateAsync(counterKey, CycleCounter.Format(next), Raw, cancellationToken), cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    next = CycleCounter.Next(CycleCounter.Parse(counterKey, result.Value.Value ?? []), highest);
                    await Nats(() => store.UpdateAsync(counterKey, CycleCounter.Format(next), result.Value.Revision, Raw, cancellationToken), cancellationToken).ConfigureAwait(false);
                }
                if (await CycleKeyExistsAsync(store, $"{prefix}.cycle.{next}", cancellationToken).ConfigureAwait(false)) continue;
                return next;
            }
            catch (Exception ex) when (ex is NatsKVWrongLastRevisionException or NatsKVCreateException)
            {
                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
        throw new PeerConflictException(counterKey, attempts, 0);
    }

    // ---- the gate ------------------------------------------------------------------------------------------------

    private Current Load(PeerRawEntry entry)
    {
        if (entry.Operation != PeerOperation.Put) throw new PeerNotFoundException($"{entry.Key}: not found (the key was deleted)");
        // An older version is upgraded in memory (the write below stores the current version); a newer one throws.
        var stored = PeerDocumentVersions.ToCurrent(entry.Key, entry.Value);
        var validation = PeerCycle.Validate(stored.Span);
        if (!validation.IsValid)
        {
            return new Current(stored, null, new PeerValidationException(entry.Key, validation.Violations,
                $"stored revision {entry.Revision} is not schema-valid, so it cannot be changed (an operator can restore a good revision: `peer-typed doctor {entry.Key}`)"));
        }
        // Compare against the document as this writer would write it, so formatting differences are never "changes".
        var document = PeerCycle.Parse(stored.Span);
        return new Current(document.ToUtf8Bytes(), document, null);
    }

    /// <summary>Validates, checks the key, and returns the document in the one canonical form every write stores.</summary>
    private static byte[] Normalize(string key, ReadOnlyMemory<byte> json, string what)
    {
        var validation = PeerCycle.Validate(json.Span);
        if (!validation.IsValid) throw new PeerValidationException(key, validation.Violations, what + " is invalid");
        return Canonical(key, PeerCycle.Parse(json.Span), what);
    }

    /// <summary>
    /// Writes a typed document, validates the bytes (typed values can still break minimum, pattern or maxItems) and
    /// checks it against its key. The writer's output is the canonical form, so it is stored as it is.
    /// </summary>
    private static byte[] Canonical(string key, PeerCycle document, string what)
    {
        var bytes = document.ToUtf8Bytes();
        var validation = PeerCycle.Validate(bytes);
        if (!validation.IsValid) throw new PeerValidationException(key, validation.Violations, what + " is invalid");
        var (prefix, cycleNumber) = PeerKey.Parse(key);
        var mismatches = new List<Violation>();
        if (document.CycleId != key) mismatches.Add(new Violation("/cycle_id", "key", $"\"{document.CycleId}\" must equal the key \"{key}\""));
        if (document.Metadata.KeyPrefix != prefix) mismatches.Add(new Violation("/metadata/key_prefix", "key", $"\"{document.Metadata.KeyPrefix}\" must equal the key's prefix \"{prefix}\""));
        if (document.Metadata.CycleNumber != cycleNumber) mismatches.Add(new Violation("/metadata/cycle_number", "key", $"{document.Metadata.CycleNumber} must equal the key's cycle number {cycleNumber}"));
        if (mismatches.Count > 0) throw new PeerValidationException(key, mismatches, what + " does not match its key");
        return bytes;
    }

    private static void CheckOwnership(string key, string? role, IReadOnlyList<JsonChange> changes)
    {
        if (role is not null && role == PeerCycle.Superuser) return;
        if (role is not null)
        {
            var denied = changes.Where(c => !PeerCycle.MayWrite(role, c.Pointer)).Select(c => new OwnershipViolation(c.Pointer, PeerCycle.OwnersOf(c.Pointer))).ToList();
            if (denied.Count > 0) throw new PeerOwnershipException(key, role, denied);
            return;
        }
        // No role given: metadata (owned by every role) plus the sections of at most one role.
        var owners = changes.Select(c => (Change: c, Owners: PeerCycle.OwnersOf(c.Pointer)))
            .Where(c => !c.Owners.Contains("*"))
            .GroupBy(c => string.Join(",", c.Owners))
            .ToList();
        if (owners.Count > 1)
        {
            throw new PeerOwnershipException(key, null, owners.SelectMany(g => g).OrderBy(c => c.Change.Pointer, StringComparer.Ordinal).Select(c => new OwnershipViolation(c.Change.Pointer, c.Owners)).ToList());
        }
    }

    private void CheckSize(string key, byte[] document)
    {
        if (document.Length > Options.MaxValueSize)
        {
            throw new PeerValidationException(key, [new Violation(string.Empty, "maxValueSize", $"the document is {document.Length} bytes, over the bucket's max value size of {Options.MaxValueSize} bytes")]);
        }
    }

    private static void CheckRole(string? role)
    {
        if (role is not null && !PeerCycle.Roles.Contains(role))
        {
            throw new PeerUsageException($"unknown role '{role}'; expected one of {string.Join(", ", PeerCycle.Roles)}");
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        var ceiling = Options.ConflictBackoff.Ticks << Math.Min(attempt - 1, 6);
        return TimeSpan.FromTicks(Random.Shared.NextInt64(Options.ConflictBackoff.Ticks / 2, ceiling + 1));
    }

    /// <summary>Maps transport failures to one clear, credential-free error.</summary>
    private async ValueTask<T> Nats<T>(Func<ValueTask<T>> call, CancellationToken cancellationToken, string? key = null)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsNoRespondersException or NatsJSApiNoResponseException)
        {
            throw new PeerUnavailableException($"NATS at {_servers} did not answer the JetStream request (is JetStream enabled?)", ex);
        }
        catch (Exception ex) when (ex is TimeoutException or NatsJSTimeoutException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new PeerUnavailableException($"NATS at {_servers} timed out", ex);
        }
        catch (NatsJSApiException ex) when (ex.Error.Code is 503)
        {
            throw new PeerUnavailableException($"NATS at {_servers}: JetStream is unavailable: {ex.Error.Description}", ex);
        }
        catch (NatsJSApiException ex) when (ex.Error.ErrCode == 10054 || ex.Error.Description?.Contains("maximum message size", StringComparison.OrdinalIgnoreCase) == true)
        {
            throw new PeerValidationException(key ?? Options.Bucket, [new Violation(string.Empty, "maxValueSize", "the server rejected the document as over the bucket's max value size: " + ex.Error.Description)]);
        }
        catch (NatsException ex) when (ex is not NatsKVException and not NatsJSApiException and not NatsJSException)
        {
            throw new PeerUnavailableException($"NATS at {_servers}: {Redact(ex.Message, _secrets)}", ex);
        }
    }

    private static Exception Innermost(Exception ex) => ex.InnerException is null ? ex : Innermost(ex.InnerException);

    internal static string Redact(string message, IEnumerable<string> secrets) =>
        secrets.Aggregate(message, (text, secret) => text.Replace(secret, "***", StringComparison.Ordinal));

    // ---- logging -------------------------------------------------------------------------------------------------

    private const int FullJsonLimit = 5000;
    private const int PreviewLength = 1000;

    private void LogWrite(string key, ulong baseRevision, byte[] json, IReadOnlyList<JsonChange> changes)
    {
        if (!_logger.IsEnabled(LogLevel.Information)) return;
        LogWriting(key, baseRevision, json.Length, changes.Count);
        foreach (var change in changes) LogChange(key, change.ToString());
        var text = Encoding.UTF8.GetString(json);
        if (json.Length < FullJsonLimit) LogFullJson(key, text);
        else LogJsonPreview(key, PreviewLength, text[..Math.Min(PreviewLength, text.Length)]);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Writing {Key} based on revision {BaseRevision}: {Size} bytes, {ChangeCount} change(s)")]
    private partial void LogWriting(string key, ulong baseRevision, int size, int changeCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Key} change {Change}")]
    private partial void LogChange(string key, string change);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Key} full JSON: {Json}")]
    private partial void LogFullJson(string key, string json);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Key} JSON preview (first {Length} chars): {Json}")]
    private partial void LogJsonPreview(string key, int length, string json);

    [LoggerMessage(Level = LogLevel.Information, Message = "Wrote {Key} at revision {Revision}")]
    private partial void LogWritten(string key, ulong revision);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Key} unchanged at revision {Revision}; nothing written")]
    private partial void LogUnchanged(string key, ulong revision);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Key} changed underneath revision {Revision} (attempt {Attempt}); re-reading and re-applying")]
    private partial void LogConflict(string key, ulong revision, int attempt);
}
