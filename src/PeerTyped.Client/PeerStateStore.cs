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
/// The typed store: connection and bucket administration here; reads in <c>PeerStateStore.Reads.cs</c>; the one write
/// path in <c>PeerStateStore.Writes.cs</c> (the rules in <see cref="PeerWriteRules"/>, the compare-and-set strategy in
/// <c>PeerStateStore.Cas.cs</c>), which the gate service (<see cref="PeerGateService"/>) and direct mode share.
/// Every write is validated against the schema, checked for ownership by comparing the old and new documents, and
/// committed by compare-and-set on the revision it was computed from; a conflict re-reads and re-applies the change
/// until the retry deadline, it never overwrites.
/// </summary>
public sealed partial class PeerStateStore : IPeerStateStore, IAsyncDisposable
{
    private static readonly NatsRawSerializer<byte[]> Raw = NatsRawSerializer<byte[]>.Default;

    private readonly INatsConnection _connection;
    private readonly bool _ownsConnection;
    private readonly NatsKVContext _kv;
    private readonly ILogger _logger;
    private readonly string _servers;
    private readonly string[] _secrets;
    private INatsKVStore? _store;
    private BucketStream? _stream;
    private bool _serializeOnStream;
    private readonly string? _user;
    private bool _leaveSocketToExit;

    /// <summary>Uses an existing connection (for hosts that share one); the caller keeps ownership of it.</summary>
    public PeerStateStore(INatsConnection connection, PeerStoreOptions? options = null, ILogger? logger = null)
        : this(connection, ownsConnection: false, options, logger, connection.Opts.Url, [], connection.Opts.AuthOpts.Username)
    {
    }

    private PeerStateStore(INatsConnection connection, bool ownsConnection, PeerStoreOptions? options, ILogger? logger, string servers, string[] secrets, string? user)
    {
        _user = user;
        _connection = connection;
        _ownsConnection = ownsConnection;
        Options = options ?? new PeerStoreOptions();
        _logger = logger ?? NullLogger.Instance;
        _servers = servers;
        _secrets = secrets;
        _kv = new NatsKVContext(new NatsJSContext((NatsConnection)connection));
        connection.ServerError += OnServerErrorAsync;
    }

    /// <summary>
    /// The NATS connection the store talks through: the host's own (never disposed by the store) or the one it opened.
    /// The gate service answers on it; a host may share it, but writes to the bucket belong to the store.
    /// </summary>
    public INatsConnection Connection => _connection;

    /// <summary>The servers as shown in messages (no credentials).</summary>
    internal string Servers => _servers;

    public PeerStoreOptions Options { get; }

    /// <summary>The limits a document must fit, from the bucket's stream (once opened) and the server's INFO.</summary>
    internal PeerSizeLimit SizeLimit => new(_stream?.MaxMsgSize ?? Options.MaxValueSize, _connection.ServerInfo?.MaxPayload ?? 0, Options.Bucket);

