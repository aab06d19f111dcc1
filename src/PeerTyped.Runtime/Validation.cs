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
    // A name; or, with no name, an array index (>= 0) or a name held in the shared name buffer (entry -2 - Index):
    // no boxing per array item, no string per member name of open content.
    private (string? Name, int Index)[] _segments = new (string?, int)[16];
    private int _depth;

    public IReadOnlyList<Violation> Violations => _violations;

    /// <summary>The first member name found twice in one object; it alone is reported, since such a document has no single meaning.</summary>
    public Violation? Duplicate { get; private set; }

    public void Push(string propertyName)
    {
        if (_depth == _segments.Length) Array.Resize(ref _segments, _depth * 2);
        _segments[_depth++] = (propertyName, 0);
    }

    public void Push(int index)
    {
        if (_depth == _segments.Length) Array.Resize(ref _segments, _depth * 2);
        _segments[_depth++] = (null, index);
    }

    public void Pop() => _depth--;

    /// <summary>Pushes the name <see cref="OtherMember"/> just accepted into <paramref name="names"/>.</summary>
    private void PushLastName(MemberNames names)
    {
        if (_depth == _segments.Length) Array.Resize(ref _segments, _depth * 2);
        _segments[_depth++] = names.Large is null ? (null, -2 - (_nameCount - 1)) : (_lastLargeName, 0);
    }

    /// <summary>The JSON Pointer of the value being validated.</summary>
    public string CurrentPointer
    {
        get
        {
            var builder = new StringBuilder();
            for (var i = 0; i < _depth; i++)
            {
                builder.Append('/');
                var (name, index) = _segments[i];
                if (name is null && index < 0)
                {
                    var (offset, length, _) = _names[-2 - index];
                    name = Encoding.UTF8.GetString(_nameBytes, offset, length);
                }
                builder.Append(name is not null ? JsonPointer.Escape(name) : index.ToString(CultureInfo.InvariantCulture));
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
        SkipCheckingNames(ref reader);
    }

    /// <summary>
    /// A member of an object whose names the generated validator knows was seen before in this object (the bit of
    /// <paramref name="seen"/>): records the duplicate and skips its value. Returns true when it was a duplicate.
    /// </summary>
    public bool RepeatedMember(ref Utf8JsonReader reader, ref ulong seen, ulong bit)
    {
        if ((seen & bit) == 0)
        {
            seen |= bit;
            return false;
        }
        DuplicateName(reader.GetString()!);
        reader.Read();
        SkipCheckingNames(ref reader);
        return true;
    }

    /// <summary>
    /// A member the object's schema does not name: its name is checked against the object's other such names and the
    /// reader moves to its value. False when it was a duplicate, whose value is then skipped. The names live in one
    /// buffer shared by the whole pass (no allocation per object); <see cref="EndMembers"/> releases an object's names.
    /// </summary>
    public bool OtherMember(ref Utf8JsonReader reader, ref MemberNames names)
    {
        if (names.Start == 0)
        {
            names.Start = _nameCount + 1;
            names.BytesStart = _nameBytesUsed;
        }
        var fresh = names.Large is not null || reader.HasValueSequence
            ? (names.Large ??= new HashSet<string>(StringComparer.Ordinal)).Add(_lastLargeName = reader.GetString()!)
            : AddName(ref reader, ref names);
        if (fresh)
        {
            reader.Read();
            return true;
        }
        DuplicateName(reader.GetString()!);
        reader.Read();
        SkipCheckingNames(ref reader);
        return false;
    }

    /// <summary>The object whose member names <paramref name="names"/> holds has ended: its part of the shared buffer is free again.</summary>
    public void EndMembers(ref MemberNames names)
    {
        if (names.Start == 0) return;
        _nameCount = names.Start - 1;
        _nameBytesUsed = names.BytesStart;
        names = default;
    }

    // Member names of the open objects being read, innermost last: an object's names are contiguous because an inner
    // object's names are released (EndMembers) before its parent adds its next one.
    private byte[] _nameBytes = new byte[512];
    private int _nameBytesUsed;
    private (int Offset, int Length, int Hash)[] _names = new (int, int, int)[32];
    private int _nameCount;
    private string? _lastLargeName;

    /// <summary>Beyond this many names in one object, a hash set replaces the linear scan (an object with thousands of members must not cost their square).</summary>
    private const int LinearLimit = 32;

    private bool AddName(ref Utf8JsonReader reader, ref MemberNames names)
    {
        // An escaped name is compared as the text it stands for ("a" and "\u0061" are one name).
        var name = reader.ValueIsEscaped ? UnescapedName(ref reader) : reader.ValueSpan;
        var hash = Fnv1a(name);
        var first = names.Start - 1;
        for (var i = first; i < _nameCount; i++)
        {
            if (_names[i].Hash == hash && _nameBytes.AsSpan(_names[i].Offset, _names[i].Length).SequenceEqual(name)) return false;
        }
        if (_nameCount - first >= LinearLimit)
        {
            var large = new HashSet<string>(StringComparer.Ordinal);
            for (var i = first; i < _nameCount; i++) large.Add(Encoding.UTF8.GetString(_nameBytes, _names[i].Offset, _names[i].Length));
            _nameCount = first;
            _nameBytesUsed = names.BytesStart;
            names.Large = large;
            return large.Add(_lastLargeName = Encoding.UTF8.GetString(name));
        }
        if (_nameBytesUsed + name.Length > _nameBytes.Length) Array.Resize(ref _nameBytes, Math.Max(_nameBytes.Length * 2, _nameBytesUsed + name.Length));
        if (_nameCount == _names.Length) Array.Resize(ref _names, _names.Length * 2);
        name.CopyTo(_nameBytes.AsSpan(_nameBytesUsed));
        _names[_nameCount++] = (_nameBytesUsed, name.Length, hash);
        _nameBytesUsed += name.Length;
        return true;
    }

    private static byte[] UnescapedName(ref Utf8JsonReader reader)
    {
        var buffer = new byte[reader.ValueSpan.Length];
        return buffer.AsSpan(0, reader.CopyString(buffer)).ToArray();
    }

    private static int Fnv1a(ReadOnlySpan<byte> bytes)
    {
        var hash = 2166136261u;
        foreach (var b in bytes) hash = (hash ^ b) * 16777619u;
        return (int)hash;
    }

    private void DuplicateName(string name)
    {
        Duplicate ??= new Violation(CurrentPointer, "json", $"the member \"{(name.Length > 60 ? name[..57] + "..." : name)}\" appears twice in this object; JSON readers disagree on which one counts");
    }

    /// <summary>
    /// Skips the value the reader is on, as <see cref="Utf8JsonReader.Skip"/> does, but still refuses a member name
    /// that appears twice in any object inside it: content the schema leaves open must mean one thing too.
    /// </summary>
    public void SkipCheckingNames(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            var names = default(MemberNames);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!OtherMember(ref reader, ref names)) continue;
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    PushLastName(names);
                    SkipCheckingNames(ref reader);
                    Pop();
                }
            }
            EndMembers(ref names);
        }
        else if (reader.TokenType == JsonTokenType.StartArray)
        {
            var index = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    Push(index);
                    SkipCheckingNames(ref reader);
                    Pop();
                }
                index++;
            }
        }
    }

    public void MissingProperty(string name) => Add("required", $"required property \"{name}\" is missing");

    public void UnknownProperty(ref Utf8JsonReader reader, string name, string allowed)
    {
        Push(name);
        Add("additionalProperties", $"property \"{name}\" is not allowed here (allowed: {allowed})");
        SkipCheckingNames(ref reader);
        Pop();
    }

    public void CheckString(ref Utf8JsonReader reader, int? minLength, int? maxLength, Regex? pattern)
    {
        if (reader.TokenType != JsonTokenType.String) { TypeMismatch(ref reader, "a string"); return; }
        if (minLength is null && maxLength is null && pattern is null) return;
        if (!reader.ValueIsEscaped && !reader.HasValueSequence && reader.ValueSpan.Length <= 256)
        {
            // The common case without a string: characters are code points (UTF-8 lead bytes), the pattern runs on a stack copy.
            var utf8 = reader.ValueSpan;
            var runes = utf8.Length - CountContinuationBytes(utf8);
            Span<char> chars = stackalloc char[256];
            var written = Encoding.UTF8.GetChars(utf8, chars);
            if ((minLength is not { } least || runes >= least) && (maxLength is not { } most || runes <= most) && (pattern is null || pattern.IsMatch(chars[..written]))) return;
        }
        var value = reader.GetString()!;
        var length = 0;
        foreach (var _ in value.EnumerateRunes()) length++;
        if (minLength is { } min && length < min) Add("minLength", $"{Quote(value)} is shorter than {min} characters");
        if (maxLength is { } max && length > max) Add("maxLength", $"{Quote(value)} is longer than {max} characters");
        if (pattern is not null && !pattern.IsMatch(value)) Add("pattern", $"{Quote(value)} does not match {pattern}");
    }

    private static int CountContinuationBytes(ReadOnlySpan<byte> utf8)
    {
        var count = 0;
        foreach (var b in utf8) if ((b & 0xC0) == 0x80) count++;
        return count;
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
    public void CheckAny(ref Utf8JsonReader reader) => SkipCheckingNames(ref reader);

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
        SkipCheckingNames(ref reader);
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
        // A context of its own every time: it is lent to a delegate, which may keep it, and a context reused by the
        // thread's next validation (a store's, say) could then be changed from outside while that one runs.
        var context = new ValidationContext();
        if (utf8Json.IsEmpty || utf8Json.IndexOfAnyExcept(" \t\r\n"u8) < 0)
        {
            context.Add("json", "the document is empty");
            return context.Result();
        }
        if (!System.Text.Unicode.Utf8.IsValid(utf8Json))
        {
            context.Add("json", $"invalid UTF-8 at byte {InvalidUtf8Offset(utf8Json)}");
            return context.Result();
        }
        // A \ud800 escape without its pair is well-formed JSON but not Unicode text: no string can hold it, so every
        // reader would crash on it. Looked for only when the bytes contain a \uD escape at all.
        if ((utf8Json.IndexOf("\\ud"u8) >= 0 || utf8Json.IndexOf("\\uD"u8) >= 0) && JsonText.FindLoneSurrogate(utf8Json) is { } lone)
        {
            return ValidationResult.Of([lone]);
        }
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
        // Two members with one name (found in the same pass, in every object): readers disagree on which counts, so
        // the document has no single meaning, and that alone is reported.
        if (context.Duplicate is { } duplicate) return ValidationResult.Of([duplicate]);
        return context.Result();
    }

    /// <summary>The outcome, detached from this context.</summary>
    private ValidationResult Result() => _violations.Count == 0 ? ValidationResult.Valid : ValidationResult.Of(_violations.ToArray());

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

/// <summary>
/// The member names of one object the validator is reading that its schema does not name (extras, unknown members,
/// open content), kept in the <see cref="ValidationContext"/>'s shared buffer; a hash set past a few dozen.
/// </summary>
public struct MemberNames
{
    internal int Start;
    internal int BytesStart;
    internal HashSet<string>? Large;
}
