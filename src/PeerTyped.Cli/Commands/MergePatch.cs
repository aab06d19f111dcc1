using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PeerTyped.Client;
using PeerTyped.Runtime;

namespace PeerTyped.Cli.Commands;

/// <summary>RFC 7386 JSON merge patch.</summary>
internal static class MergePatch
{
    /// <summary>
    /// Parses a merge patch strictly: valid UTF-8, well-formed, no member name twice in one object, no unpaired
    /// surrogate escape. Each is a violation naming the JSON Pointer (exit 4); nothing is guessed.
    /// </summary>
    public static JsonNode? Parse(string key, byte[] patch)
    {
        static PeerValidationException Invalid(string key, string pointer, string message) =>
            new(key, [new Violation(pointer, "json", "the merge patch is not valid JSON: " + message)]);
        if (!System.Text.Unicode.Utf8.IsValid(patch)) throw Invalid(key, string.Empty, "it is not valid UTF-8");
        if (JsonStrict.FindDuplicateName(patch, JsonText.ReaderOptions) is { } duplicate) throw Invalid(key, duplicate.Pointer, duplicate.Message);
        var reader = new Utf8JsonReader(patch, JsonText.ReaderOptions);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped) continue;
                try
                {
                    _ = reader.GetString();
                }
                catch (InvalidOperationException)
                {
                    throw Invalid(key, string.Empty, $"a string at byte {reader.TokenStartIndex} holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff without its pair)");
                }
            }
            return JsonNode.Parse(patch, documentOptions: new JsonDocumentOptions { MaxDepth = JsonText.ReaderOptions.MaxDepth });
        }
        catch (JsonException ex)
        {
            throw Invalid(key, string.Empty, ex.Message.Split(" LineNumber:")[0] + $" (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine})");
        }
    }

    public static byte[] Apply(ReadOnlyMemory<byte> document, JsonNode? patch)
    {
        var target = JsonNode.Parse(document.Span);
        var result = Merge(target, patch);
        return Encoding.UTF8.GetBytes(result?.ToJsonString() ?? "null");
    }

    private static JsonNode? Merge(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject) return patch?.DeepClone();
        var targetObject = target as JsonObject ?? new JsonObject();
        foreach (var (name, value) in patchObject)
        {
            if (value is null)
            {
                targetObject.Remove(name);
                continue;
            }
            var current = targetObject[name];
            var merged = Merge(current, value);
            if (!ReferenceEquals(merged, current)) targetObject[name] = merged;
        }
        return targetObject;
    }
}
