using System.Text.Json;

namespace PeerTyped.Runtime;

/// <summary>
/// Helpers for generated conditional rules (<c>if</c>/<c>then</c>/<c>else</c>). Each works on a copy of a reader that
/// stood on a property's value, so a rule can look into a value the streaming validator has already passed.
/// They follow JSON Schema: <c>properties</c> looks only into objects and only at members that are present.
/// </summary>
public static class JsonRules
{
    /// <summary>
    /// Moves <paramref name="reader"/> from an object down <paramref name="path"/>. False when a step is not an object or
    /// the member is absent: then a <c>properties</c> subschema holds vacuously.
    /// </summary>
    public static bool Descend(ref Utf8JsonReader reader, scoped ReadOnlySpan<string> path)
    {
        foreach (var name in path)
        {
            if (!Member(ref reader, name)) return false;
        }
        return true;
    }

    /// <summary>Whether the object holds every one of <paramref name="names"/>; true for a value that is not an object.</summary>
    public static bool HasAll(Utf8JsonReader reader, scoped ReadOnlySpan<string> names)
    {
        if (reader.TokenType != JsonTokenType.StartObject) return true;
        foreach (var name in names)
        {
            var copy = reader;
            if (!Member(ref copy, name)) return false;
        }
        return true;
    }

    /// <summary>Whether the value is the JSON string <paramref name="value"/>.</summary>
    public static bool IsString(ref Utf8JsonReader reader, string value) =>
        reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(value);

    /// <summary>Whether the value is a number equal to <paramref name="value"/> (1.0 equals 1, as JSON Schema compares).</summary>
    public static bool IsNumber(ref Utf8JsonReader reader, decimal value) =>
        reader.TokenType == JsonTokenType.Number && JsonNumbers.TryReadExact(ref reader, out var number) && number == value;

    private static bool Member(ref Utf8JsonReader reader, string name)
    {
        if (reader.TokenType != JsonTokenType.StartObject) return false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var found = reader.ValueTextEquals(name);
            reader.Read();
            if (found) return true;
            reader.Skip();
        }
        return false;
    }
}
