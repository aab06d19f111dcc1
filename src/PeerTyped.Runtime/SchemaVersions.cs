using System.Buffers;
using System.Globalization;
using System.Text;
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
                        var path = op!["path"]!.GetValue<string>();
                        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
                        var kind = op["op"]!.GetValue<string>();
                        if (kind is not ("add" or "remove" or "rename")) throw new InvalidOperationException($"unknown upgrade operation '{kind}'");
                        // An empty path names the document itself, which no operation may replace; it is skipped as before.
                        if (segments.Length == 0) continue;
                        var value = op.AsObject().TryGetPropertyValue("value", out var given) ? Encoding.UTF8.GetBytes(given?.ToJsonString() ?? "null") : "null"u8.ToArray();
                        ops.Add(new UpgradeOperation(kind, segments, op["to"]?.GetValue<string>(), value));
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
    /// the current version) in memory and returns the new bytes; the stored value is never touched. Each operation is
    /// one streaming pass (Utf8JsonReader → Utf8JsonWriter): members off the operation's path are copied as raw bytes,
    /// so a read of an older document costs little more than a read of a current one (docs/benchmarks.md, section 8).
    /// </summary>
    /// <exception cref="JsonException">The input is not one well-formed JSON object.</exception>
    public byte[] Upgrade(ReadOnlySpan<byte> json, int fromVersion, int? toVersion = null)
    {
        var target = toVersion ?? CurrentVersion;
        for (var version = fromVersion; version < target; version++)
        {
            if (!_steps.ContainsKey(version)) throw new InvalidOperationException($"no upgrade from schema version {version} is declared");
        }
        byte[]? current = null;
        try
        {
            for (var version = fromVersion; version < target; version++)
            {
                var operations = _steps[version].Operations;
                if (operations.Count == 0)
                {
                    current = Pass(current ?? json, null, version + 1);
                    continue;
                }
                // One pass per operation keeps the declared order's meaning (a remove after an add, a rename onto a
                // name a later add would fill); the version is set in the last pass.
                for (var i = 0; i < operations.Count; i++) current = Pass(current ?? json, operations[i], i == operations.Count - 1 ? version + 1 : null);
            }
            return current ?? json.ToArray();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            // Invalid UTF-8 or an unpaired surrogate in a member name: as malformed as bad JSON for the caller.
            throw new JsonException(ex.Message, ex);
        }
    }

    private static byte[] Pass(ReadOnlySpan<byte> input, UpgradeOperation? op, int? setVersion)
    {
        var reader = new Utf8JsonReader(input, JsonText.ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new JsonException("the document is not a JSON object");
        var buffer = new ArrayBufferWriter<byte>(input.Length + 64);
        using (var writer = new Utf8JsonWriter(buffer, PassWriterOptions))
        {
            WriteObject(ref reader, writer, input, op, 0, onPath: op is not null, setVersion);
            if (reader.Read()) throw new JsonException("more than one JSON value");
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static readonly JsonWriterOptions PassWriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    /// <summary>
    /// Copies the object the reader is on. <paramref name="onPath"/>: its path matches the operation's first
    /// <paramref name="depth"/> segments; at the last one it is a parent the operation changes.
    /// <paramref name="setVersion"/> (root only) replaces or adds <c>version</c>.
    /// </summary>
    private static void WriteObject(ref Utf8JsonReader reader, Utf8JsonWriter writer, ReadOnlySpan<byte> input, UpgradeOperation? op, int depth, bool onPath, int? setVersion)
    {
        var isParent = onPath && depth == op!.Segments.Length - 1;
        var name = isParent ? op!.Segments[^1] : null;
        var renameBlocked = false;
        if (isParent && op!.Op == "rename")
        {
            // A rename never overwrites: look ahead (a copy of the reader) for a member that already has the new name.
            var scan = reader;
            while (scan.Read() && scan.TokenType == JsonTokenType.PropertyName)
            {
                if (scan.ValueTextEquals(op.To)) renameBlocked = true;
                scan.Read();
                scan.Skip();
            }
        }
        writer.WriteStartObject();
        var sawName = false;
        var sawVersion = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (setVersion is { } version && reader.ValueTextEquals("version"u8))
            {
                sawVersion = true;
                writer.WritePropertyName("version"u8);
                reader.Read();
                reader.Skip();
                writer.WriteNumberValue(version);
                continue;
            }
            if (isParent && reader.ValueTextEquals(name))
            {
                sawName = true;
                switch (op!.Op)
                {
                    case "remove":
                        reader.Read();
                        reader.Skip();
                        continue;
                    case "rename" when !renameBlocked && op.To is { } to:
                        writer.WritePropertyName(to);
                        reader.Read();
                        CopyRaw(ref reader, writer, input);
                        continue;
                }
            }
            var childOnPath = onPath && !isParent && (op!.Segments[depth] == "*" || reader.ValueTextEquals(op.Segments[depth]));
            WritePropertyName(ref reader, writer);
            reader.Read();
            WriteValue(ref reader, writer, input, op, depth + 1, childOnPath);
        }
        // Defaults fill only what is missing: a value an old writer chose is kept.
        if (isParent && op!.Op == "add" && !sawName)
        {
            writer.WritePropertyName(name!);
            writer.WriteRawValue(op.Value, skipInputValidation: true);
        }
        if (setVersion is { } missing && !sawVersion)
        {
            writer.WritePropertyName("version"u8);
            writer.WriteNumberValue(missing);
        }
        writer.WriteEndObject();
    }

    private static void WriteValue(ref Utf8JsonReader reader, Utf8JsonWriter writer, ReadOnlySpan<byte> input, UpgradeOperation? op, int depth, bool onPath)
    {
        if (!onPath || depth >= op!.Segments.Length)
        {
            CopyRaw(ref reader, writer, input);
            return;
        }
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                WriteObject(ref reader, writer, input, op, depth, onPath: true, setVersion: null);
                break;
            case JsonTokenType.StartArray when depth < op.Segments.Length - 1:
                writer.WriteStartArray();
                var segment = op.Segments[depth];
                var index = segment == "*" ? -1 : int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : -2;
                for (var item = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; item++)
                {
                    WriteValue(ref reader, writer, input, op, depth + 1, index == -1 || index == item);
                }
                writer.WriteEndArray();
                break;
            default:
                // A scalar, or an array where the path wants an object parent: nothing there to change.
                CopyRaw(ref reader, writer, input);
                break;
        }
    }

    /// <summary>The value the reader is on, as the exact bytes it was written with (escapes and number spellings kept).</summary>
    private static void CopyRaw(ref Utf8JsonReader reader, Utf8JsonWriter writer, ReadOnlySpan<byte> input)
    {
        var start = (int)reader.TokenStartIndex;
        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) reader.Skip();
        writer.WriteRawValue(input[start..(int)reader.BytesConsumed], skipInputValidation: true);
    }

    private static void WritePropertyName(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        if (reader.ValueIsEscaped) writer.WritePropertyName(reader.GetString()!);
        else writer.WritePropertyName(reader.ValueSpan);
    }

    private sealed record UpgradeStep(int From, IReadOnlyList<UpgradeOperation> Operations);

    private sealed record UpgradeOperation(string Op, string[] Segments, string? To, byte[] Value);
}
