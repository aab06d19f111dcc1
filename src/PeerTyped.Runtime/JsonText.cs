using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace PeerTyped.Runtime;

/// <summary>Shared JSON writing conventions: UTF-8 text kept readable (as jq prints it), numbers copied exactly.</summary>
public static class JsonText
{
    /// <summary>Compact output; non-ASCII text is written as UTF-8 rather than \u escapes.</summary>
    public static JsonWriterOptions CompactWriterOptions { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Indented output with two spaces, as jq prints.</summary>
    public static JsonWriterOptions IndentedWriterOptions { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true };

    /// <summary>Reader options for stored documents: no comments, no trailing commas, depth bounded.</summary>
    public static JsonReaderOptions ReaderOptions { get; } = new() { MaxDepth = 64 };

    /// <summary>Copies the value the reader is on (scalar, object or array) to the writer, token by token.</summary>
    public static void CopyValue(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        var startDepth = reader.CurrentDepth;
        CopyToken(ref reader, writer);
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray)) return;
        while (reader.Read())
        {
            CopyToken(ref reader, writer);
            if (reader.CurrentDepth == startDepth && reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray) return;
        }
    }

    private static void CopyToken(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject: writer.WriteStartObject(); break;
            case JsonTokenType.EndObject: writer.WriteEndObject(); break;
            case JsonTokenType.StartArray: writer.WriteStartArray(); break;
            case JsonTokenType.EndArray: writer.WriteEndArray(); break;
            case JsonTokenType.PropertyName:
                if (reader.ValueIsEscaped || reader.HasValueSequence) writer.WritePropertyName(reader.GetString()!);
                else writer.WritePropertyName(reader.ValueSpan);
                break;
            case JsonTokenType.String:
                if (reader.ValueIsEscaped || reader.HasValueSequence) writer.WriteStringValue(reader.GetString());
                else writer.WriteStringValue(reader.ValueSpan);
                break;
            case JsonTokenType.Number:
                writer.WriteRawValue(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan, skipInputValidation: true);
                break;
            case JsonTokenType.True: writer.WriteBooleanValue(true); break;
            case JsonTokenType.False: writer.WriteBooleanValue(false); break;
            case JsonTokenType.Null: writer.WriteNullValue(); break;
            default: throw new JsonException($"unexpected token {reader.TokenType}");
        }
    }

    /// <summary>Re-writes a whole JSON document compactly or indented.</summary>
    public static byte[] Reformat(ReadOnlySpan<byte> utf8Json, bool indented)
    {
        var reader = new Utf8JsonReader(utf8Json, ReaderOptions);
        var buffer = new ArrayBufferWriter<byte>(utf8Json.Length + 64);
        using (var writer = new Utf8JsonWriter(buffer, indented ? IndentedWriterOptions : CompactWriterOptions))
        {
            if (!reader.Read()) throw new JsonException("the document is empty");
            CopyValue(ref reader, writer);
        }
        if (reader.Read()) throw new JsonException("more than one JSON value");
        return buffer.WrittenSpan.ToArray();
    }
}
