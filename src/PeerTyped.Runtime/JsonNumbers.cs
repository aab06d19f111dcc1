using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PeerTyped.Runtime;

/// <summary>
/// How JSON numbers become C# values. <c>integer</c> is a <see cref="long"/> (3.0 counts as 3, as JSON Schema says);
/// <c>number</c> is a <see cref="decimal"/>, because a decimal holds the digits it was given: 66.67 is read as exactly
/// 66.67 and written back as <c>66.67</c>, 1.0 stays <c>1.0</c>. A number a decimal cannot hold exactly (more than 28
/// significant digits, or beyond ±7.9e28) is refused by the validator rather than silently rounded.
/// </summary>
public static class JsonNumbers
{
    public enum IntegerStatus { Ok, NotAnInteger, OutOfRange }

    /// <summary>Reads an integer token exactly: 1.0 and 1e2 are integers, 1.5 is not, 2^63 is out of range.</summary>
    public static IntegerStatus ReadInteger(ref Utf8JsonReader reader, out long value)
    {
        if (reader.TryGetInt64(out value)) return IntegerStatus.Ok;
        if (!Normalize(RawText(ref reader), out var negative, out var digits, out var exponent)) return IntegerStatus.NotAnInteger;
        if (exponent < 0) return IntegerStatus.NotAnInteger;
        // An integral value: digits followed by `exponent` zeros. Anything with 20 or more digits cannot be a long.
        if (digits.Length + exponent > 19) return IntegerStatus.OutOfRange;
        var text = (negative ? "-" : string.Empty) + digits + new string('0', exponent);
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value) ? IntegerStatus.Ok : IntegerStatus.OutOfRange;
    }

    /// <summary>Reads a number token as a decimal, only when the decimal holds exactly the value written.</summary>
    public static bool TryReadExact(ref Utf8JsonReader reader, out decimal value)
    {
        if (!reader.TryGetDecimal(out value)) return false;
        // Without an exponent and with at most 28 digits, a decimal holds the value exactly: no text to compare.
        if (!reader.HasValueSequence && IsPlainShort(reader.ValueSpan)) return true;
        return Same(RawText(ref reader), value.ToString(CultureInfo.InvariantCulture));
    }

    private static bool IsPlainShort(ReadOnlySpan<byte> number)
    {
        var digits = 0;
        foreach (var b in number)
        {
            if (b is (byte)'e' or (byte)'E') return false;
            if (b is >= (byte)'0' and <= (byte)'9') digits++;
        }
        return digits <= 28;
    }

    /// <summary>Reads a number the validator accepted.</summary>
    public static decimal ReadNumber(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && TryReadExact(ref reader, out var value)
            ? value
            : throw new JsonException($"{ValidationContext.Describe(ref reader)} is not a number that can be stored exactly");

    /// <summary>Parses command-line text as a JSON number held exactly (66.67, 1e2, -3).</summary>
    public static bool TryParseExact(string text, out decimal value)
    {
        value = 0;
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.Number) return false;
            if (!TryReadExact(ref reader, out value)) return false;
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string RawText(ref Utf8JsonReader reader) =>
        Encoding.ASCII.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan);

    private static bool Same(string json, string decimalText) =>
        Normalize(json, out var n1, out var d1, out var e1) && Normalize(decimalText, out var n2, out var d2, out var e2) &&
        n1 == n2 && d1 == d2 && e1 == e2;

    /// <summary>Splits a JSON number into sign, significant digits (no leading or trailing zeros) and a power of ten.</summary>
    private static bool Normalize(string text, out bool negative, out string digits, out int exponent)
    {
        negative = false;
        digits = string.Empty;
        exponent = 0;
        var i = 0;
        if (i < text.Length && text[i] == '-') { negative = true; i++; }
        var builder = new StringBuilder();
        var fractionDigits = 0;
        var inFraction = false;
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (c is >= '0' and <= '9')
            {
                builder.Append(c);
                if (inFraction) fractionDigits++;
            }
            else if (c == '.' && !inFraction) inFraction = true;
            else break;
        }
        long power = 0;
        if (i < text.Length)
        {
            if (text[i] is not ('e' or 'E')) return false;
            if (!long.TryParse(text.AsSpan(i + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out power)) return false;
            if (power is > 100_000 or < -100_000) return false;
        }
        var all = builder.ToString().TrimStart('0');
        var trimmed = all.TrimEnd('0');
        if (trimmed.Length == 0)
        {
            negative = false;
            digits = "0";
            exponent = 0;
            return true;
        }
        digits = trimmed;
        exponent = (int)(power - fractionDigits + (all.Length - trimmed.Length));
        return true;
    }
}
