using System.Text;
using System.Text.Json;

namespace PeerTyped.Runtime;

/// <summary>Strict RFC 3339 date-times (what jq's <c>now | todate</c> writes), read and written the same way everywhere.</summary>
public static class Timestamp
{
    /// <summary>Parses <c>YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)</c>; nothing looser.</summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length < 20 || text.Length > 40) return false;
        if (text[4] != '-' || text[7] != '-' || (text[10] | 0x20) != 't' || text[13] != ':' || text[16] != ':') return false;
        if (!Digits(text, 0, 4, out var year) || !Digits(text, 5, 2, out var month) || !Digits(text, 8, 2, out var day) ||
            !Digits(text, 11, 2, out var hour) || !Digits(text, 14, 2, out var minute) || !Digits(text, 17, 2, out var second)) return false;
        var position = 19;
        long ticks = 0;
        if (text[position] == '.')
        {
            position++;
            var start = position;
            long scale = TimeSpan.TicksPerSecond;
            while (position < text.Length && text[position] is >= (byte)'0' and <= (byte)'9')
            {
                scale /= 10;
                ticks += (text[position] - '0') * scale;
                position++;
            }
            if (position == start) return false;
        }
        if (position >= text.Length) return false;
        TimeSpan offset;
        if ((text[position] | 0x20) == 'z' && position == text.Length - 1)
        {
            offset = TimeSpan.Zero;
        }
        else if ((text[position] == '+' || text[position] == '-') && position + 6 == text.Length && text[position + 3] == ':'
                 && Digits(text, position + 1, 2, out var offsetHours) && Digits(text, position + 4, 2, out var offsetMinutes)
                 && offsetHours < 24 && offsetMinutes < 60)
        {
            offset = new TimeSpan(offsetHours, offsetMinutes, 0);
            if (text[position] == '-') offset = -offset;
        }
        else
        {
            return false;
        }
        // RFC 3339 allows a leap second (:60); .NET cannot hold one, so it counts as the last tick of :59.
        var leap = second == 60;
        if (leap) second = 59;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return false;
        try
        {
            value = new DateTimeOffset(year, month, day, hour, minute, second, offset).AddTicks(leap ? TimeSpan.TicksPerSecond - 1 : ticks);
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    public static bool TryParse(string text, out DateTimeOffset value) => TryParse(Encoding.UTF8.GetBytes(text), out value);

    /// <summary>Reads a date-time the validator already accepted.</summary>
    public static DateTimeOffset Read(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String &&
            TryParse(reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan, out var value)) return value;
        throw new JsonException($"expected an RFC 3339 date-time, found {ValidationContext.Describe(ref reader)}");
    }

    /// <summary>RFC 3339 with <c>Z</c> for UTC, fractional seconds only when present (as jq and JavaScript write them).</summary>
    /// <remarks>
    /// Written digit by digit: every read of a stored timestamp formats it to see whether its text is this one, and
    /// custom format strings cost more than the rest of reading it.
    /// </remarks>
    public static string Format(DateTimeOffset value)
    {
        var clock = value.DateTime;
        var fraction = (int)(clock.Ticks % TimeSpan.TicksPerSecond);
        var fractionDigits = fraction == 0 ? 0 : 7;
        while (fraction != 0 && fraction % 10 == 0)
        {
            fraction /= 10;
            fractionDigits--;
        }
        var offsetMinutes = (int)(value.Offset.Ticks / TimeSpan.TicksPerMinute);
        var length = 19 + (fractionDigits == 0 ? 0 : 1 + fractionDigits) + (offsetMinutes == 0 ? 1 : 6);
        return string.Create(length, (clock, fraction, fractionDigits, offsetMinutes), static (text, state) =>
        {
            var (clock, fraction, fractionDigits, offsetMinutes) = state;
            Put(text, 0, clock.Year, 4);
            text[4] = '-';
            Put(text, 5, clock.Month, 2);
            text[7] = '-';
            Put(text, 8, clock.Day, 2);
            text[10] = 'T';
            Put(text, 11, clock.Hour, 2);
            text[13] = ':';
            Put(text, 14, clock.Minute, 2);
            text[16] = ':';
            Put(text, 17, clock.Second, 2);
            var position = 19;
            if (fractionDigits > 0)
            {
                text[position++] = '.';
                Put(text, position, fraction, fractionDigits);
                position += fractionDigits;
            }
            if (offsetMinutes == 0)
            {
                text[position] = 'Z';
                return;
            }
            text[position] = offsetMinutes < 0 ? '-' : '+';
            offsetMinutes = Math.Abs(offsetMinutes);
            Put(text, position + 1, offsetMinutes / 60, 2);
            text[position + 3] = ':';
            Put(text, position + 4, offsetMinutes % 60, 2);
        });
    }

    /// <summary>Writes <paramref name="value"/> as exactly <paramref name="digits"/> decimal digits, zero-padded.</summary>
    private static void Put(Span<char> text, int start, int value, int digits)
    {
        for (var i = start + digits - 1; i >= start; i--)
        {
            text[i] = (char)('0' + value % 10);
            value /= 10;
        }
    }

    /// <summary>The text a <see cref="PeerTimestamp"/> is written as: as read, or <see cref="Format(DateTimeOffset)"/> when set from code.</summary>
    public static string Format(PeerTimestamp value) => value.Text;

    private static bool Digits(ReadOnlySpan<byte> text, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            var digit = text[i] - '0';
            if (digit is < 0 or > 9) return false;
            value = value * 10 + digit;
        }
        return true;
    }
}
