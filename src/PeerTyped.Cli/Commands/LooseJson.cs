using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PeerTyped.Cli.Commands;

/// <summary>What one value in an agent file is, as far as the text shows.</summary>
internal enum LooseKind { String, Number, Literal, Object, Array, Expression }

/// <summary>
/// One value an agent file writes: where it goes (<paramref name="Pointer"/>), where it is in the text, and the JSON it
/// stands for when the text says so. Template strings ("[ISO_TIMESTAMP]") and expressions ($err_msg, (now | todate))
/// are kept with what little is known about them.
/// </summary>
internal sealed record LooseValue(string Pointer, int Offset, int Length, LooseKind Kind, JsonNode? Node, bool Template, string? Identifier);

/// <summary>
/// A forgiving reader of the JSON that agent instructions write: JSON templates with placeholders and comments, jq
/// object constructors with $variables and (now | todate), pseudo-code values. It never throws; what it cannot read it
/// records as an expression and skips to the next member.
/// </summary>
internal sealed partial class LooseJson(string text)
{
    private const int MaxSpan = 40_000;

    [GeneratedRegex(@"\G\[[A-Z][A-Z0-9_]*\]")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"\G-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?![A-Za-z0-9_.])")]
    private static partial Regex Number();

    [GeneratedRegex(@"\[[A-Z][A-Z0-9_]*\]|\$\{|\$\(|\{\{|<[A-Z_]+>")]
    private static partial Regex TemplateMarker();

    [GeneratedRegex(@"\G[A-Za-z_][A-Za-z0-9_]*(?=\s*:)")]
    private static partial Regex BareKey();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex Identifier();

    public List<LooseValue> Values { get; } = [];

    /// <summary>Reads the value at <paramref name="start"/> as the value of <paramref name="pointer"/>; returns where it ends.</summary>
    // inJq: the value is the right-hand side of a jq assignment, so it also ends at a pipe or a quote.
    public int Read(int start, string pointer, bool inJq = false)
    {
        var (end, _) = Value(start, pointer, inJq, Math.Min(text.Length, start + MaxSpan));
        return end;
    }

    private (int End, LooseValue? Value) Value(int position, string pointer, bool inJq, int limit)
    {
        position = SkipTrivia(position, limit);
        if (position >= limit) return (position, null);
        var c = text[position];
        LooseValue value;
        int end;
        if (c == '{')
        {
            (end, var node) = Object(position, pointer, limit);
            value = new LooseValue(pointer, position, end - position, LooseKind.Object, node, false, null);
        }
        else if (c == '[' && Placeholder().Match(text, position) is { Success: true } placeholder)
        {
            end = position + placeholder.Length;
            value = new LooseValue(pointer, position, placeholder.Length, LooseKind.Expression, null, true, null);
        }
        else if (c == '[')
        {
            (end, var node) = Array(position, limit);
            value = new LooseValue(pointer, position, end - position, LooseKind.Array, node, false, null);
        }
        else if (c == '"')
        {
            end = StringEnd(position, limit);
            if (end < 0) return (limit, null);
            var content = text[(position + 1)..(end - 1)];
            var decoded = content.Contains('\\') ? TryDecode(text[position..end]) : content;
            value = new LooseValue(pointer, position, end - position, LooseKind.String, decoded is null ? null : JsonValue.Create(decoded), decoded is null || TemplateMarker().IsMatch(content), null);
        }
        else if (Number().Match(text, position) is { Success: true } number)
        {
            end = position + number.Length;
            value = new LooseValue(pointer, position, number.Length, LooseKind.Number, JsonNode.Parse(number.Value), false, null);
        }
        else if (Word(position, "true") || Word(position, "false") || Word(position, "null"))
        {
            var word = text[position] == 'f' ? "false" : text[position] == 't' ? "true" : "null";
            end = position + word.Length;
            value = new LooseValue(pointer, position, word.Length, LooseKind.Literal, JsonNode.Parse(word), false, null);
        }
        else
        {
            end = ExpressionEnd(position, inJq, limit);
            var expression = text[position..end].Trim();
            value = new LooseValue(pointer, position, end - position, LooseKind.Expression, null, false, Identifier().IsMatch(expression) ? expression : null);
        }
        Values.Add(value);
        return (end, value);
    }

    private (int End, JsonNode? Node) Object(int open, string pointer, int limit)
    {
        var members = new JsonObject();
        var complete = true;
        var position = open + 1;
        while (true)
        {
            position = SkipTrivia(position, limit);
            if (position >= limit) return (limit, null);
            if (text[position] == '}') return (position + 1, complete ? members : null);
            if (text[position] == ',') { position++; continue; }
            string? key = null;
            if (text[position] == '"')
            {
                var keyEnd = StringEnd(position, limit);
                if (keyEnd > 0)
                {
                    key = text[(position + 1)..(keyEnd - 1)];
                    position = keyEnd;
                }
            }
            else if (BareKey().Match(text, position) is { Success: true } bare)
            {
                key = bare.Value;
                position += bare.Length;
            }
            position = SkipTrivia(position, limit);
            if (key is null || position >= limit || text[position] != ':')
            {
                complete = false;
                position = Recover(position, limit);
                continue;
            }
            var (end, value) = Value(position + 1, pointer + "/" + Runtime.JsonPointer.Escape(key), inJq: false, limit);
            if (value?.Node is { } node && !members.ContainsKey(key)) members[key] = node.DeepClone();
            else complete = false;
            position = end;
        }
    }

    private (int End, JsonNode? Node) Array(int open, int limit)
    {
        // Items are read for their JSON only; where they would go is the array's business, checked as a whole.
        var items = new JsonArray();
        var complete = true;
        var position = open + 1;
        var reader = new LooseJson(text);
        while (true)
        {
            position = SkipTrivia(position, limit);
            if (position >= limit) return (limit, null);
            if (text[position] == ']') return (position + 1, complete ? items : null);
            if (text[position] == ',') { position++; continue; }
            var (end, value) = reader.Value(position, "/-", inJq: false, limit);
            if (value?.Node is { } node) items.Add(node.DeepClone());
            else complete = false;
            position = end <= position ? Recover(position, limit) : end;
        }
    }

    /// <summary>Skips to the next comma or closing bracket of the enclosing level.</summary>
    private int Recover(int position, int limit)
    {
        var depth = 0;
        for (; position < limit; position++)
        {
            var c = text[position];
            if (c == '"') { var end = StringEnd(position, limit); if (end < 0) return limit; position = end - 1; }
            else if (c is '{' or '[' or '(') depth++;
            else if (c is '}' or ']' or ')') { if (depth == 0) return position; depth--; }
            else if (c == ',' && depth == 0) return position + 1;
        }
        return limit;
    }

    private int ExpressionEnd(int position, bool inJq, int limit)
    {
        var depth = 0;
        for (; position < limit; position++)
        {
            var c = text[position];
            if (c == '"') { var end = StringEnd(position, limit); if (end < 0) return limit; position = end - 1; continue; }
            if (c is '{' or '[' or '(') { depth++; continue; }
            if (depth > 0)
            {
                if (c is '}' or ']' or ')') depth--;
                continue;
            }
            if (c is ',' or '}' or ']' or ')' or '\n' || (inJq && c is '|' or '\'') || (c == '<' && At(position, "<!--"))) return position;
        }
        return limit;
    }

    private int SkipTrivia(int position, int limit)
    {
        while (position < limit)
        {
            var c = text[position];
            if (char.IsWhiteSpace(c)) position++;
            else if (c == '/' && At(position, "//")) position = LineEnd(position);
            else if (c == '/' && At(position, "/*")) position = Until(position, "*/");
            else if (c == '<' && At(position, "<!--")) position = Until(position, "-->");
            else break;
        }
        return position;
    }

    private int StringEnd(int open, int limit)
    {
        for (var i = open + 1; i < limit; i++)
        {
            if (text[i] == '\\') { i++; continue; }
            if (text[i] == '\n') return -1;
            if (text[i] == '"') return i + 1;
        }
        return -1;
    }

    private static string? TryDecode(string quoted)
    {
        try
        {
            return JsonNode.Parse(quoted)?.GetValue<string>();
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private bool At(int position, string token) => string.CompareOrdinal(text, position, token, 0, token.Length) == 0;

    private bool Word(int position, string word) =>
        At(position, word) && (position + word.Length >= text.Length || !(char.IsLetterOrDigit(text[position + word.Length]) || text[position + word.Length] == '_'));

    private int LineEnd(int position)
    {
        var end = text.IndexOf('\n', position);
        return end < 0 ? text.Length : end;
    }

    private int Until(int position, string close)
    {
        var end = text.IndexOf(close, position + 2, StringComparison.Ordinal);
        return end < 0 ? text.Length : end + close.Length;
    }
}
