using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Json.Schema;

namespace PeerTyped.Contracts.Tests;

/// <summary>
/// Property-based run (CsCheck): random bytes, byte-level damage to real documents and JSON-level mutations with edge
/// values go through the generated validator, the generated reader and JsonSchema.Net. Never a crash; the same verdict
/// as JsonSchema.Net except where the validator is stricter on purpose (each such rule is listed in
/// <see cref="StricterOnPurpose"/>); a document the validator accepts is one the reader reads and writes back valid.
/// CI runs <see cref="DefaultIterations"/> cases; set PEER_PROPERTY_ITERATIONS (e.g. 100000) for a long run:
/// <c>PEER_PROPERTY_ITERATIONS=100000 dotnet test tests/PeerTyped.Contracts.Tests --filter FullyQualifiedName~PropertyTests</c>.
/// </summary>
public class PropertyTests
{
    private const int DefaultIterations = 3000;

    // Its own registry: DifferentialTests registers the same schema id in the global one.
    private static readonly JsonSchema Reference = JsonSchema.FromText(Documents.SchemaText(), new BuildOptions { SchemaRegistry = new SchemaRegistry() });
    private static readonly EvaluationOptions Options = new() { RequireFormatValidation = true, OutputFormat = OutputFormat.Flag };

    private static long Iterations => long.TryParse(Environment.GetEnvironmentVariable("PEER_PROPERTY_ITERATIONS"), out var n) && n > 0 ? n : DefaultIterations;

