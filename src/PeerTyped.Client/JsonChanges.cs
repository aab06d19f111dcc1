using System.Runtime.InteropServices;
using System.Text.Json;
using PeerTyped.Runtime;

namespace PeerTyped.Client;

/// <summary>One value that differs between two documents; null JSON means absent.</summary>
public sealed record JsonChange(string Pointer, string? OldJson, string? NewJson)
{
    public override string ToString() => $"{(Pointer.Length == 0 ? "(document)" : Pointer)}: {OldJson ?? "(absent)"} -> {NewJson ?? "(absent)"}";
}

/// <summary>
/// The differences between two JSON documents as JSON Pointers, descending into objects. Arrays of different length
/// count as one change of the whole array, since an inserted item is one change, not a change to every later index.
/// </summary>
public static class JsonChanges
{
    public static IReadOnlyList<JsonChange> Between(ReadOnlyMemory<byte> before, ReadOnlyMemory<byte> after)
    {
        if (before.Span.SequenceEqual(after.Span)) return [];
        using var old = JsonDocument.Parse(before);
        using var @new = JsonDocument.Parse(after);
        var changes = new List<JsonChange>();
        Compare(old.RootElement, @new.RootElement, string.Empty, changes);
        return changes;
    }

    // A value whose text is the same byte for byte is the same value: only what differs is descended into, so an update
    // of one field costs a walk down its path, not a pointer string and a comparison for every member of the document.
    private static bool SameText(JsonElement before, JsonElement after) =>
        JsonMarshal.GetRawUtf8Value(before).SequenceEqual(JsonMarshal.GetRawUtf8Value(after));

    private static void Compare(JsonElement before, JsonElement after, string pointer, List<JsonChange> changes)
    {
        if (SameText(before, after)) return;
        if (before.ValueKind == JsonValueKind.Object && after.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in before.EnumerateObject())
            {
                if (TryGetSameName(after, property, out var value))
                {
                    if (!SameText(property.Value, value)) Compare(property.Value, value, pointer + "/" + JsonPointer.Escape(property.Name), changes);
                }
                else
                {
                    changes.Add(new JsonChange(pointer + "/" + JsonPointer.Escape(property.Name), property.Value.GetRawText(), null));
                }
            }
            foreach (var property in after.EnumerateObject())
            {
                if (!TryGetSameName(before, property, out _))
                {
                    changes.Add(new JsonChange(pointer + "/" + JsonPointer.Escape(property.Name), null, property.Value.GetRawText()));
                }
            }
            return;
        }
        if (before.ValueKind == JsonValueKind.Array && after.ValueKind == JsonValueKind.Array && before.GetArrayLength() == after.GetArrayLength())
        {
            var index = 0;
            using var left = before.EnumerateArray();
            using var right = after.EnumerateArray();
            while (left.MoveNext() && right.MoveNext())
            {
                if (!SameText(left.Current, right.Current)) Compare(left.Current, right.Current, pointer + "/" + index, changes);
                index++;
            }
            return;
        }
        if (!JsonElement.DeepEquals(before, after))
        {
            changes.Add(new JsonChange(pointer, before.GetRawText(), after.GetRawText()));
        }
    }

    /// <summary>The member of <paramref name="target"/> named as <paramref name="property"/> is, looked up by its UTF-8 name (no string) unless it is escaped.</summary>
    private static bool TryGetSameName(JsonElement target, JsonProperty property, out JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        return raw.IndexOf((byte)'\\') < 0 ? target.TryGetProperty(raw, out value) : target.TryGetProperty(property.Name, out value);
    }
}
