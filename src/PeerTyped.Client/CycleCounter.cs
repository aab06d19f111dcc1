using System.Globalization;
using System.Text;
using System.Text.Json;
using NATS.Client.KeyValueStore;
using PeerTyped.Runtime;

namespace PeerTyped.Client;

/// <summary>
/// The cycle counter <c>&lt;prefix&gt;.cycle.current</c>: how its stored value is read and how the next cycle number is
/// chosen. Upstream Agent OS writes it with <c>echo N | nats kv put</c>, so a stored value may carry a trailing newline
/// (or other white space around the digits); the number is what counts. The counter is a hint, the cycle keys are the
/// truth: the next number is past both the counter and the highest <c>&lt;prefix&gt;.cycle.&lt;N&gt;</c> that exists, so
/// a cycle created without the counter (or a counter that fell behind) can never be handed out again.
/// </summary>
public static class CycleCounter
{
    /// <summary>The last key token of a counter key.</summary>
    public const string Suffix = ".cycle.current";

    /// <summary>Whether <paramref name="key"/> is the counter of a valid PEER prefix; <paramref name="prefix"/> is that prefix.</summary>
    public static bool IsCounterKey(string? key, out string prefix)
    {
        prefix = string.Empty;
        if (key is null || !key.EndsWith(Suffix, StringComparison.Ordinal)) return false;
        var candidate = key[..^Suffix.Length];
        try
        {
            PeerKey.CheckPrefix(candidate);
        }
        catch (PeerUsageException)
        {
            return false;
        }
        prefix = candidate;
        return true;
    }

    /// <summary>
    /// The number a counter holds: digits with optional surrounding white space (<c>"3"</c>, <c>"3\n"</c>, <c>" 3 "</c>).
    /// Anything else throws a <see cref="PeerValidationException"/> whose message is one line (the value is shown
    /// JSON-quoted, so a stored newline cannot split the ERROR line).
    /// </summary>
    public static int Parse(string counterKey, ReadOnlySpan<byte> stored)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(stored);
        }
        catch (DecoderFallbackException)
        {
            throw Bad(counterKey, "bytes that are not UTF-8");
        }
        var trimmed = text.Trim();
        if (trimmed.Length > 0 && trimmed.All(char.IsAsciiDigit)
            && int.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= 1)
        {
            return number;
        }
        throw Bad(counterKey, Quote(text.Length > 40 ? text[..37] + "..." : text));
    }

    /// <summary>N when <paramref name="key"/> is <c>&lt;prefix&gt;.cycle.&lt;N&gt;</c>; null for the counter and anything else.</summary>
    public static int? CycleNumberOf(string prefix, string key)
    {
        var head = prefix + ".cycle.";
        if (!key.StartsWith(head, StringComparison.Ordinal)) return null;
        var tail = key.AsSpan(head.Length);
        if (tail.Length is 0 or > 9 || tail[0] == '0') return null;
        foreach (var c in tail)
        {
            if (!char.IsAsciiDigit(c)) return null;
        }
        return int.Parse(tail, NumberStyles.None, CultureInfo.InvariantCulture);
    }

    /// <summary>The number to allocate: one past the counter and past the highest existing cycle, whichever is further.</summary>
    public static int Next(int? counter, int highestExisting) => checked(Math.Max(counter ?? 0, highestExisting) + 1);

    /// <summary>The latest cycle of a prefix without allocating: the counter or the highest existing cycle; null when neither exists.</summary>
    public static int? Latest(int? counter, int highestExisting) =>
        counter is null && highestExisting == 0 ? null : Math.Max(counter ?? 0, highestExisting);

    /// <summary>How a counter value is stored: the digits alone.</summary>
    public static byte[] Format(int number) => Encoding.ASCII.GetBytes(number.ToString(CultureInfo.InvariantCulture));

    /// <summary>The one-line refusal for writing a counter key through create, update, set or patch.</summary>
    public static string NotADocument(string key, string prefix) =>
        $"'{key}' is the cycle counter of {prefix}, not a cycle document; allocate the next number with `peer-typed cycle next {prefix}` (read the latest with `peer-typed cycle current {prefix}` or read-state.sh)";

    private static PeerValidationException Bad(string counterKey, string shown) =>
        new(counterKey, [new Violation(string.Empty, "type", $"the cycle counter holds {shown}; expected a whole number ≥ 1 (white space around it is allowed)")]);

    private static string Quote(string text) => JsonSerializer.Serialize(text, CounterJson.Default.String);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class CounterJson : System.Text.Json.Serialization.JsonSerializerContext;

public sealed partial class PeerStateStore
{
    /// <summary>The number stored in <c>&lt;prefix&gt;.cycle.current</c>; null when the counter does not exist (or was deleted).</summary>
    public async Task<int?> ReadCycleCounterAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var counterKey = PeerKey.CounterKey(prefix);
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var result = await Nats(() => store.TryGetEntryAsync(counterKey, 0, Raw, cancellationToken), cancellationToken).ConfigureAwait(false);
        return result.Success ? CycleCounter.Parse(counterKey, result.Value.Value ?? []) : null;
    }

    /// <summary>The latest cycle number of <paramref name="prefix"/> (counter or highest existing cycle key), without allocating; null when there is none.</summary>
    public async Task<int?> CurrentCycleNumberAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var counter = await ReadCycleCounterAsync(prefix, cancellationToken).ConfigureAwait(false);
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        return CycleCounter.Latest(counter, await HighestExistingCycleAsync(store, prefix, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The highest N whose <c>&lt;prefix&gt;.cycle.&lt;N&gt;</c> exists (0 when none), from one filtered key listing.</summary>
    private async Task<int> HighestExistingCycleAsync(INatsKVStore store, string prefix, CancellationToken cancellationToken)
    {
        var highest = 0;
        // One filter subject only: multi-filter consumers need nats-server 2.10.
        await using var keys = store.GetKeysAsync([prefix + ".cycle.*"], cancellationToken: cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (await Nats(() => keys.MoveNextAsync(), cancellationToken).ConfigureAwait(false))
        {
            if (CycleCounter.CycleNumberOf(prefix, keys.Current) is { } number && number > highest) highest = number;
        }
        return highest;
    }

    /// <summary>Whether the cycle key exists now (a probe after allocating, against a cycle created in between).</summary>
    private async Task<bool> CycleKeyExistsAsync(INatsKVStore store, string key, CancellationToken cancellationToken)
    {
        var result = await Nats(() => store.TryGetEntryAsync(key, 0, Raw, cancellationToken), cancellationToken).ConfigureAwait(false);
        return result.Success;
    }
}