    /// <summary>Connects to NATS; an unreachable server is one <see cref="PeerUnavailableException"/> naming the URL.</summary>
    public static async Task<PeerStateStore> ConnectAsync(PeerConnectionOptions connection, PeerStoreOptions? options = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        PeerSettings.Check(connection, options);
        (string PublicKey, string Seed)? nkey = connection.NKeyFile is null ? null : ReadNKey(connection.NKeyFile);
        var secrets = new[] { connection.Password, connection.Token, nkey?.Seed }.Where(s => !string.IsNullOrEmpty(s)).Select(s => s!).ToArray();
        var opts = NatsOpts.Default with
        {
            Url = string.Join(",", connection.Servers),
            Name = connection.ClientName,
            ConnectTimeout = connection.ConnectTimeout,
            RequestTimeout = connection.RequestTimeout,
            CommandTimeout = connection.RequestTimeout,
            PingInterval = connection.PingInterval,
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
        var nats = await OpenAsync(opts, connection, secrets, cancellationToken).ConfigureAwait(false);
        return new PeerStateStore(nats, ownsConnection: true, options, logger, connection.DisplayServers, secrets, connection.User) { _leaveSocketToExit = connection.ShortLived };
    }

    /// <summary>
    /// Connects with NATS.Net's own options, for hosts that already configure NATS.Net; the store owns (and disposes)
    /// the connection. Failures are the same <see cref="PeerUnavailableException"/> as with <see cref="PeerConnectionOptions"/>.
    /// </summary>
    public static async Task<PeerStateStore> ConnectAsync(NatsOpts natsOpts, PeerStoreOptions? options = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(natsOpts);
        var auth = natsOpts.AuthOpts;
        // Described as PeerConnectionOptions only for messages: which servers, which kind of credentials.
        var described = new PeerConnectionOptions
        {
            Servers = natsOpts.Url.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            User = auth.Username,
            Token = auth.Token,
            CredsFile = auth.CredsFile,
            ConnectTimeout = natsOpts.ConnectTimeout,
        };
        if (options is not null) PeerSettings.CheckBucket(options.Bucket);
        var secrets = new[] { auth.Password, auth.Token, auth.Seed, auth.Jwt }.Where(s => !string.IsNullOrEmpty(s)).Select(s => s!).ToArray();
        var nats = await OpenAsync(natsOpts, described, secrets, cancellationToken).ConfigureAwait(false);
        return new PeerStateStore(nats, ownsConnection: true, options, logger, described.DisplayServers, secrets, auth.Username);
    }

    /// <summary>Opens the connection now, so that an unreachable server or refused credentials is one clear error here.</summary>
    private static async Task<NatsConnection> OpenAsync(NatsOpts opts, PeerConnectionOptions described, string[] secrets, CancellationToken cancellationToken)
    {
        // The constructor names the inbox on this thread: a short-lived connection's name comes without OpenSSL.
        if (described.ShortLived) InboxSeed.SeedThisThread();
        var nats = new NatsConnection(opts);
        try
        {
            await nats.ConnectAsync().AsTask().WaitAsync(described.ConnectTimeout + TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException or IOException or OperationCanceledException)
        {
            await nats.DisposeAsync().ConfigureAwait(false);
            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested) throw;
            throw PeerConnectFailure.From(described, Redact(Innermost(ex).Message, secrets));
        }
        return nats;
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
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException or NATS.NKeys.NKeysException)
        {
            throw new PeerUsageException($"the nkey file {path} holds no valid user seed (bad encoding or checksum)");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _connection.ServerError -= OnServerErrorAsync;
        if (_ownsConnection && !_leaveSocketToExit) await _connection.DisposeAsync().ConfigureAwait(false);
    }

    // ---- bucket --------------------------------------------------------------------------------------------------

    /// <summary>
    /// Creates the bucket if it is missing. An existing bucket is hardened like a new one (deny_delete, deny_purge, no
    /// rollup headers) when this user may update the stream; its other settings, when they differ, are reported, not changed.
    /// </summary>
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
            if (existing.DenyDelete && existing.DenyPurge && !existing.AllowRollup) return existing;
            // A bucket made by an older peer-typed, by `nats kv add` or by the seed's scripts: harden it the way a new one is.
            try
            {
                await HardenStreamAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NatsJSApiException or PeerUnavailableException or NatsNoRespondersException)
            {
                LogNotHardened(Options.Bucket, ex.Message);
                return existing;
            }
            LogHardened(Options.Bucket);
            return (await TryGetBucketInfoAsync(cancellationToken).ConfigureAwait(false))!;
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
            await HardenStreamAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException ex)
        {
            throw new PeerUnavailableException($"cannot create bucket {Options.Bucket} on {_servers}: {ex.Error.Description}", ex);
        }
        return (await TryGetBucketInfoAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Sets what the KV layer leaves open: <c>deny_purge</c> (no stream purge API, not even for a user allowed to call
    /// it) and no rollup headers (a <c>Nats-Rollup: all</c> publish would erase every key; PeerTyped never rolls up,
    /// and KV purge markers need rollup, so they are refused too). <c>deny_delete</c> is already set by the KV layer.
    /// nats-server 2.9 accepts turning these on in a stream update; it refuses turning deny_delete/deny_purge off again.
    /// </summary>
    private async Task HardenStreamAsync(CancellationToken cancellationToken)
    {
        var js = _kv.JetStreamContext;
        var stream = await Nats(() => js.GetStreamAsync("KV_" + Options.Bucket, cancellationToken: cancellationToken), cancellationToken).ConfigureAwait(false);
        var config = stream.Info.Config;
        if (config.DenyDelete && config.DenyPurge && !config.AllowRollupHdrs) return;
        config.DenyDelete = true;
        config.DenyPurge = true;
        config.AllowRollupHdrs = false;
        await Nats(() => js.UpdateStreamAsync(config, cancellationToken), cancellationToken).ConfigureAwait(false);
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
                config.MaxMsgSize, (ulong)status.Info.State.Messages, (ulong)status.Info.State.Bytes, status.Info.Cluster?.Name is not null, status.Info.Cluster?.Leader)
            {
                DenyDelete = config.DenyDelete,
                DenyPurge = config.DenyPurge,
                AllowRollup = config.AllowRollupHdrs,
                MaxAge = config.MaxAge,
            };
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// The bucket's stream and its settings (size limit, replicas, direct get), fetched with one JetStream request
    /// (STREAM.INFO) the first time anything needs the bucket and kept for the store's lifetime. Reads and writes go to
    /// the stream directly after that, so a command sends at most this one request before its first KV operation
    /// (issue 15: no set-up tax per call).
    /// </summary>
    private async ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        if (_stream is not null) return;
        BucketStream stream;
        try
        {
            stream = await StreamInfoAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
            throw BucketNotFound();
        }
        if (stream.MaxMsgsPerSubject < 1) throw new PeerNotFoundException($"stream KV_{Options.Bucket} on {_servers} is not a key-value bucket");
        _serializeOnStream = Options.CasMode == PeerCasMode.Stream || (Options.CasMode == PeerCasMode.Auto && stream.Replicas > 1);
        _stream = stream;
    }

    /// <summary>
    /// NATS.Net's KV store, for what it does well: history, watch and key listings. Opening it costs a STREAM.INFO of
    /// its own, so single reads and writes do not use it.
    /// </summary>
    private async ValueTask<INatsKVStore> StoreAsync(CancellationToken cancellationToken)
    {
        if (_store is not null) return _store;
        try
        {
            return _store = await Nats(() => _kv.GetStoreAsync(Options.Bucket, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
            throw BucketNotFound();
        }
    }

    private PeerNotFoundException BucketNotFound() => new($"bucket {Options.Bucket} does not exist on {_servers}; create it with `peer-typed bucket init`");

    /// <summary>Makes <see cref="SizeLimit"/> the bucket's own before a write is planned (the gate plans writes for others).</summary>
    internal ValueTask EnsureWriteSettingsAsync(CancellationToken cancellationToken) => OpenAsync(cancellationToken);

    /// <summary>Maps transport failures to one clear, credential-free error.</summary>
    private async ValueTask<T> Nats<T>(Func<ValueTask<T>> call, CancellationToken cancellationToken, string? key = null)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (NatsNoRespondersException ex)
        {
            throw new PeerUnavailableException($"NATS at {_servers} has no JetStream to answer the request (is JetStream enabled?)", ex);
        }
        catch (Exception ex) when (ex is NatsJSApiNoResponseException or NatsNoReplyException)
        {
            throw new PeerUnavailableException($"NATS at {_servers} did not answer a JetStream request within {_connection.Opts.RequestTimeout.TotalSeconds:0.###} s", ex, timedOut: true);
        }
        catch (Exception ex) when (ex is TimeoutException or NatsJSTimeoutException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new PeerUnavailableException($"NATS at {_servers} timed out", ex, timedOut: true);
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

}
