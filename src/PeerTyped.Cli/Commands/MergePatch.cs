using System.Text;
using System.Text.Json.Nodes;

namespace PeerTyped.Cli.Commands;

/// <summary>RFC 7386 JSON merge patch.</summary>
internal static class MergePatch
{
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
