using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerTyped.Runtime;

/// <summary>
/// Schema versions of stored documents and the upgrades between them. A document's <c>version</c> names the schema
/// version that wrote it: its whole-number part (upstream writes both 1 and 1.1, and both are schema version 1).
/// Upgrades are declared in the schema (<c>x-peer-upgrades</c>) as data, so the generated code, the CLI's
/// <c>schema check</c> and <c>migrate</c> all run the very same steps.
/// </summary>
public sealed class SchemaUpgrades
{
    private readonly SortedDictionary<int, UpgradeStep> _steps;

    private SchemaUpgrades(int current, SortedDictionary<int, UpgradeStep> steps)
    {
        CurrentVersion = current;
        _steps = steps;
    }

    /// <summary>The schema version this code writes.</summary>
    public int CurrentVersion { get; }

    /// <summary>Every version this code can read: the current one and each older one with a chain of upgrades to it.</summary>
    public IReadOnlyList<int> ReadableVersions
    {
        get
        {
            var versions = new List<int> { CurrentVersion };
            for (var v = CurrentVersion - 1; v >= 1 && _steps.ContainsKey(v); v--) versions.Insert(0, v);
            return versions;
        }
    }

    /// <summary>Reads the <c>x-peer-upgrades</c> array (as JSON text; empty for none).</summary>
    public static SchemaUpgrades Parse(int currentVersion, string upgradesJson)
    {
        var steps = new SortedDictionary<int, UpgradeStep>();
        if (!string.IsNullOrWhiteSpace(upgradesJson))
        {
            foreach (var item in JsonNode.Parse(upgradesJson)!.AsArray())
            {
                var from = item!["from"]!.GetValue<int>();
                var ops = new List<UpgradeOperation>();
                if (item["ops"] is JsonArray array)
                {
                    foreach (var op in array)
                    {
                        ops.Add(new UpgradeOperation(op!["op"]!.GetValue<string>(), op["path"]!.GetValue<string>(),
                            op["to"]?.GetValue<string>(), op["value"]?.DeepClone()));
                    }
                }
                steps[from] = new UpgradeStep(from, ops);
            }
        }
        return new SchemaUpgrades(currentVersion, steps);
    }

    /// <summary>
    /// The schema version of a stored document, read from its top-level <c>version</c> without parsing the rest;
    /// null when there is none or it is not a positive number (the validator then says what is wrong).
    /// </summary>
    public static int? VersionOf(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isVersion = reader.ValueTextEquals("version"u8);
                reader.Read();
                if (isVersion)
                {
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDecimal(out var value) || value < 1) return null;
                    return value > int.MaxValue ? int.MaxValue : (int)decimal.Floor(value);
                }
                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }

    /// <summary>Whether a document of <paramref name="version"/> can be read (possibly after upgrades).</summary>
    public bool CanRead(int version) => version == CurrentVersion || (version < CurrentVersion && ReadableVersions.Contains(version));

    /// <summary>
    /// Upgrades <paramref name="json"/> from <paramref name="fromVersion"/> to <paramref name="toVersion"/> (default:
    /// the current version) in memory and returns the new bytes; the stored value is never touched.
    /// </summary>
    public byte[] Upgrade(ReadOnlySpan<byte> json, int fromVersion, int? toVersion = null)
    {
        var target = toVersion ?? CurrentVersion;
        var document = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("the document is not a JSON object");
        for (var version = fromVersion; version < target; version++)
        {
            if (!_steps.TryGetValue(version, out var step)) throw new InvalidOperationException($"no upgrade from schema version {version} is declared");
            foreach (var op in step.Operations) Apply(document, op);
            document["version"] = version + 1;
        }
        return JsonSerializer.SerializeToUtf8Bytes(document, SchemaVersionsJsonContext.Default.JsonObject);
    }

    private static void Apply(JsonObject document, UpgradeOperation op)
    {
        var segments = op.Path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
        if (segments.Length == 0) return;
        foreach (var parent in Parents(document, segments, 0, segments.Length - 1))
        {
            var name = segments[^1];
            switch (op.Op)
            {
                // Defaults fill only what is missing: a value an old writer chose is kept.
                case "add":
                    if (!parent.ContainsKey(name)) parent[name] = op.Value?.DeepClone();
                    break;
                case "remove":
                    parent.Remove(name);
                    break;
                case "rename":
                    if (parent.TryGetPropertyValue(name, out var value) && op.To is { } to && !parent.ContainsKey(to))
                    {
                        parent.Remove(name);
                        parent[to] = value;
                    }
                    break;
                default:
                    throw new InvalidOperationException($"unknown upgrade operation '{op.Op}'");
            }
        }
    }

    /// <summary>Every object the path's parent names; <c>*</c> matches each array item or object member.</summary>
    private static IEnumerable<JsonObject> Parents(JsonNode node, string[] segments, int index, int end)
    {
        if (index == end)
        {
            if (node is JsonObject obj) yield return obj;
            yield break;
        }
        var segment = segments[index];
        IEnumerable<JsonNode?> next = segment == "*"
            ? node switch { JsonArray a => a, JsonObject o => o.Select(p => p.Value), _ => [] }
            : node switch
            {
                JsonObject o when o.TryGetPropertyValue(segment, out var child) => [child],
                JsonArray a when int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => [a[i]],
                _ => [],
            };
        foreach (var child in next.ToList())
        {
            if (child is null) continue;
            foreach (var parent in Parents(child, segments, index + 1, end)) yield return parent;
        }
    }

    private sealed record UpgradeStep(int From, IReadOnlyList<UpgradeOperation> Operations);

    private sealed record UpgradeOperation(string Op, string Path, string? To, JsonNode? Value);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(JsonObject))]
internal sealed partial class SchemaVersionsJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
