using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace PeerTyped.Runtime;

/// <summary>One way a document breaks its schema: where (a JSON Pointer), which rule, and what was expected.</summary>
/// <param name="Pointer">RFC 6901 pointer to the offending value; empty for the whole document.</param>
/// <param name="Rule">The schema keyword that failed (type, enum, required, additionalProperties, json, …).</param>
/// <param name="Message">What was found and what was expected.</param>
public sealed record Violation(string Pointer, string Rule, string Message)
{
    /// <summary><c>/metadata/status: "DONE" is not one of INITIALIZED, …</c>; the whole document shows as <c>(document)</c>.</summary>
    public override string ToString() => (Pointer.Length == 0 ? "(document)" : Pointer) + ": " + Message;
}

/// <summary>The outcome of validating a document: valid, or every violation found.</summary>
public sealed class ValidationResult
{
    private ValidationResult(IReadOnlyList<Violation> violations) => Violations = violations;

    public static ValidationResult Valid { get; } = new([]);

    public static ValidationResult Of(IReadOnlyList<Violation> violations) => violations.Count == 0 ? Valid : new ValidationResult(violations);

    public bool IsValid => Violations.Count == 0;

    public IReadOnlyList<Violation> Violations { get; }

    public override string ToString() => IsValid ? "valid" : string.Join(Environment.NewLine, Violations);
}

/// <summary>
/// State of one streaming validation pass. Generated validators push path segments as they descend; a pointer string
/// is built only when a violation is recorded, so a valid document allocates nothing for paths.
/// </summary>
public sealed class ValidationContext
{
    private readonly List<Violation> _violations = [];
    private object[] _segments = new object[16];
    private int _depth;

    public IReadOnlyList<Violation> Violations => _violations;

    public void Push(string propertyName)
    {
        if (_depth == _segments.Length) Array.Resize(ref _segments, _depth * 2);
        _segments[_depth++] = propertyName;
    }

    public void Push(int index)
    {
        if (_depth == _segments.Length) Array.Resize(ref _segments, _depth * 2);
        _segments[_depth++] = index;
    }

    public void Pop() => _depth--;

    /// <summary>The JSON Pointer of the value being validated.</summary>
    public string CurrentPointer
    {
        get
        {
            var builder = new StringBuilder();
            for (var i = 0; i < _depth; i++)
            {
                builder.Append('/');
                builder.Append(_segments[i] is int index ? index.ToString(CultureInfo.InvariantCulture) : JsonPointer.Escape((string)_segments[i]));
            }
            return builder.ToString();
        }
    }

    public void Add(string rule, string message) => _violations.Add(new Violation(CurrentPointer, rule, message));

    public void AddAt(string childName, string rule, string message)
    {
        Push(childName);
        Add(rule, message);
        Pop();
    }

    /// <summary>Records a type mismatch and skips the offending value.</summary>
    public void TypeMismatch(ref Utf8JsonReader reader, string expected)
    {
        Add("type", $"{Describe(ref reader)} is not {expected}");
        reader.Skip();
    }

    public void MissingProperty(string name) => Add("required", $"required property \"{name}\" is missing");

    public void UnknownProperty(ref Utf8JsonReader reader, string name, string allowed)
    {
        Push(name);
        Add("additionalProperties", $"property \"{name}\" is not allowed here (allowed: {allowed})");
        Pop();
        reader.Skip();
    }

    public void CheckString(ref Utf8JsonReader reader, int? minLength, int? maxLength, Regex? pattern)
    {
        if (reader.TokenType != JsonTokenType.String) { TypeMismatch(ref reader, "a string"); return; }
        if (minLength is null && maxLength is null && pattern is null) return;
        var value = reader.GetString()!;
        var length = value.EnumerateRunes().Count();
        if (minLength is { } min && length < min) Add("minLength", $"{Quote(value)} is shorter than {min} characters");
        if (maxLength is { } max && length > max) Add("maxLength", $"{Quote(value)} is longer than {max} characters");
        if (pattern is not null && !pattern.IsMatch(value)) Add("pattern", $"{Quote(value)} does not match {pattern}");
    }

