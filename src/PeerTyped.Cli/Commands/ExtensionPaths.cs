using System.Text.Json;
using System.Text.Json.Nodes;
using PeerTyped.Contracts;
using PeerTyped.Runtime;

namespace PeerTyped.Cli.Commands;

/// <summary>
/// Short paths past the path table: `plan.output.custom_thing` names a member the schema does not declare under an
/// object that keeps extra members (the phase outputs, insights). Whether an object is open is asked of the generated
/// validator (a probe member in a fresh document), so a closed object's typo (`plan.staus`) stays an unknown path.
/// </summary>
internal static class ExtensionPaths
{
    /// <summary>The JSON Pointer an extension path stands for, or null when it names nothing the schema allows.</summary>
    public static string? Pointer(string path)
    {
        var tokens = path.Split('.');
        if (tokens.Any(t => t.Length == 0)) return null;
        for (var known = tokens.Length - 1; known >= 1; known--)
        {
            if (PeerCycleFields.Find(string.Join('.', tokens[..known])) is not { } parent) continue;
            if (!parent.Type.StartsWith("object", StringComparison.Ordinal)) return null;
            var pointer = parent.Pointer + string.Concat(tokens[known..].Select(t => "/" + t.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)));
            var first = parent.Pointer + "/" + tokens[known];
            // A declared member is reached by its own short path (plan.status), never through the long form (phases.plan.status).
            if (PeerCycleFields.All.Any(f => f.Pointer == first)) return null;
            var refused = LintSchema.Check(first, JsonValue.Create(1), typeOnly: true).Any(v => v.Rule == "additionalProperties");
            return refused ? null : pointer;
        }
        return null;
    }

    /// <summary>A value given on the command line: JSON when it parses as JSON, else the text as a string.</summary>
    public static JsonNode? Value(string text)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = JsonText.ReaderOptions.MaxDepth });
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    /// <summary>Sets each value at its JSON Pointer, creating the objects on the way.</summary>
    public static byte[] Set(ReadOnlySpan<byte> json, IEnumerable<(string Pointer, JsonNode? Value)> assignments)
    {
        var document = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = JsonText.ReaderOptions.MaxDepth })!.AsObject();
        foreach (var (pointer, value) in assignments)
        {
            var tokens = pointer.Split('/').Skip(1).Select(JsonPointer.Unescape).ToArray();
            var current = document;
            for (var i = 0; i < tokens.Length - 1; i++)
            {
                if (current[tokens[i]] is null) current[tokens[i]] = new JsonObject();
                // Through something that is not an object, the validator will name the pointer; keep the value where it was.
                if (current[tokens[i]] is not JsonObject child) throw new PeerTyped.Client.PeerUsageException($"{pointer}: {string.Join('/', tokens[..(i + 1)])} is not an object");
                current = child;
            }
            current[tokens[^1]] = value?.DeepClone();
        }
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, JsonText.CompactWriterOptions)) document.WriteTo(writer);
        return buffer.WrittenSpan.ToArray();
    }
}
