using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PeerTyped.Client.Jq;

/// <summary>
/// The filter shapes agents write, evaluated directly on the document with System.Text.Json: a <c>|</c> chain of
/// <c>.a.b.c = V</c>, <c>.a.b.c += [V, …]</c> and <c>.a.b.c += N</c> (an integer), where V is a string, a small integer, true/false/null, <c>$name</c>
/// or <c>(now|todate)</c>. jq 1.6 compiles its builtins for ~23 ms before running any filter; this path skips that.
/// It declines — and libjq (or the jq binary) runs the filter — whenever jq could give anything else: a document or
/// argument holding a number jq would print differently (anything but an integer of at most 15 digits), a
/// <c>\u</c> escape, a duplicate key, a path through something that is not an object, <c>+=</c> onto something that
/// is not an array. The differential corpus holds every shape and its near misses.
/// </summary>
internal sealed partial class FastPathJqFilter : JqFilter
{
    private readonly IReadOnlyList<Step> _steps;
    private readonly Func<JqFilter> _createFallback;
    private readonly Dictionary<string, JsonNode?> _values = new(StringComparer.Ordinal);
    private readonly bool _argumentsUsable;
    private JqFilter? _fallback;

    private FastPathJqFilter(string filter, IReadOnlyList<JqArgument> arguments, JqOptions options, IReadOnlyList<Step> steps, Func<JqFilter> createFallback)
        : base(filter, arguments, options)
    {
        _steps = steps;
        _createFallback = createFallback;
        _argumentsUsable = BindArguments(arguments);
    }

    private int _fastRuns;

    public override int FastPathRuns => _fastRuns;

    public override string EngineName => "fast path";

    private protected override int StackSize => 256 << 10;

    public static JqFilter? TryCreate(string filter, IReadOnlyList<JqArgument> arguments, JqOptions options, Func<JqFilter> createFallback) =>
        Parse(filter) is { } steps ? new FastPathJqFilter(filter, arguments, options, steps, createFallback) : null;