    public void CheckDateTime(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String) { TypeMismatch(ref reader, "a date-time string"); return; }
        if (!Timestamp.TryParse(reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan, out _))
        {
            Add("format", $"{Describe(ref reader)} is not an RFC 3339 date-time (expected e.g. 2025-08-06T12:00:00Z)");
        }
    }

    public void CheckInteger(ref Utf8JsonReader reader, long? minimum, long? maximum)
    {
        if (reader.TokenType != JsonTokenType.Number) { TypeMismatch(ref reader, "an integer"); return; }
        switch (JsonNumbers.ReadInteger(ref reader, out var value))
        {
            case JsonNumbers.IntegerStatus.NotAnInteger:
                Add("type", $"{Describe(ref reader)} is not an integer");
                return;
            case JsonNumbers.IntegerStatus.OutOfRange:
                // JSON Schema has no upper bound on integers, but the generated type is a 64-bit long: a value it could
                // not hold would be "valid" here and then crash every reader.
                Add("type", $"{Describe(ref reader)} is outside the range of a 64-bit integer ({long.MinValue} to {long.MaxValue})");
                return;
        }
        if (minimum is { } min && value < min) Add("minimum", $"{value} is less than the minimum {min}");
        if (maximum is { } max && value > max) Add("maximum", $"{value} is greater than the maximum {max}");
    }

    public void CheckNumber(ref Utf8JsonReader reader, decimal? minimum, decimal? maximum) =>
        CheckNumber(ref reader, minimum, maximum, [], null);

    /// <summary>A JSON number kept as a <see cref="decimal"/>: it must fit one exactly, so a value read is the value written back.</summary>
    public void CheckNumber(ref Utf8JsonReader reader, decimal? minimum, decimal? maximum, scoped ReadOnlySpan<decimal> allowed, string? allowedText)
    {
        if (reader.TokenType != JsonTokenType.Number) { TypeMismatch(ref reader, "a number"); return; }
        if (!JsonNumbers.TryReadExact(ref reader, out var value))
        {
            Add("type", $"{Describe(ref reader)} cannot be stored exactly (numbers are kept as decimals: at most 28 significant digits, magnitude below 7.9e28)");
            return;
        }
        if (!allowed.IsEmpty && !allowed.Contains(value)) Add("enum", $"{Describe(ref reader)} is not one of {allowedText}");
        if (minimum is { } min && value < min) Add("minimum", $"{Describe(ref reader)} is less than the minimum {min.ToString(CultureInfo.InvariantCulture)}");
        if (maximum is { } max && value > max) Add("maximum", $"{Describe(ref reader)} is greater than the maximum {max.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>Any JSON value is allowed here (a <c>{}</c> or <c>true</c> schema); it is skipped.</summary>
    public void CheckAny(ref Utf8JsonReader reader) => reader.Skip();

    /// <summary>Records a violation of a conditional rule at <paramref name="path"/> below the current value.</summary>
    public void AddAt(scoped ReadOnlySpan<string> path, string rule, string message)
    {
        foreach (var segment in path) Push(segment);
        Add(rule, message);
        _depth -= path.Length;
    }

    public void CheckBoolean(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False)) TypeMismatch(ref reader, "a boolean");
    }

    public void CheckOpenObject(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject) { TypeMismatch(ref reader, "an object"); return; }
        reader.Skip();
    }

    public void CheckItemCount(int count, int? minItems, int? maxItems)
    {
        if (minItems is { } min && count < min) Add("minItems", $"has {count} items, fewer than the minimum {min}");
        if (maxItems is { } max && count > max) Add("maxItems", $"has {count} items, more than the maximum {max}");
    }

    public void NotInEnum(ref Utf8JsonReader reader, string allowed) => Add("enum", $"{Describe(ref reader)} is not one of {allowed}");

    /// <summary>Runs a generated root validator over a whole document, turning malformed JSON into a violation.</summary>
    public static ValidationResult Run(ReadOnlySpan<byte> utf8Json, ValidateValue validateRoot)
    {
        var context = new ValidationContext();
        if (utf8Json.IsEmpty || utf8Json.IndexOfAnyExcept(" \t\r\n"u8) < 0)
        {
            context.Add("json", "the document is empty");
            return ValidationResult.Of(context.Violations);
        }
        if (!System.Text.Unicode.Utf8.IsValid(utf8Json))
        {
            context.Add("json", $"invalid UTF-8 at byte {InvalidUtf8Offset(utf8Json)}");
            return ValidationResult.Of(context.Violations);
        }
        // A \ud800 escape without its pair is well-formed JSON but not Unicode text: no string can hold it, so every
        // reader would crash on it. Looked for only when the bytes contain a \uD escape at all.
        if ((utf8Json.IndexOf("\\ud"u8) >= 0 || utf8Json.IndexOf("\\uD"u8) >= 0) && JsonText.FindLoneSurrogate(utf8Json) is { } lone)
        {
            return ValidationResult.Of([lone]);
        }
        // Two members with one name: readers disagree on which counts, so the document has no single meaning.
        if (JsonStrict.FindDuplicateName(utf8Json, JsonText.ReaderOptions) is { } duplicate) return ValidationResult.Of([duplicate]);
        var reader = new Utf8JsonReader(utf8Json, JsonText.ReaderOptions);
        try
        {
            reader.Read();
            validateRoot(ref reader, context);
            if (reader.Read()) context.Add("json", $"unexpected data after the document at byte {reader.TokenStartIndex}");
        }
        catch (JsonException ex)
        {
            return ValidationResult.Of([new Violation(string.Empty, "json", $"malformed JSON at line {ex.LineNumber + 1}, byte {reader.BytesConsumed}: {ex.Message.Split(" LineNumber:")[0]}")]);
        }
        return ValidationResult.Of(context.Violations);
    }

    private static int InvalidUtf8Offset(ReadOnlySpan<byte> bytes)
    {
        var status = System.Text.Unicode.Utf8.ToUtf16(bytes, new char[bytes.Length], out var read, out _, replaceInvalidSequences: false);
        return status == System.Buffers.OperationStatus.Done ? bytes.Length : read;
    }

    /// <summary>A short rendering of the current value for messages: strings quoted, long text cut.</summary>
    public static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => Quote(reader.GetString()!),
        JsonTokenType.Number => Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan.ToArray()),
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => reader.TokenType.ToString(),
    };

    private static string Quote(string value) => JsonSerializerQuote(value.Length > 60 ? value[..57] + "..." : value);

    private static string JsonSerializerQuote(string value)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, JsonText.CompactWriterOptions)) writer.WriteStringValue(value);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

/// <summary>A generated validator for one value; the reader is on the value's first token and ends on its last.</summary>
public delegate void ValidateValue(ref Utf8JsonReader reader, ValidationContext context);
