using System.Text.Json.Nodes;
using PeerTyped.Client;
using PeerTyped.Contracts;
using PeerTyped.Runtime;

namespace PeerTyped.Cli.Commands;

/// <summary>
/// What the linter knows about the schema, asked of the generated code rather than written down twice: a value an
/// agent file writes at a pointer is put into a fresh, valid cycle document and run through the generated validator;
/// the violations at that pointer say whether the field exists, whether the type fits and whether the value is allowed.
/// </summary>
internal static class LintSchema
{
    // Rules that judge the written value itself. "required" (a fresh object lacks members the agent fills elsewhere)
    // and any conditional rule tying fields together are about the whole document, not the one value.
    private static readonly HashSet<string> ValueRules = ["type", "enum", "minimum", "maximum", "minItems", "maxItems", "minLength", "maxLength", "pattern", "format", "additionalProperties"];

    private static readonly byte[] BaseDocument = PeerCycles.New("peer.spec.lint.cycle.1", "create-spec", "lint", "lint", now: DateTimeOffset.UnixEpoch).ToUtf8Bytes();

    private static readonly Dictionary<string, IReadOnlyList<Violation>> Cache = [];

    /// <summary>A field of the path table at <paramref name="pointer"/>, if the table has it.</summary>
    public static FieldInfo<PeerCycle>? Field(string pointer) => PeerCycleFields.All.FirstOrDefault(f => f.Pointer == pointer);

    /// <summary>
    /// The violations the schema reports for <paramref name="value"/> at <paramref name="pointer"/>, restricted to the
    /// pointer and what lies under or above it. <paramref name="typeOnly"/>: the value is a template ("[ISO_TIMESTAMP]"),
    /// so only its JSON type is judged.
    /// </summary>
    public static IReadOnlyList<Violation> Check(string pointer, JsonNode? value, bool typeOnly)
    {
        var cacheKey = pointer + "\u0000" + typeOnly + "\u0000" + (value?.ToJsonString() ?? "null");
        if (Cache.TryGetValue(cacheKey, out var cached)) return cached;
        var document = JsonNode.Parse(BaseDocument)!.AsObject();
        var violations = Place(document, pointer, value)
            ? PeerCycle.Validate(System.Text.Encoding.UTF8.GetBytes(document.ToJsonString())).Violations
                .Where(v => ValueRules.Contains(v.Rule) && (!typeOnly || v.Rule is "type" or "additionalProperties"))
                .Where(v => v.Pointer == pointer || v.Pointer.StartsWith(pointer + "/", StringComparison.Ordinal) || (pointer.StartsWith(v.Pointer + "/", StringComparison.Ordinal) && v.Rule == "additionalProperties"))
                .ToList()
            : [];
        Cache[cacheKey] = violations;
        return violations;
    }

    /// <summary>Where a field of that name does exist (metadata.status for a root "status"); null when nowhere or ambiguous.</summary>
    public static string? Elsewhere(string pointer)
    {
        var name = pointer[(pointer.LastIndexOf('/') + 1)..];
        var candidates = PeerCycleFields.All.Where(f => f.Pointer.EndsWith("/" + name, StringComparison.Ordinal) && f.Pointer != pointer).Select(f => f.Pointer).ToList();
        // One metadata field is the natural home of a bare cycle-level name; otherwise only a unique match is useful.
        return candidates.FirstOrDefault(c => c == "/metadata/" + name) ?? (candidates.Count == 1 ? candidates[0] : null);
    }

    /// <summary>The allowed values of the enum at <paramref name="pointer"/>; empty when it is not an enum.</summary>
    public static IReadOnlyList<string> AllowedValues(string pointer) => Field(pointer)?.AllowedValues ?? [];

    /// <summary>Whether a role may write <paramref name="pointer"/> (null role: no check).</summary>
    public static bool MayWrite(string role, string pointer) => Field(pointer) is null || PeerCycle.MayWrite(role, pointer);

    public static string Dotted(string pointer) => "." + string.Join('.', pointer.Split('/').Skip(1));

    private static bool Place(JsonObject document, string pointer, JsonNode? value)
    {
        var tokens = pointer.Split('/').Skip(1).ToArray();
        JsonObject current = document;
        for (var i = 0; i < tokens.Length - 1; i++)
        {
            var next = current[tokens[i]];
            if (next is null)
            {
                next = new JsonObject();
                current[tokens[i]] = next;
            }
            if (next is not JsonObject child) return false;
            current = child;
        }
        current[tokens[^1]] = value?.DeepClone();
        return true;
    }

    /// <summary>
    /// The enum value an unambiguous misspelling stands for: same word in another case (Completed), a shorter or longer
    /// form of it (COMPLETE, planning, executing) or a known synonym (error → failed); null when there is no single answer.
    /// </summary>
    public static string? Respelling(string value, IReadOnlyList<string> allowed)
    {
        if (allowed.Count == 0 || allowed.Contains(value)) return null;
        var exact = allowed.Where(a => string.Equals(a, value, StringComparison.OrdinalIgnoreCase)).ToList();
        if (exact.Count == 1) return exact[0];
        var stem = Stem(value);
        var byStem = allowed.Where(a => Stem(a) == stem).ToList();
        if (byStem.Count == 1) return byStem[0];
        var lower = value.ToLowerInvariant();
        var byPrefix = allowed.Where(a => a.Length >= 4 && lower.Length >= 4 && (lower.StartsWith(a.ToLowerInvariant(), StringComparison.Ordinal) || a.ToLowerInvariant().StartsWith(lower, StringComparison.Ordinal))).ToList();
        if (byPrefix.Count == 1) return byPrefix[0];
        if (Synonyms.TryGetValue(stem, out var meaning))
        {
            var bySynonym = allowed.Where(a => Stem(a) == meaning).ToList();
            if (bySynonym.Count == 1) return bySynonym[0];
        }
        return null;
    }

    // Words agents use for a state, and the schema's word for it; both sides are compared by stem.
    private static readonly Dictionary<string, string> Synonyms = new (string[] Words, string Meaning)[]
    {
        (["error", "errored", "err", "failure", "fault"], "failed"),
        (["done", "finished", "success", "succeeded", "complete"], "completed"),
        (["started", "running", "active", "in progress", "in-progress", "ongoing"], "in_progress"),
        (["todo", "waiting", "not_started", "queued"], "pending"),
        (["initialised", "created"], "initialized"),
    }.SelectMany(entry => entry.Words.Select(word => (Stem(word), Stem(entry.Meaning)))).DistinctBy(pair => pair.Item1).ToDictionary(pair => pair.Item1, pair => pair.Item2, StringComparer.Ordinal);

    private static string Stem(string word)
    {
        var w = word.Trim().ToLowerInvariant().Replace(' ', '_').Replace('-', '_');
        foreach (var suffix in new[] { "ing", "ion", "ed", "es", "e", "s" })
        {
            if (w.Length > suffix.Length + 2 && w.EndsWith(suffix, StringComparison.Ordinal)) return w[..^suffix.Length];
        }
        return w;
    }
}
