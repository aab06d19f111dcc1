using PeerTyped.Contracts;
using PeerTyped.Runtime;

namespace PeerTyped.Client;

/// <summary>
/// The typed PEER state store as callers use it: reads, history and watch, creates and the one write path (validated,
/// ownership-checked, compare-and-set), restore, the cycle counter and the bucket. <see cref="PeerStateStore"/>
/// implements it; <c>AddPeerTyped</c> registers it in a service container.
/// </summary>
public interface IPeerStateStore
{
    /// <summary>The bucket and write policy.</summary>
    PeerStoreOptions Options { get; }

    /// <summary>Reads the current document and its revision from one entry read.</summary>
    Task<PeerEntry> ReadAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Reads the document as it was at <paramref name="revision"/>.</summary>
    Task<PeerEntry> ReadAsync(string key, ulong revision, CancellationToken cancellationToken = default);

    /// <summary>Reads a stored value as it is, valid or not (revision 0: the latest).</summary>
    Task<PeerRawEntry> ReadRawAsync(string key, ulong revision = 0, CancellationToken cancellationToken = default);

    /// <summary>Every revision of <paramref name="key"/> still in the bucket's history, oldest first.</summary>
    IAsyncEnumerable<PeerRawEntry> HistoryAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>The current value and then every change to it, until cancelled.</summary>
    IAsyncEnumerable<PeerRawEntry> WatchAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>The latest entry of every key matching <paramref name="filter"/> (a prefix, <c>*</c> or <c>&gt;</c> wildcards), deleted keys left out.</summary>
    IAsyncEnumerable<PeerRawEntry> ListAsync(string filter = ">", CancellationToken cancellationToken = default);

    /// <summary>The keys matching <paramref name="filter"/> that hold a value, without their values.</summary>
    IAsyncEnumerable<string> KeysAsync(string filter = ">", CancellationToken cancellationToken = default);

    /// <summary>The current value of every key matching <paramref name="filter"/>, then every change to them, until cancelled.</summary>
    IAsyncEnumerable<PeerRawEntry> WatchFilterAsync(string filter, CancellationToken cancellationToken = default);

    /// <summary>Creates <paramref name="key"/> with <paramref name="document"/>; fails if the key exists.</summary>
    Task<PeerWriteResult> CreateAsync(string key, PeerCycle document, string? role = PeerCycleRoles.Orchestrator, CancellationToken cancellationToken = default);

    /// <summary>Creates <paramref name="key"/> from raw JSON, after the same validation as every write.</summary>
    Task<PeerWriteResult> CreateJsonAsync(string key, ReadOnlyMemory<byte> json, string? role = PeerCycleRoles.Orchestrator, CancellationToken cancellationToken = default);

    /// <summary>Changes the document as <typeparamref name="TView"/>'s role: only what that role owns can be changed.</summary>
    Task<PeerWriteResult> UpdateAsync<TView>(string key, Func<TView, TView> change, CancellationToken cancellationToken = default)
        where TView : IRoleView<TView, PeerCycle>;

    /// <summary>Changes the typed document as <paramref name="role"/> (null: metadata plus at most one section).</summary>
    Task<PeerWriteResult> UpdateAsync(string key, string? role, Func<PeerCycle, PeerCycle> change, CancellationToken cancellationToken = default);

    /// <summary>Changes the document by a transformation of its JSON (a jq filter, a merge patch), run again on every attempt.</summary>
    Task<PeerWriteResult> UpdateJsonAsync(string key, string? role, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask<byte[]>> transform, CancellationToken cancellationToken = default);

    /// <summary>Writes the exact bytes of <paramref name="revision"/> as a new revision (operator only).</summary>
    Task<PeerWriteResult> RestoreAsync(string key, ulong revision, string role, bool force = false, CancellationToken cancellationToken = default);

    /// <summary>Allocates the next cycle number of <paramref name="prefix"/> atomically.</summary>
    Task<int> NextCycleNumberAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>The latest cycle number of <paramref name="prefix"/> without allocating; null when there is none.</summary>
    Task<int?> CurrentCycleNumberAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Creates the bucket if it is missing, or hardens an existing one; other differing settings are reported, not changed.</summary>
    Task<PeerBucketInfo> EnsureBucketAsync(CancellationToken cancellationToken = default);

    /// <summary>The bucket's settings and size, or null when it does not exist.</summary>
    Task<PeerBucketInfo?> TryGetBucketInfoAsync(CancellationToken cancellationToken = default);
}
