using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace PeerTyped.Runtime;

/// <summary>One value that differs between two documents, at a JSON Pointer; null JSON means absent.</summary>
public readonly record struct JsonDifference(string Pointer, string? OldJson, string? NewJson);

/// <summary>
/// The differences between two JSON values as JSON Pointers, descending into objects. Arrays of different length count
/// as one change of the whole array, since an inserted item is one change, not a change to every later index.
/// Values are compared as JSON values (<see cref="JsonElement.DeepEquals"/>), so formatting and member order are never
/// changes. Generated types diff themselves with the same rules (their <c>DiffJson</c>), walking only the members
/// whose typed values differ: ownership is decided on this diff, so both must find exactly the same changes.
/// </summary>
public sealed class JsonDiff
{
    private readonly List<JsonDifference> _changes = [];

    public IReadOnlyList<JsonDifference> Changes => _changes;

    public void Add(string pointer, string? oldJson, string? newJson) => _changes.Add(new JsonDifference(pointer, oldJson, newJson));

    /// <summary>The differences between two JSON texts.</summary>
    public static IReadOnlyList<JsonDifference> Between(ReadOnlyMemory<byte> before, ReadOnlyMemory<byte> after)
    {
        if (before.Span.SequenceEqual(after.Span)) return [];
        using var old = JsonDocument.Parse(before);
        using var @new = JsonDocument.Parse(after);
        var diff = new JsonDiff();
        diff.Compare(old.RootElement, @new.RootElement, string.Empty);
        return diff.Changes;
    }

    /// <summary>The JSON text <paramref name="write"/> writes for <paramref name="value"/> (the form a document stores).</summary>
    public static string Text<T>(T value, Action<Utf8JsonWriter, T> write) =>
        Encoding.UTF8.GetString(JsonText.Write((value, write), static (state, writer) => state.write(writer, state.value)));

    /// <summary><paramref name="pointer"/> with the member or index <paramref name="name"/> (already escaped) appended.</summary>
    public static string Child(string pointer, string name) => pointer + "/" + name;

    // The members below take the parent's pointer and the member's escaped name, so that the pointer string is built only
    // for a value that differs: an unchanged member costs one comparison.

    /// <summary>A required value compared by its type's equality, which for every generated member type is JSON equality.</summary>
    public void Member<T>(string pointer, string name, T before, T after, Action<Utf8JsonWriter, T> write)
    {
        if (!EqualityComparer<T>.Default.Equals(before, after)) Add(Child(pointer, name), Text(before, write), Text(after, write));
    }

    /// <inheritdoc cref="Member{T}"/>
    public void OptionalValue<T>(string pointer, string name, T? before, T? after, Action<Utf8JsonWriter, T> write)
        where T : struct
    {
        if (Nullable.Equals(before, after)) return;
        Add(Child(pointer, name), before is { } old ? Text(old, write) : null, after is { } @new ? Text(@new, write) : null);
    }

    /// <inheritdoc cref="Member{T}"/>
    public void OptionalReference<T>(string pointer, string name, T? before, T? after, Action<Utf8JsonWriter, T> write)
        where T : class
    {
        if (EqualityComparer<T?>.Default.Equals(before, after)) return;
        Add(Child(pointer, name), before is null ? null : Text(before, write), after is null ? null : Text(after, write));
    }

    /// <summary>An optional object or array: descended into when present on both sides, else one change of the whole value.</summary>
    public void Nested<T>(string pointer, string name, T? before, T? after, Action<T, T, string, JsonDiff> descend, Action<Utf8JsonWriter, T> write)
        where T : class
    {
        if (ReferenceEquals(before, after)) return;
        if (before is not null && after is not null) descend(before, after, Child(pointer, name), this);
        else Add(Child(pointer, name), before is null ? null : Text(before, write), after is null ? null : Text(after, write));
    }

    /// <summary>An array's items, when both arrays have the same length (else one change of the whole array).</summary>
    public bool SameLength<T>(string pointer, ValueList<T> before, ValueList<T> after, Action<Utf8JsonWriter, ValueList<T>> write)
    {
        if (before.Count == after.Count) return true;
        Add(pointer, Text(before, write), Text(after, write));
        return false;
    }

    /// <inheritdoc cref="Raw(string, RawJson?, RawJson?)"/>
    public void Raw(string pointer, string name, RawJson? before, RawJson? after)
    {
        if (!Equals(before, after)) Raw(Child(pointer, name), before, after);
    }

    /// <summary>A free-form value: compared as JSON, descending into it where both sides are objects.</summary>
    public void Raw(string pointer, RawJson? before, RawJson? after)
    {
        if (Equals(before, after)) return;
        if (before is null || after is null)
        {
            Add(pointer, before?.Json, after?.Json);
            return;
        }
        using var old = JsonDocument.Parse(before.Json);
        using var @new = JsonDocument.Parse(after.Json);
        Compare(old.RootElement, @new.RootElement, pointer);
    }

    /// <summary>The members an open object carries beyond its schema's, matched by name (their order is not a change).</summary>
    public void Extensions(string pointer, ExtensionMembers before, ExtensionMembers after)
    {
        if (ReferenceEquals(before, after)) return;
        foreach (var member in before)
        {
            Raw(Child(pointer, JsonPointer.Escape(member.Key)), member.Value, after[member.Key]);
        }
        foreach (var member in after)
        {
            if (before[member.Key] is null) Add(Child(pointer, JsonPointer.Escape(member.Key)), null, member.Value.Json);
        }
    }

    // A value whose text is the same byte for byte is the same value: only what differs is descended into, so an update
    // of one field costs a walk down its path, not a pointer string and a comparison for every member of the document.
    private static bool SameText(JsonElement before, JsonElement after) =>
        JsonMarshal.GetRawUtf8Value(before).SequenceEqual(JsonMarshal.GetRawUtf8Value(after));

    private void Compare(JsonElement before, JsonElement after, string pointer)
    {
        if (SameText(before, after)) return;
        if (before.ValueKind == JsonValueKind.Object && after.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in before.EnumerateObject())
            {
                if (TryGetSameName(after, property, out var value))
                {
                    if (!SameText(property.Value, value)) Compare(property.Value, value, Child(pointer, JsonPointer.Escape(property.Name)));
                }
                else
                {
                    Add(Child(pointer, JsonPointer.Escape(property.Name)), property.Value.GetRawText(), null);
                }
            }
            foreach (var property in after.EnumerateObject())
            {
                if (!TryGetSameName(before, property, out _))
                {
                    Add(Child(pointer, JsonPointer.Escape(property.Name)), null, property.Value.GetRawText());
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
                if (!SameText(left.Current, right.Current)) Compare(left.Current, right.Current, Child(pointer, index.ToString(CultureInfo.InvariantCulture)));
                index++;
            }
            return;
        }
        if (!JsonElement.DeepEquals(before, after))
        {
            Add(pointer, before.GetRawText(), after.GetRawText());
        }
    }

    /// <summary>The member of <paramref name="target"/> named as <paramref name="property"/> is, looked up by its UTF-8 name (no string) unless it is escaped.</summary>
    private static bool TryGetSameName(JsonElement target, JsonProperty property, out JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        return raw.IndexOf((byte)'\\') < 0 ? target.TryGetProperty(raw, out value) : target.TryGetProperty(property.Name, out value);
    }
}
