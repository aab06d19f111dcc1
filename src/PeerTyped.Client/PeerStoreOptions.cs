using NATS.Client.Core;

namespace PeerTyped.Client;

/// <summary>Where and how to connect to NATS. Secrets given here never appear in logs or error messages.</summary>
public sealed record PeerConnectionOptions
{
    /// <summary>Server URLs; several are tried in turn (cluster seeds).</summary>
    public IReadOnlyList<string> Servers { get; init; } = ["nats://127.0.0.1:4222"];

    /// <summary>A NATS credentials file (JWT + nkey seed).</summary>
    public string? CredsFile { get; init; }

    public string? User { get; init; }

    public string? Password { get; init; }

    public string? Token { get; init; }

    /// <summary>An nkey seed file, for nkey authentication without a JWT.</summary>
    public string? NKeyFile { get; init; }

    /// <summary>CA certificate that signs the server's certificate.</summary>
    public string? TlsCaFile { get; init; }

    /// <summary>Client certificate and key, for mutual TLS.</summary>
    public string? TlsCertFile { get; init; }

    public string? TlsKeyFile { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often an idle connection pings the server to notice it died (NATS.Net's default, 2 minutes). Zero turns
    /// pings off: right for a connection that lives for one command, where request timeouts notice a dead server and
    /// the ping timer's shutdown costs a few milliseconds per process.
    /// </summary>
    public TimeSpan PingInterval { get; init; } = NatsOpts.Default.PingInterval;

    /// <summary>
    /// A connection for one short command that exits right after (the CLI): its inbox is named without loading OpenSSL
    /// (<see cref="InboxSeed"/>), and disposing the store leaves the socket to the process's exit rather than waiting for
    /// NATS.Net's orderly shutdown of its reader and writer. Every request has been answered by then, so nothing is lost;
    /// a long-lived host keeps the default.
    /// </summary>
    public bool ShortLived { get; init; }

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The connection's name as the server shows it.</summary>
    public string ClientName { get; init; } = "peer-typed";

    /// <summary>Whether any credentials are given (user, token, nkey, creds file, client certificate).</summary>
    public bool IsAuthenticated => User is not null || Token is not null || NKeyFile is not null || CredsFile is not null || TlsCertFile is not null;

    /// <summary>The server list with any user:password@ removed, for messages.</summary>
    public string DisplayServers => string.Join(",", Servers.Select(RedactUrl));

    internal static string RedactUrl(string url)
    {
        var at = url.IndexOf('@', StringComparison.Ordinal);
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        return at < 0 ? url : (scheme < 0 ? string.Empty : url[..(scheme + 3)]) + "***@" + url[(at + 1)..];
    }
}

/// <summary>Storage for the bucket.</summary>
public enum PeerBucketStorage
{
    File,
    Memory,
}

/// <summary>The bucket and the write policy.</summary>
public sealed record PeerStoreOptions
{
    public const string DefaultBucket = "agent-os-peer-state";

    public string Bucket { get; init; } = DefaultBucket;

    /// <summary>Revisions kept per key: what an operator can restore from.</summary>
    public int History { get; init; } = 64;

    public int Replicas { get; init; } = 1;

    public PeerBucketStorage Storage { get; init; } = PeerBucketStorage.File;

    /// <summary>The largest document the bucket accepts, in bytes.</summary>
    public int MaxValueSize { get; init; } = 1024 * 1024;

    /// <summary>
    /// The retry budget of one write: conflicts are re-read and re-applied, and unanswered writes resolved, with
    /// full-jitter back-off until this much time has passed since the write began. Then a conflict is reported (exit 3),
    /// or, for a write that was sent and never answered, "outcome unknown" (exit 7).
    /// </summary>
    public TimeSpan RetryTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>An optional cap on conflict retries on top of <see cref="RetryTimeout"/> (null: only the deadline counts).</summary>
    public int? MaxConflictRetries { get; init; }

    /// <summary>
    /// Where writes go: straight to the bucket (<see cref="PeerWriteMode.Direct"/>), to the gate service
    /// (<see cref="PeerWriteMode.Gate"/>), or to the gate when one answers discovery (<see cref="PeerWriteMode.Auto"/>).
    /// Reads always go to the bucket.
    /// </summary>
    public PeerWriteMode WriteMode { get; init; } = PeerWriteMode.Direct;

    /// <summary>
    /// How compare-and-set is enforced. Per-key CAS (<c>Nats-Expected-Last-Subject-Sequence</c>) is only a pre-check on
    /// clustered streams in nats-server before 2.9.21 (nats-io/nats-server#4320), so concurrent writers can both win;
    /// <see cref="PeerCasMode.Auto"/> therefore serializes writes to a replicated bucket on the stream's last sequence.
    /// </summary>
    public PeerCasMode CasMode { get; init; } = PeerCasMode.Auto;

    /// <summary>
    /// Plan every write and stop before sending it: the document is read, changed, validated and ownership-checked,
    /// the change is logged, and the result says what would be written (<see cref="PeerWriteResult.Changed"/>, its
    /// changes, <see cref="PeerWriteResult.Revision"/> = the revision it was computed from). A write that would fail
    /// fails the same way. Nothing is sent; a create or restore is checked the same way, and <c>cycle next</c> returns
    /// the number it would allocate without allocating it.
    /// </summary>
    public bool DryRun { get; init; }

    /// <summary>First back-off ceiling after a conflict; it doubles per attempt (capped at 64×), and the wait is drawn uniformly below it (full jitter).</summary>
    public TimeSpan ConflictBackoff { get; init; } = TimeSpan.FromMilliseconds(2);
}

/// <summary>What a write's compare-and-set is checked against.</summary>
public enum PeerCasMode
{
    /// <summary>Per key on a single-replica bucket; on the whole stream for a replicated one.</summary>
    Auto,
    /// <summary>The key's last revision (KV update): concurrent writers to other keys never conflict.</summary>
    PerKey,
    /// <summary>The stream's last sequence: any concurrent write to the bucket conflicts and is retried.</summary>
    Stream,
}

/// <summary>Where a store sends its writes.</summary>
public enum PeerWriteMode
{
    /// <summary>Compare-and-set straight into the bucket, with the rules checked in this process.</summary>
    Direct,
    /// <summary>Through the <c>peer-typed gate</c> service, which checks the rules again with the authenticated role and writes.</summary>
    Gate,
    /// <summary>The gate when one answers <c>$SRV.PING.peer-typed-gate</c> on the first write, direct otherwise.</summary>
    Auto,
}
