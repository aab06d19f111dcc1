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
        using var old = JsonDocument.Parse(before);
        using var @new = JsonDocument.Parse(after);
        var changes = new List<JsonChange>();
        Compare(old.RootElement, @new.RootElement, string.Empty, changes);
        return changes;
    }

    private static void Compare(JsonElement before, JsonElement after, string pointer, List<JsonChange> changes)
    {
        if (before.ValueKind == JsonValueKind.Object && after.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in before.EnumerateObject())
            {
                var child = pointer + "/" + JsonPointer.Escape(property.Name);
                if (after.TryGetProperty(property.Name, out var value)) Compare(property.Value, value, child, changes);
                else changes.Add(new JsonChange(child, property.Value.GetRawText(), null));
            }
            foreach (var property in after.EnumerateObject())
            {
                if (!before.TryGetProperty(property.Name, out _))
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
                Compare(left.Current, right.Current, pointer + "/" + index++, changes);
            }
            return;
        }
        if (!JsonElement.DeepEquals(before, after))
        {
            changes.Add(new JsonChange(pointer, before.GetRawText(), after.GetRawText()));
        }
    }
}
