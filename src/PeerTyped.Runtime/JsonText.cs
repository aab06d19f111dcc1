using System.Buffers;
using System.Text;
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

    /// <summary>
    /// Reader options for stored documents: no comments, no trailing commas, depth bounded by 256, the deepest document
    /// jq 1.6 can parse (the update path runs every document through jq, so a deeper one could never be changed).
    /// </summary>
    public static JsonReaderOptions ReaderOptions { get; } = new() { MaxDepth = 256 };

    /// <summary>The thread's buffer for writes whose writer is lent to a callback.</summary>
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary>The thread's buffer and writer for remembering writes, which lend them to no callback.</summary>
    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer)? t_remembering;

    /// <summary>A kept buffer that grew past this is let go rather than held by the thread for good.</summary>
    private const int KeptBufferLimit = 1 << 20;

    /// <summary>
    /// Writes <paramref name="value"/> with <paramref name="write"/> and returns the bytes. The buffer and the writer are
    /// the thread's own and reused, so a document costs one array (its bytes), not a chain of growing buffers. A compact
    /// write copies the bytes of objects written before (<see cref="WrittenJson"/>).
    /// </summary>
    public static byte[] Write<T>(T value, Action<T, Utf8JsonWriter> write, bool indented = false) => Write(value, write, indented, remember: false);

    /// <summary>
    /// The compact write of a store's typed change: it also keeps the bytes of the document's large objects, for the
    /// next version of the document (<see cref="WrittenJson"/>). Not public: the bytes are cut out of the buffer by the
    /// writer's byte counts, so <paramref name="write"/> must be a generated <c>WriteJson</c>, which runs no caller code
    /// that could reset the writer or point it elsewhere.
    /// </summary>
    internal static byte[] WriteRemembering<T>(T value, Action<T, Utf8JsonWriter> write) => Write(value, write, indented: false, remember: true);

    private static byte[] Write<T>(T value, Action<T, Utf8JsonWriter> write, bool indented, bool remember)
    {
        ArgumentNullException.ThrowIfNull(write);
        // The buffer is taken while in use: a write inside this one (a callback that logs a document) gets its own. A
        // writer lent to a callback is new each time and pointed away from the buffer afterwards, since the callback may
        // keep it; only a remembering write, which lends its writer to no caller, reuses one.
        ArrayBufferWriter<byte> buffer;
        Utf8JsonWriter writer;
        if (remember)
        {
            buffer = t_remembering?.Buffer ?? new ArrayBufferWriter<byte>(16 * 1024);
            writer = t_remembering?.Writer ?? new Utf8JsonWriter(buffer, CompactWriterOptions);
            t_remembering = null;
            writer.Reset(buffer);
        }
        else
        {
            buffer = t_buffer ?? new ArrayBufferWriter<byte>(16 * 1024);
            t_buffer = null;
            writer = new Utf8JsonWriter(buffer, indented ? IndentedWriterOptions : CompactWriterOptions);
        }
        try
        {
            if (indented)
            {
                write(value, writer);
            }
            else
            {
                using var scope = new WrittenJson.Scope(writer, buffer, remember);
                write(value, writer);
            }
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            buffer.ResetWrittenCount();
            writer.Reset(Stream.Null);
            // A kept buffer that grew past the limit is let go rather than held by the thread for good.
            if (buffer.Capacity <= KeptBufferLimit)
            {
                if (remember) t_remembering = (buffer, writer);
                else t_buffer = buffer;
            }
        }
    }

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
                RefuseLoneSurrogate(ref reader);
                if (reader.ValueIsEscaped || reader.HasValueSequence) writer.WritePropertyName(reader.GetString()!);
                else writer.WritePropertyName(reader.ValueSpan);
                break;
            case JsonTokenType.String:
                RefuseLoneSurrogate(ref reader);
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

    /// <summary>
    /// Copies the value the reader is on compactly, every token exactly as it was written (string escapes and number
    /// spellings included), and leaves the reader on its last token.
    /// </summary>
    public static byte[] CopyValueExact(ref Utf8JsonReader reader)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        var startDepth = reader.CurrentDepth;
        var needsComma = false;
        while (true)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    if (needsComma) buffer.Write(","u8);
                    buffer.Write(reader.TokenType == JsonTokenType.StartObject ? "{"u8 : "["u8);
                    needsComma = false;
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    buffer.Write(reader.TokenType == JsonTokenType.EndObject ? "}"u8 : "]"u8);
                    needsComma = true;
                    break;
                case JsonTokenType.PropertyName:
                    RefuseLoneSurrogate(ref reader);
                    if (needsComma) buffer.Write(","u8);
                    buffer.Write("\""u8);
                    WriteValueBytes(ref reader, buffer);
                    buffer.Write("\":"u8);
                    needsComma = false;
                    break;
                case JsonTokenType.String:
                    RefuseLoneSurrogate(ref reader);
                    if (needsComma) buffer.Write(","u8);
                    buffer.Write("\""u8);
                    WriteValueBytes(ref reader, buffer);
                    buffer.Write("\""u8);
                    needsComma = true;
                    break;
                case JsonTokenType.Number:
                case JsonTokenType.True:
                case JsonTokenType.False:
                case JsonTokenType.Null:
                    if (needsComma) buffer.Write(","u8);
                    if (reader.TokenType == JsonTokenType.Number) WriteValueBytes(ref reader, buffer);
                    else buffer.Write(reader.TokenType == JsonTokenType.True ? "true"u8 : reader.TokenType == JsonTokenType.False ? "false"u8 : "null"u8);
                    needsComma = true;
                    break;
                default:
                    throw new JsonException($"unexpected token {reader.TokenType}");
            }
            var done = reader.CurrentDepth == startDepth && reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray or JsonTokenType.PropertyName);
            if (done || !reader.Read()) break;
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Kept text must be text: the same rule the validator applies (see <see cref="FindLoneSurrogate"/>).</summary>
    private static void RefuseLoneSurrogate(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped && HasLoneSurrogate(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan))
        {
            throw new JsonException("a string holds an unpaired UTF-16 surrogate escape, which is not Unicode text");
        }
    }

    private static void WriteValueBytes(ref Utf8JsonReader reader, ArrayBufferWriter<byte> buffer)
    {
        if (reader.HasValueSequence) buffer.Write(reader.ValueSequence.ToArray());
        else buffer.Write(reader.ValueSpan);
    }

    /// <summary>
    /// The first string or property name holding a <c>\uD800</c>–<c>\uDFFF</c> escape without its pair, as a violation
    /// at its JSON Pointer; null when there is none (or the JSON is malformed, which the validator reports itself).
    /// </summary>
    public static Violation? FindLoneSurrogate(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, ReaderOptions);
        // One frame per open container: the current property name of an object, the current index of an array.
        var frames = new List<(bool IsArray, string? Name, int Index)>();
        try
        {
            while (reader.Read())
            {
                var token = reader.TokenType;
                if (token is JsonTokenType.EndObject or JsonTokenType.EndArray)
                {
                    frames.RemoveAt(frames.Count - 1);
                    continue;
                }
                if (token == JsonTokenType.PropertyName)
                {
                    if (reader.ValueIsEscaped && HasLoneSurrogate(reader.ValueSpan))
                    {
                        return new Violation(Pointer(frames, frames.Count - 1), "json", "a property name holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff without its pair), which is not Unicode text");
                    }
                    frames[^1] = (false, reader.GetString(), 0);
                    continue;
                }
                if (frames.Count > 0 && frames[^1].IsArray) frames[^1] = (true, null, frames[^1].Index + 1);
                if (token == JsonTokenType.String && reader.ValueIsEscaped && HasLoneSurrogate(reader.ValueSpan))
                {
                    return new Violation(Pointer(frames, frames.Count), "json", "the string holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff without its pair), which is not Unicode text");
                }
                if (token is JsonTokenType.StartObject or JsonTokenType.StartArray) frames.Add((token == JsonTokenType.StartArray, null, -1));
            }
        }
        catch (JsonException)
        {
            return null;
        }
        return null;
    }

    private static string Pointer(List<(bool IsArray, string? Name, int Index)> frames, int count)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            builder.Append('/');
            builder.Append(frames[i].IsArray ? frames[i].Index.ToString(System.Globalization.CultureInfo.InvariantCulture) : JsonPointer.Escape(frames[i].Name ?? string.Empty));
        }
        return builder.ToString();
    }

    /// <summary>Whether escaped JSON string bytes hold a high surrogate escape not followed by a low one, or a low one alone.</summary>
    private static bool HasLoneSurrogate(ReadOnlySpan<byte> raw)
    {
        for (var i = 0; i < raw.Length - 1; i++)
        {
            if (raw[i] != '\\') continue;
            if (raw[i + 1] != 'u') { i++; continue; }
            var unit = Hex(raw.Slice(i + 2, 4));
            i += 5;
            if (unit is >= 0xDC00 and <= 0xDFFF) return true;
            if (unit is < 0xD800 or > 0xDBFF) continue;
            if (i + 6 < raw.Length && raw[i + 1] == '\\' && raw[i + 2] == 'u' && Hex(raw.Slice(i + 3, 4)) is >= 0xDC00 and <= 0xDFFF)
            {
                i += 6;
                continue;
            }
            return true;
        }
        return false;
    }

    private static int Hex(ReadOnlySpan<byte> four) =>
        int.Parse(Encoding.ASCII.GetString(four), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture);
}