    public override async ValueTask<JqResult> RunAsync(ReadOnlyMemory<byte> input, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_argumentsUsable && TryEvaluate(input.Span) is { } output)
        {
            _fastRuns++;
            return JqResult.Document(output);
        }
        _fallback ??= _createFallback();
        return await _fallback.RunAsync(input, cancellationToken).ConfigureAwait(false);
    }

    private protected override JqResult Evaluate(Run run) => throw new NotSupportedException();

    private protected override void Stop(Run run)
    {
    }

    private protected override long MemoryInUse(Run run) => 0;

    protected override void Dispose(bool disposing) => _fallback?.Dispose();

    private abstract record Value;

    private sealed record Literal(JsonNode? Node) : Value;

    private sealed record Variable(string Name) : Value;

    private sealed record NowToDate : Value;

    private sealed record Step(string[] Path, bool Append, IReadOnlyList<Value> Values, bool Add = false);

    [GeneratedRegex("^(?:0|-?[1-9][0-9]{0,14})$")]
    private static partial Regex SmallIntegerPattern();

    // One step: a path, = or +=, a value (for +=, an array of values). No whitespace inside a path, as agents write it.
    [GeneratedRegex("""^\s*((?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*(=|\+=)\s*(.+?)\s*$""", RegexOptions.Singleline)]
    private static partial Regex StepPattern();

    [GeneratedRegex("""^(?:"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt])*"|0|-?[1-9][0-9]{0,14}|true|false|null|\$[A-Za-z_][A-Za-z0-9_]*|\(\s*now\s*\|\s*todate\s*\))$""")]
    private static partial Regex ValuePattern();

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "__loc__", "ENV", "ARGS", "__prog_args",
    };

    /// <summary>The steps of a filter in the fast-path subset, or null.</summary>
    private static List<Step>? Parse(string filter)
    {
        var steps = new List<Step>();
        foreach (var part in SplitTopLevel(filter))
        {
            var match = StepPattern().Match(part);
            if (!match.Success) return null;
            var path = match.Groups[1].Value.Split('.', StringSplitOptions.RemoveEmptyEntries);
            var append = match.Groups[2].Value == "+=";
            var right = match.Groups[3].Value;
            List<Value> values = [];
            if (append && SmallIntegerPattern().IsMatch(right))
            {
                // `+= N`: a counter (jq adds as doubles; integers this small add exactly).
                steps.Add(new Step(path, Append: false, [new Literal(JsonNode.Parse(right))], Add: true));
                continue;
            }
            if (append)
            {
                if (right.Length < 2 || right[0] != '[' || right[^1] != ']') return null;
                var inner = right[1..^1].Trim();
                if (inner.Length == 0) return null; // `+= []` changes nothing but the printing; not worth a shape
                foreach (var item in SplitTopLevel(inner, ','))
                {
                    if (ParseValue(item.Trim()) is not { } value) return null;
                    values.Add(value);
                }
            }
            else
            {
                if (ParseValue(right) is not { } value) return null;
                values.Add(value);
            }
            steps.Add(new Step(path, append, values));
        }
        return steps.Count > 0 ? steps : null;
    }

    private static Value? ParseValue(string text)
    {
        if (!ValuePattern().IsMatch(text)) return null;
        if (text.StartsWith('$')) return Keywords.Contains(text[1..]) ? null : new Variable(text[1..]);
        if (text.StartsWith('(')) return new NowToDate();
        return new Literal(JsonNode.Parse(text));
    }

    /// <summary>Splits on a separator outside strings, brackets and parentheses; null-free list, empty parts kept.</summary>
    private static List<string> SplitTopLevel(string text, char separator = '|')
    {
        var parts = new List<string>();
        var depth = 0;
        var inString = false;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
                continue;
            }
            switch (c)
            {
                case '"': inString = true; break;
                case '(' or '[' or '{': depth++; break;
                case ')' or ']' or '}': depth--; break;
                case '#': return [text]; // a comment: leave it to jq
                default:
                    if (c == separator && depth == 0)
                    {
                        parts.Add(text[start..i]);
                        start = i + 1;
                    }
                    break;
            }
        }
        parts.Add(text[start..]);
        return parts;
    }

    /// <summary>Binds arguments as jq does (first binding of a name wins); false when one is outside the subset.</summary>
    private bool BindArguments(IReadOnlyList<JqArgument> arguments)
    {
        foreach (var argument in arguments)
        {
            if (_values.ContainsKey(argument.Name)) continue;
            switch (argument.Kind)
            {
                case JqArgumentKind.Arg:
                    _values[argument.Name] = JsonValue.Create(argument.Value);
                    break;
                case JqArgumentKind.ArgJson:
                    if (Simple(Encoding.UTF8.GetBytes(argument.Value)) is not { } node) return false;
                    _values[argument.Name] = node;
                    break;
                default:
                    // jq's own reader gives the exact error for a file that is missing or not JSON.
                    byte[] bytes;
                    try
                    {
                        bytes = File.ReadAllBytes(argument.Value);
                    }
                    catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                    {
                        return false;
                    }
                    if (SimpleSequence(bytes) is not { } array) return false;
                    _values[argument.Name] = array;
                    break;
            }
        }
        return true;
    }

    private byte[]? TryEvaluate(ReadOnlySpan<byte> input)
    {
        if (Simple(input) is not JsonObject document) return null;
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        foreach (var step in _steps)
        {
            // jq evaluates the right-hand side first, against the input of the step; none of these values reads it.
            var values = new List<JsonNode?>();
            foreach (var value in step.Values)
            {
                switch (value)
                {
                    case Literal literal:
                        values.Add(literal.Node?.DeepClone());
                        break;
                    case Variable variable:
                        if (!_values.TryGetValue(variable.Name, out var bound)) return null; // jq: "$x is not defined"
                        values.Add(bound?.DeepClone());
                        break;
                    default:
                        values.Add(JsonValue.Create(now));
                        break;
                }
            }
            var parent = document;
            for (var i = 0; i < step.Path.Length - 1; i++)
            {
                if (!parent.TryGetPropertyValue(step.Path[i], out var child) || child is null)
                {
                    child = new JsonObject();
                    parent[step.Path[i]] = child;
                }
                if (child is not JsonObject next) return null; // jq: "Cannot index …"
                parent = next;
            }
            var last = step.Path[^1];
            if (step.Add)
            {
                parent.TryGetPropertyValue(last, out var counter);
                var addend = values[0]!.GetValue<long>();
                long sum;
                if (counter is null) sum = addend; // null + N = N
                else if (counter is JsonValue number && number.GetValueKind() == JsonValueKind.Number && number.TryGetValue<long>(out var value)) sum = value + addend;
                else return null;
                if (Math.Abs(sum) >= 1_000_000_000_000_000) return null; // past 15 digits jq's double printing could differ
                parent[last] = JsonValue.Create(sum);
                continue;
            }
            if (!step.Append)
            {
                parent[last] = values[0];
                continue;
            }
            parent.TryGetPropertyValue(last, out var current);
            switch (current)
            {
                case null:
                    parent[last] = new JsonArray([.. values]);
                    break;
                case JsonArray array:
                    foreach (var value in values) array.Add(value);
                    break;
                default:
                    return null; // `+` on anything else is jq's business (string + array is an error, …)
            }
        }
        return JsonSerializer.SerializeToUtf8Bytes(document, JqJsonContext.Default.JsonNode);
    }

    /// <summary>
    /// Parses JSON only when jq would read and print it unchanged: integers of at most 15 digits as the only numbers,
    /// no \u escapes (lone surrogates are refused by jq), no duplicate keys, valid UTF-8. Otherwise null.
    /// </summary>
    private static JsonNode? Simple(ReadOnlySpan<byte> json)
    {
        if (json.IndexOf("\\u"u8) >= 0) return null;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 200 });
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.Number && !SmallInteger(reader.ValueSpan)) return null;
            }
            return JsonNode.Parse(json, null, new JsonDocumentOptions { MaxDepth = 200, AllowDuplicateProperties = false });
        }
        catch (Exception exception) when (exception is JsonException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>A file of whitespace-separated JSON texts as an array (jq's --slurpfile), under the same rules.</summary>
    private static JsonArray? SimpleSequence(ReadOnlySpan<byte> json)
    {
        if (json.IndexOf("\\u"u8) >= 0) return null;
        try
        {
            var array = new JsonArray();
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 200, AllowMultipleValues = true });
            while (reader.Read())
            {
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                var text = json[start..(int)(reader.BytesConsumed)];
                if (Simple(text) is not { } node && !text.SequenceEqual("null"u8)) return null;
                array.Add(Simple(text));
            }
            return array;
        }
        catch (Exception exception) when (exception is JsonException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    private static bool SmallInteger(ReadOnlySpan<byte> number)
    {
        var digits = number.Length > 0 && number[0] == (byte)'-' ? number[1..] : number;
        if (digits.Length is 0 or > 15) return false;
        if (digits[0] == (byte)'0' && (digits.Length > 1 || number.Length != digits.Length)) return false; // 01, -0
        foreach (var b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9') return false;
        }
        return true;
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(JsonNode))]
internal sealed partial class JqJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
