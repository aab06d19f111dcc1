using System.Globalization;
using System.Text.RegularExpressions;

namespace PeerTyped.Client;

/// <summary>PEER keys: <c>peer.spec.&lt;name&gt;.cycle.&lt;N&gt;</c>, <c>peer.instruction.&lt;name&gt;.cycle.&lt;N&gt;</c>, <c>peer.global.cycle.&lt;N&gt;</c>.</summary>
public static partial class PeerKey
{
    [GeneratedRegex(@"^[-/_=\.a-zA-Z0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex NatsKeyCharacters();

    [GeneratedRegex(@"^(?<prefix>peer\.(?:spec|instruction)\.[A-Za-z0-9_-]+|peer\.global)\.cycle\.(?<n>[1-9][0-9]{0,8})$", RegexOptions.CultureInvariant)]
    private static partial Regex CycleKey();

    [GeneratedRegex(@"^(peer\.(?:spec|instruction)\.[A-Za-z0-9_-]+|peer\.global)$", RegexOptions.CultureInvariant)]
    private static partial Regex Prefix();

    /// <summary>The cycle key parsed last: one write checks its key several times (the call, the rules, the key's match with the document).</summary>
    private sealed record ParsedKey(string Key, string Prefix, int CycleNumber);

    private static volatile ParsedKey? s_lastParsed;

    /// <summary><paramref name="key"/> as parsed last, when it is the key parsed last.</summary>
    private static ParsedKey? ParsedLast(string? key) => s_lastParsed is { } last && string.Equals(last.Key, key, StringComparison.Ordinal) ? last : null;

    /// <summary>Checks a cycle key and returns its prefix and cycle number; throws <see cref="PeerUsageException"/> saying what is wrong.</summary>
    public static (string Prefix, int CycleNumber) Parse(string? key)
    {
        if (ParsedLast(key) is { } last) return (last.Prefix, last.CycleNumber);
        CheckNatsKey(key, "key");
        var match = CycleKey().Match(key!);
        if (!match.Success)
        {
            if (CycleCounter.IsCounterKey(key, out var counterOf)) throw new PeerUsageException(CycleCounter.NotADocument(key!, counterOf));
            throw new PeerUsageException($"{Show(key)}: not a PEER cycle key; expected peer.spec.<name>.cycle.<N>, peer.instruction.<name>.cycle.<N> or peer.global.cycle.<N> (name: letters, digits, '-' and '_'; N ≥ 1)");
        }
        var parsed = new ParsedKey(key!, match.Groups["prefix"].Value, int.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture));
        s_lastParsed = parsed;
        return (parsed.Prefix, parsed.CycleNumber);
    }

    /// <summary>Whether <paramref name="key"/> is a PEER cycle key (not a counter, not anything else).</summary>
    public static bool IsCycleKey(string key) => CycleKey().IsMatch(key);

    /// <summary>Checks a key prefix (<c>peer.spec.&lt;name&gt;</c>, …).</summary>
    public static string CheckPrefix(string? prefix)
    {
        CheckNatsKey(prefix, "prefix");
        if (!Prefix().IsMatch(prefix!))
        {
            throw new PeerUsageException($"{Show(prefix)}: not a PEER key prefix; expected peer.spec.<name>, peer.instruction.<name> or peer.global");
        }
        return prefix!;
    }

    /// <summary>The key that holds the last allocated cycle number of <paramref name="prefix"/>.</summary>
    public static string CounterKey(string prefix) => CheckPrefix(prefix) + ".cycle.current";

    /// <summary>NATS KV key rules: allowed characters, no empty tokens, no leading or trailing dot, not reserved.</summary>
    public static void CheckNatsKey(string? key, string what = "key")
    {
        // A cycle key parsed before passed these checks then.
        if (ParsedLast(key) is not null) return;
        if (string.IsNullOrEmpty(key)) throw new PeerUsageException($"the {what} is empty; pass it as an argument, with --key, or in STATE_KEY");
        if (key.Length > PeerLimits.MaxKeyLength) throw new PeerUsageException($"{Show(key)}: a {what} is at most {PeerLimits.MaxKeyLength} characters, this one has {key.Length} (keys travel in NATS subjects, whose control line is limited)");
        if (key.Any(char.IsWhiteSpace)) throw new PeerUsageException($"{Show(key)}: a NATS KV {what} cannot contain white space");
        if (key.Contains('*') || key.Contains('>')) throw new PeerUsageException($"{Show(key)}: a NATS KV {what} cannot contain the wildcards * or >");
        if (key.StartsWith('.') || key.EndsWith('.') || key.Contains("..", StringComparison.Ordinal)) throw new PeerUsageException($"{Show(key)}: a NATS KV {what} cannot have empty tokens (leading, trailing or double dots)");
        if (key.StartsWith("_kv", StringComparison.Ordinal)) throw new PeerUsageException($"{Show(key)}: NATS KV {what}s starting with _kv are reserved");
        if (!NatsKeyCharacters().IsMatch(key)) throw new PeerUsageException($"{Show(key)}: a NATS KV {what} may contain only letters, digits and - / _ = .");
    }

    private static string Show(string? key) => "'" + (key is { Length: > 80 } ? key[..77] + "..." : key) + "'";
}
