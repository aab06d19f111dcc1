using System.Text;
using System.Text.Json;

namespace PeerTyped.Runtime;

/// <summary>
/// A schema <c>date-time</c>: the instant as a <see cref="DateTimeOffset"/> plus, when it was read from a document, the
/// text it was read from. A <see cref="DateTimeOffset"/> holds neither a leap second (<c>23:59:60</c>) nor digits past
/// 100 ns, so writing the value alone would change stored bytes that nobody edited; the kept text is written back
/// instead. A value set from code (an implicit conversion from <see cref="DateTimeOffset"/>) has no text and is written
/// by <see cref="Timestamp.Format(DateTimeOffset)"/>.
/// </summary>
public readonly struct PeerTimestamp : IEquatable<PeerTimestamp>
{
    // Only kept when it differs from Timestamp.Format(Value), so that equality compares what would be written.
    private readonly string? _text;

    private PeerTimestamp(DateTimeOffset value, string? text)
    {
        Value = value;
        _text = text;
    }

    public DateTimeOffset Value { get; }

    /// <summary>The RFC 3339 text this timestamp is written as.</summary>
    public string Text => _text ?? Timestamp.Format(Value);

    public static implicit operator PeerTimestamp(DateTimeOffset value) => new(value, null);

    public static implicit operator DateTimeOffset(PeerTimestamp timestamp) => timestamp.Value;

    /// <summary>Parses strict RFC 3339 (see <see cref="Timestamp.TryParse(ReadOnlySpan{byte}, out DateTimeOffset)"/>), keeping the text as given.</summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out PeerTimestamp timestamp)
    {
        if (!Timestamp.TryParse(text, out var value))
        {
            timestamp = default;
            return false;
        }
        var formatted = Timestamp.Format(value);
        timestamp = new PeerTimestamp(value, Matches(text, formatted) ? null : Encoding.UTF8.GetString(text));
        return true;
    }

    public static bool TryParse(string text, out PeerTimestamp timestamp) => TryParse(Encoding.UTF8.GetBytes(text), out timestamp);

    /// <summary>Reads a date-time the validator already accepted, keeping its text.</summary>
    public static PeerTimestamp Read(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String &&
            TryParse(reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan, out var value)) return value;
        throw new JsonException($"expected an RFC 3339 date-time, found {ValidationContext.Describe(ref reader)}");
    }

    /// <summary>Same instant, same offset and the same written text.</summary>
    public bool Equals(PeerTimestamp other) => Value.EqualsExact(other.Value) && string.Equals(_text, other._text, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is PeerTimestamp other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Value, Value.Offset, _text);

    public static bool operator ==(PeerTimestamp left, PeerTimestamp right) => left.Equals(right);

    public static bool operator !=(PeerTimestamp left, PeerTimestamp right) => !left.Equals(right);

    public override string ToString() => Text;

    private static bool Matches(ReadOnlySpan<byte> utf8, string ascii)
    {
        if (utf8.Length != ascii.Length) return false;
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] != ascii[i]) return false;
        }
        return true;
    }
}