    /// <summary>
    /// Rules where the generated validator refuses what JSON Schema alone allows, because a stored document must mean one
    /// thing to every reader: repeated member names, unpaired surrogate escapes, numbers the generated types cannot hold,
    /// nesting deeper than the reader's bound, a date-time with a space where RFC 3339's grammar has "T" (JsonSchema.Net
    /// allows the space RFC 3339's prose mentions). A divergence is accepted only when one of these is the reason given.
    /// </summary>
    private static readonly System.Text.RegularExpressions.Regex[] StricterOnPurpose =
    [
        new("appears twice"), new("surrogate"), new("64-bit integer"), new("cannot be stored exactly"), new("depth"),
        new(@"""\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[^""]*"" is not an RFC 3339 date-time"),
    ];

    private static readonly byte[][] Bases = [Documents.Large(), Encoding.UTF8.GetBytes(Documents.Minimal()), Encoding.UTF8.GetBytes(Documents.Minimal("peer.global.cycle.7"))];

    /// <summary>Edge values as raw JSON text, so that escapes and numbers reach the validator exactly as written.</summary>
    private static readonly string[] EdgeValues =
    [
        "0", "-1", "100", "101", "1.0", "1.5", "-0", "1e2", "1E400", "1e300", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "123456789012345678901234567890",
        "0.1", "null", "true", "false", "[]", "{}", "\"\"",
        "\"x\"", "\"\\ud800\"", "\"\\udc00x\"", "\"\\\\ud800\"", "\"\\ud83d\\ude00\"", "\"\\u0000\"", "\"\\\"\"", "\"é\"", "\"COMPLETED\"", "\"completed\"",
        "\"plan\"", "\"2025-08-06T09:12:44Z\"", "\"2025-08-06T09:12:44.123456789Z\"", "\"2016-12-31T23:59:60Z\"", "\"2025-02-30T00:00:00Z\"",
        "\"2025-08-06 09:12:44Z\"", "\"2025-08-06T09:12:44+25:00\"", "[\"a\",\"b\",\"c\"]", "[\"a\",\"b\",\"c\",\"d\"]", "[1]",
        "{\"nested\":[1,\"two\",null]}", new string('[', 70) + new string(']', 70), new string('[', 300) + new string(']', 300),
        "\"" + new string('y', 5000) + "\"",
    ];

    [Fact]
    public void Random_and_mutated_input_never_crashes_and_agrees_with_JsonSchemaNet()
    {
        var inputs = Gen.Frequency(
            (1, Gen.Byte.Array[0, 600]),
            (3, Gen.Select(Gen.Int[0, Bases.Length - 1], Gen.Int, (b, seed) => DamageBytes(Bases[b], seed))),
            (6, Gen.Select(Gen.Int[0, Bases.Length - 1], Gen.Int, (b, seed) => MutateJson(Bases[b], seed))));
        inputs.Sample(CheckOne, iter: Iterations, print: bytes => Encoding.UTF8.GetString(bytes));
    }

    /// <summary>Every valid base document stays valid through the property's checks (the run is not vacuous).</summary>
    [Fact]
    public void The_base_documents_are_valid_and_both_verdicts_occur_in_the_mutations()
    {
        foreach (var document in Bases) Assert.True(PeerCycle.Validate(document).IsValid);
        var verdicts = Enumerable.Range(0, 400).Select(seed => PeerCycle.Validate(MutateJson(Bases[seed % Bases.Length], seed)).IsValid).ToList();
        Assert.Contains(true, verdicts);
        Assert.Contains(false, verdicts);
    }

    private static void CheckOne(byte[] bytes)
    {
        var ours = PeerCycle.Validate(bytes);
        var reference = ReferenceVerdict(bytes, out var undecided);
        if (ours.IsValid)
        {
            Assert.True(reference is true || undecided, $"the generated validator accepts what JsonSchema.Net {(reference is null ? "cannot parse" : "rejects")}");
            var document = PeerCycle.Parse(bytes);
            var written = document.ToUtf8Bytes();
            var again = PeerCycle.Validate(written);
            Assert.True(again.IsValid, "the reader's document, written back, is invalid: " + again);
            Assert.Equal(document, PeerCycle.Parse(written));
            return;
        }
        if (reference is true)
        {
            var reason = string.Join("; ", ours.Violations);
            Assert.True(StricterOnPurpose.Any(r => r.IsMatch(reason)),
                "JsonSchema.Net accepts what the generated validator rejects: " + reason);
        }
    }

    /// <summary>JsonSchema.Net's verdict; null when the bytes are not JSON at all (then ours must say invalid too).</summary>
    private static bool? ReferenceVerdict(byte[] bytes, out bool undecided)
    {
        undecided = false;
        // JsonDocument does not check that string contents are UTF-8; JSON text must be (RFC 8259 §8.1).
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) return null;
        try
        {
            using var parsed = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 1000 });
            return Reference.Evaluate(parsed.RootElement, Options).IsValid;
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            return null; // System.Text.Json cannot turn an unpaired surrogate escape into a string
        }
        catch (ArgumentException)
        {
            return null;
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            // JsonSchema.Net compares enum numbers as decimals and throws on 1E400: it has no verdict to compare with.
            undecided = true;
            return null;
        }
    }

    /// <summary>Byte-level damage: a flipped byte, a cut, an inserted run, a duplicated slice, a truncation.</summary>
    private static byte[] DamageBytes(byte[] source, int seed)
    {
        var random = new Random(seed);
        var bytes = source.ToList();
        for (var n = random.Next(1, 4); n > 0 && bytes.Count > 0; n--)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1: bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 40))); break;
                case 2: bytes.InsertRange(at, Enumerable.Range(0, random.Next(1, 8)).Select(_ => (byte)random.Next(256))); break;
                case 3:
                    var length = Math.Min(bytes.Count - at, random.Next(1, 60));
                    bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(at, length));
                    break;
                default: bytes.RemoveRange(at, bytes.Count - at); break;
            }
        }
        return [.. bytes];
    }

    /// <summary>JSON-level mutations: a value replaced by an edge value, a member removed, added or repeated.</summary>
    private static byte[] MutateJson(byte[] source, int seed)
    {
        var random = new Random(seed);
        var root = JsonNode.Parse(source)!;
        var edges = new List<string>();
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            var slots = Slots(root).ToList();
            var (parent, name, index) = slots[random.Next(slots.Count)];
            switch (random.Next(4))
            {
                case 0 or 1:
                    var marker = "__edge_" + edges.Count + "__";
                    edges.Add(EdgeValues[random.Next(EdgeValues.Length)]);
                    Set(parent, name, index, JsonValue.Create(marker));
                    break;
                case 2:
                    if (parent is JsonObject removeFrom && name is not null) removeFrom.Remove(name);
                    else if (parent is JsonArray removeAt && index < removeAt.Count) removeAt.RemoveAt(index);
                    break;
                default:
                    if (parent is JsonObject addTo) addTo["extra_" + random.Next(5)] = random.Next(2) == 0 ? JsonValue.Create(1) : new JsonObject { ["k"] = "v" };
                    break;
            }
        }
        var text = root.ToJsonString();
        for (var i = 0; i < edges.Count; i++) text = text.Replace("\"__edge_" + i + "__\"", edges[i], StringComparison.Ordinal);
        if (random.Next(8) == 0)
        {
            // Repeat the first member of the root object: the same name twice.
            var firstMember = text.IndexOf(',', StringComparison.Ordinal);
            if (firstMember > 1) text = "{" + text[1..firstMember] + "," + text[1..];
        }
        return Encoding.UTF8.GetBytes(text);
    }

    private static IEnumerable<(JsonNode Parent, string? Name, int Index)> Slots(JsonNode node)
    {
        if (node is JsonObject obj)
        {
            foreach (var (name, child) in obj.ToList())
            {
                yield return (obj, name, -1);
                if (child is not null) foreach (var slot in Slots(child)) yield return slot;
            }
        }
        else if (node is JsonArray array)
        {
            for (var i = 0; i < array.Count; i++)
            {
                yield return (array, null, i);
                if (array[i] is { } child) foreach (var slot in Slots(child)) yield return slot;
            }
        }
    }

    private static void Set(JsonNode parent, string? name, int index, JsonNode value)
    {
        if (parent is JsonObject obj && name is not null) obj[name] = value;
        else if (parent is JsonArray array) array[index] = value;
    }
}
