using System.Buffers;
using System.Text;
using System.Text.Json;

namespace PeerTyped.Runtime;

/// <summary>
/// A JSON value kept as compact text: free-form objects, "any JSON" values (<c>{}</c> or <c>true</c> schemas) and fields
/// the schema does not name. Every token is kept exactly as it was written (string escapes and number spellings
/// included; only the whitespace between tokens goes), so a value read and written back is unchanged byte for byte.
/// Two values are equal when their texts are equal.
/// </summary>
public sealed class RawJson : IEquatable<RawJson>
{
    private RawJson(string compactJson) => Json = compactJson;

    /// <summary>The value as compact JSON text.</summary>
    public string Json { get; }

    /// <summary>The empty JSON object.</summary>
    public static RawJson EmptyObject { get; } = new("{}");

    /// <summary>Parses and compacts <paramref name="json"/>; throws <see cref="JsonException"/> when it is not one JSON value.</summary>
    public static RawJson Parse(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        if (!reader.Read()) throw new JsonException("expected a JSON value");
        var value = Capture(ref reader);
        if (reader.Read()) throw new JsonException("expected a single JSON value");
        return value;
    }

    /// <summary>Copies the value the reader is positioned on, compacted, and leaves the reader on its last token.</summary>
    public static RawJson Capture(ref Utf8JsonReader reader) => new(Encoding.UTF8.GetString(JsonText.CopyValueExact(ref reader)));

    /// <summary>A JSON string holding <paramref name="value"/>.</summary>
    public static RawJson FromString(string value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, JsonText.CompactWriterOptions)) writer.WriteStringValue(value);
        return new RawJson(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    /// <summary>The JSON null.</summary>
    public static RawJson Null { get; } = new("null");

    /// <summary>The text of a JSON string value, or null when the value is not a string.</summary>
    public string? AsString()
    {
        if (Json.Length == 0 || Json[0] != '"') return null;
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(Json));
        reader.Read();
        return reader.GetString();
    }

    /// <summary>Writes the value as it is.</summary>
    public void WriteTo(Utf8JsonWriter writer) => writer.WriteRawValue(Json, skipInputValidation: true);

    public bool Equals(RawJson? other) => other is not null && string.Equals(Json, other.Json, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is RawJson other && Equals(other);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Json);

    public override string ToString() => Json;
}
