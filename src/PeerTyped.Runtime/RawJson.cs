using System.Buffers;
using System.Text;
using System.Text.Json;

namespace PeerTyped.Runtime;

/// <summary>
/// A JSON value kept as compact text: free-form objects and fields the schema does not name. Two values are equal
/// when their compact texts are equal, so a value read and written back is unchanged byte for byte.
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
    public static RawJson Capture(ref Utf8JsonReader reader)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, JsonText.CompactWriterOptions))
        {
            JsonText.CopyValue(ref reader, writer);
        }
        return new RawJson(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    /// <summary>Writes the value as it is.</summary>
    public void WriteTo(Utf8JsonWriter writer) => writer.WriteRawValue(Json, skipInputValidation: true);

    public bool Equals(RawJson? other) => other is not null && string.Equals(Json, other.Json, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is RawJson other && Equals(other);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Json);

    public override string ToString() => Json;
}
