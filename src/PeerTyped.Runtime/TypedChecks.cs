using System.Text.RegularExpressions;

namespace PeerTyped.Runtime;

/// <summary>
/// What a typed value can still get wrong once written, for the generated <c>IsValidChange</c>: the constraints of its
/// schema (lengths, patterns, bounds, allowed numbers) and, for strings, a lone surrogate (which the writer does not
/// write as given: it is left to the validator of the written bytes). Everything else — types, required value members, enum spellings, date-times, number
/// exactness — a typed value cannot break. Each check agrees with the validator's check of the written value.
/// </summary>
public static class TypedChecks
{
    public static bool String(string? value, int? minLength, int? maxLength, Regex? pattern)
    {
        if (value is null) return false;
        var length = 0;
        for (var i = 0; i < value.Length; i++, length++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) i++;
            else if (char.IsSurrogate(value[i])) return false;
        }
        return (minLength is not { } min || length >= min) && (maxLength is not { } max || length <= max) && (pattern is null || pattern.IsMatch(value));
    }

    public static bool Integer(long value, long? minimum, long? maximum) =>
        (minimum is not { } min || value >= min) && (maximum is not { } max || value <= max);

    public static bool Number(decimal value, decimal? minimum, decimal? maximum, scoped ReadOnlySpan<decimal> allowed) =>
        (allowed.IsEmpty || allowed.Contains(value)) && (minimum is not { } min || value >= min) && (maximum is not { } max || value <= max);
}
