using PeerTyped.Contracts;

namespace PeerTyped.Client;

/// <summary>A document as stored: its key, the revision it was read at, and its typed and raw forms.</summary>
public sealed record PeerEntry(string Key, ulong Revision, DateTimeOffset Created, PeerCycle Document, ReadOnlyMemory<byte> Json);

/// <summary>One stored revision, whatever it holds (including malformed or empty values left by other tools).</summary>
public sealed record PeerRawEntry(string Key, ulong Revision, DateTimeOffset Created, PeerOperation Operation, ReadOnlyMemory<byte> Value);

/// <summary>What a revision in the stream is.</summary>
public enum PeerOperation
{
    Put,
    Delete,
    Purge,
}

/// <summary>The outcome of a write: the revision now current, what changed, and how many attempts it took.</summary>
public sealed record PeerWriteResult(string Key, ulong Revision, bool Changed, IReadOnlyList<JsonChange> Changes, int Attempts);

/// <summary>The bucket's settings as the server reports them; <c>Leader</c> is the server leading its stream on a cluster.</summary>
public sealed record PeerBucketInfo(string Bucket, long History, int Replicas, string Storage, long MaxValueSize, ulong Values, ulong Bytes, bool IsCluster, string? Leader = null)
{
    /// <summary>The stream refuses deleting single messages (the KV layer sets it).</summary>
    public bool DenyDelete { get; init; }

    /// <summary>The stream refuses the purge API.</summary>
    public bool DenyPurge { get; init; }

    /// <summary>The stream accepts <c>Nats-Rollup</c> headers: one publish can erase a key's history, or every key.</summary>
    public bool AllowRollup { get; init; }

    /// <summary>Revisions older than this are dropped (zero: kept until the history limit).</summary>
    public TimeSpan MaxAge { get; init; }
}
