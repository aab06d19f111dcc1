using System.Runtime.CompilerServices;
using PeerTyped.Contracts;

namespace PeerTyped.Client;

/// <summary>Operator tools for schema evolution: listing the cycle keys to check or migrate, and migrating one key.</summary>
public sealed partial class PeerStateStore
{
    /// <summary>
    /// Every cycle key (<c>peer.….cycle.&lt;N&gt;</c>, not counters) under <paramref name="prefix"/> (a key prefix such as
    /// <c>peer.spec.my-feature</c> or <c>peer.spec</c>; null: the whole bucket), in ordinal order, from one filtered key listing.
    /// </summary>
    public async IAsyncEnumerable<string> CycleKeysAsync(string? prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (prefix is not null) PeerKey.CheckNatsKey(prefix, "prefix");
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var keys = new List<string>();
        // One filter subject only: multi-filter consumers need nats-server 2.10.
        await using (var listing = store.GetKeysAsync([prefix is null ? ">" : prefix + ".>"], cancellationToken: cancellationToken).GetAsyncEnumerator(cancellationToken))
        {
            while (await Nats(() => listing.MoveNextAsync(), cancellationToken).ConfigureAwait(false))
            {
                if (PeerKey.IsCycleKey(listing.Current)) keys.Add(listing.Current);
            }
        }
        keys.Sort(StringComparer.Ordinal);
        foreach (var key in keys) yield return key;
    }

    /// <summary>
    /// Stores <paramref name="key"/>'s latest revision as the current schema version, as the operator, by the same
    /// compare-and-set write as every update (through the gate when this store writes through it). A key already at
    /// the current version is left alone (<see cref="PeerWriteResult.Changed"/> false), so re-running after an
    /// interruption skips what is done. Old revisions stay in the history.
    /// </summary>
    public Task<PeerWriteResult> MigrateAsync(string key, CancellationToken cancellationToken = default) =>
        UpdateJsonAsync(key, PeerCycle.Superuser, (upgraded, _) => ValueTask.FromResult(upgraded.ToArray()), cancellationToken);
}
