using System.Runtime.CompilerServices;
using NATS.Client.KeyValueStore;

namespace PeerTyped.Client;

public sealed partial class PeerStateStore
{
    /// <summary>
    /// Checks a key filter in NATS subject syntax: a key, or tokens with <c>*</c> (one token) and a final <c>&gt;</c>
    /// (the rest), as natscli's <c>kv watch</c> takes them. Returns the filter.
    /// </summary>
    public static string CheckFilter(string filter)
    {
        if (string.IsNullOrEmpty(filter)) throw new PeerUsageException("an empty key filter; give a key, a prefix, or a filter such as peer.spec.x.> or peer.spec.*.cycle.1");
        if (filter.Any(char.IsWhiteSpace)) throw new PeerUsageException($"'{filter}': a key filter cannot contain white space");
        var tokens = filter.Split('.');
        for (var i = 0; i < tokens.Length; i++)
        {
            var token = tokens[i];
            if (token.Length == 0) throw new PeerUsageException($"'{filter}': a key filter cannot have empty tokens");
            if (token == ">" && i != tokens.Length - 1) throw new PeerUsageException($"'{filter}': '>' must be the last token of a key filter");
            if (token is not ("*" or ">") && (token.Contains('*') || token.Contains('>'))) throw new PeerUsageException($"'{filter}': '*' and '>' must be whole tokens of a key filter");
        }
        return filter;
    }

    /// <summary>
    /// The latest entry of every key matching <paramref name="filter"/> (deleted keys left out), in the order the stream
    /// holds them, and then the enumeration ends: a snapshot, not a watch.
    /// </summary>
    public async IAsyncEnumerable<PeerRawEntry> ListAsync(string filter = ">", [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        CheckFilter(filter);
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var options = new NatsKVWatchOpts { IgnoreDeletes = true, OnNoData = _ => new ValueTask<bool>(true) };
        await using var entries = store.WatchAsync(filter, Raw, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (await Nats(() => entries.MoveNextAsync(), cancellationToken).ConfigureAwait(false))
        {
            yield return ToRaw(entries.Current);
            // Delta counts the messages still pending for the filter: 0 is the last of the current values.
            if (entries.Current.Delta == 0) yield break;
        }
    }

    /// <summary>The current value of every key matching <paramref name="filter"/>, then every change to them, until cancelled.</summary>
    public async IAsyncEnumerable<PeerRawEntry> WatchFilterAsync(string filter, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        CheckFilter(filter);
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var entry in store.WatchAsync(filter, Raw, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return ToRaw(entry);
        }
    }

    /// <summary>The keys matching <paramref name="filter"/> that hold a value (deleted ones left out), without their values.</summary>
    public async IAsyncEnumerable<string> KeysAsync(string filter = ">", [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        CheckFilter(filter);
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        await using var keys = store.GetKeysAsync([filter], cancellationToken: cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (await Nats(() => keys.MoveNextAsync(), cancellationToken).ConfigureAwait(false)) yield return keys.Current;
    }
}
