using System.Text;
using System.Text.Json;

namespace PeerTyped.Client.Jq;

/// <summary>
/// What a filter sees of the environment. jq exposes the whole environment as <c>$ENV</c> and <c>env</c>; run inside a
/// process that holds NATS credentials, a filter such as <c>.context.note = ($ENV|tostring)</c> would store them in the
/// document. So both engines see only the variables named in <c>PEER_JQ_ENV</c> (empty by default), and never one that
/// looks like a credential, even when named. The policy is applied by prefixing the program with a binding of
/// <c>$ENV</c> and a definition of <c>env</c>, on the same line so <c>$__loc__</c> still reports line 1; the jq binary
/// gets the same program (and an environment with nothing but <c>TZ</c>, so it reads no <c>~/.jq</c>).
/// </summary>
public static class JqEnvironment
{
    public const string Variable = "PEER_JQ_ENV";

    /// <summary>The names listed in <c>PEER_JQ_ENV</c> (comma or space separated).</summary>
    public static IReadOnlyList<string> FromEnvironment() =>
        (Environment.GetEnvironmentVariable(Variable) ?? string.Empty).Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>True for names that are never exposed: anything NATS reads and anything named like a secret.</summary>
    public static bool IsSecret(string name)
    {
        var upper = name.ToUpperInvariant();
        return upper.StartsWith("NATS", StringComparison.Ordinal)
            || new[] { "PASSWORD", "PASSWD", "TOKEN", "SECRET", "NKEY", "CREDS", "CREDENTIAL", "SEED", "PRIVATE", "API_KEY", "APIKEY", "AUTH" }.Any(upper.Contains);
    }

    /// <summary>
    /// The program prefix binding <c>$ENV</c>/<c>env</c> to the exposed variables. <c>input_filename</c> and
    /// <c>input_line_number</c> are pinned too: libjq has no input reader to ask, and the binary's answers for stdin
    /// (null, the parser's line count) carry nothing useful.
    /// </summary>
    public static string Prefix(IReadOnlyList<string> names)
    {
        var refused = names.Where(IsSecret).ToList();
        if (refused.Count > 0)
        {
            throw new PeerUsageException($"{Variable} names {string.Join(", ", refused)}; variables that hold NATS settings or look like credentials are never exposed to jq");
        }
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var name in names.Distinct(StringComparer.Ordinal))
            {
                if (Environment.GetEnvironmentVariable(name) is { } value) writer.WriteString(name, value);
            }
            writer.WriteEndObject();
        }
        // Utf8JsonWriter escapes as \uXXXX, which jq string literals accept; it never writes "\(" (jq interpolation).
        return Encoding.UTF8.GetString(buffer.ToArray()) + " as $ENV | def env: $ENV; def input_filename: null; def input_line_number: 0; ";
    }
}
