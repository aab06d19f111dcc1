using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PeerTyped.Runtime;

/// <summary>Reads a value the reader is positioned on.</summary>
public delegate T ReadValue<out T>(ref Utf8JsonReader reader);

/// <summary>
/// Turns command-line text into typed values for generated setters (<c>peer-typed set plan.status completed</c>).
/// Each failure is a <see cref="FormatException"/> whose message says what was expected.
/// </summary>
public static class FieldText
{
    public static long ParseInteger(string text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"expected an integer, got {Show(text)}");

    /// <summary>A JSON number held exactly as a decimal (66.67 stays 66.67).</summary>
    public static decimal ParseNumber(string text) =>
        JsonNumbers.TryParseExact(text, out var value)
            ? value
            : throw new FormatException($"expected a number (at most 28 significant digits), got {Show(text)}");

    /// <summary>Any single JSON value, kept as written.</summary>
    public static RawJson ParseAny(string text)
    {
        try
        {
            return RawJson.Parse(text);
        }
        catch (JsonException)
        {
            throw new FormatException($"expected a JSON value, got {Show(text)}");
        }
    }

    public static bool ParseBoolean(string text) => text switch
    {
        "true" => true,
        "false" => false,
        _ => throw new FormatException($"expected true or false, got {Show(text)}"),
    };

    /// <summary>An RFC 3339 date-time, or <c>now</c> (UTC, whole seconds, as jq's <c>now | todate</c>).</summary>
    public static DateTimeOffset ParseDateTime(string text)
    {
        if (text == "now")
        {
            var now = DateTimeOffset.UtcNow;
            return new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        }
        return Timestamp.TryParse(text, out var value)
            ? value
            : throw new FormatException($"expected an RFC 3339 date-time such as 2025-08-06T12:00:00Z, or now; got {Show(text)}");
    }

    /// <summary>As <see cref="ParseDateTime"/>, keeping a given timestamp's text (a leap second, 9 fraction digits) as written.</summary>
    public static PeerTimestamp ParseTimestamp(string text) =>
        text != "now" && PeerTimestamp.TryParse(text, out var timestamp) ? timestamp : ParseDateTime(text);

    public static RawJson ParseObject(string text)
    {
        RawJson value;
        try
        {
            value = RawJson.Parse(text);
        }
        catch (JsonException)
        {
            throw new FormatException($"expected a JSON object, got {Show(text)}");
        }
        return value.Json.StartsWith('{') ? value : throw new FormatException($"expected a JSON object, got {Show(text)}");
    }

    public static T ParseJson<T>(string text, string expected, ReadValue<T> read)
    {
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text), JsonText.ReaderOptions);
            if (!reader.Read()) throw new JsonException("empty");
            var value = read(ref reader);
            if (reader.Read()) throw new JsonException("more than one value");
            return value;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new FormatException($"expected {expected}, got {Show(text)} ({ex.Message})");
        }
    }

    /// <summary>Reads an integer the validator accepted (3.0 counts as 3).</summary>
    public static long ReadInteger(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && JsonNumbers.ReadInteger(ref reader, out var value) == JsonNumbers.IntegerStatus.Ok
            ? value
            : throw new JsonException($"{ValidationContext.Describe(ref reader)} is not an integer a 64-bit long can hold");

    /// <summary>Reads a free-form object.</summary>
    public static RawJson ReadObject(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.StartObject
            ? RawJson.Capture(ref reader)
            : throw new JsonException($"expected an object, found {ValidationContext.Describe(ref reader)}");

    private static string Show(string text) => text.Length > 60 ? "\"" + text[..57] + "...\"" : "\"" + text + "\"";
}
