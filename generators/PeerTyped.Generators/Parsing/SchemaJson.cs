using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace PeerTyped.Generators.Parsing
{
    internal enum JsonKind { Object, Array, String, Number, True, False, Null }

    /// <summary>A JSON value with the place it was written, so diagnostics can point into the schema file.</summary>
    internal sealed class SchemaJson
    {
        public JsonKind Kind { get; }
        public int Start { get; }
        public int End { get; internal set; }
        public string? Text { get; }
        public List<KeyValuePair<SchemaJsonKey, SchemaJson>>? Properties { get; }
        public List<SchemaJson>? Items { get; }

        private SchemaJson(JsonKind kind, int start, string? text = null)
        {
            Kind = kind;
            Start = start;
            Text = text;
            if (kind == JsonKind.Object) Properties = new List<KeyValuePair<SchemaJsonKey, SchemaJson>>();
            if (kind == JsonKind.Array) Items = new List<SchemaJson>();
        }

        public SchemaJson? this[string name]
        {
            get
            {
                if (Properties == null) return null;
                foreach (var pair in Properties)
                {
                    if (pair.Key.Name == name) return pair.Value;
                }
                return null;
            }
        }

        public SchemaJsonKey? KeyOf(string name)
        {
            if (Properties == null) return null;
            foreach (var pair in Properties)
            {
                if (pair.Key.Name == name) return pair.Key;
            }
            return null;
        }

        /// <summary>Parses <paramref name="text"/>; on malformed input returns null and the offset and reason of the first error.</summary>
        public static SchemaJson? Parse(string text, out int errorOffset, out string? error)
        {
            var parser = new Parser(text);
            try
            {
                parser.SkipWhitespace();
                var value = parser.ParseValue(0);
                parser.SkipWhitespace();
                if (parser.Position < text.Length) throw new FormatException("unexpected text after the JSON value");
                errorOffset = 0;
                error = null;
                return value;
            }
            catch (FormatException ex)
            {
                errorOffset = Math.Min(parser.Position, text.Length);
                error = ex.Message;
                return null;
            }
        }

        private sealed class Parser
        {
            private const int MaxDepth = 256;
            private readonly string _text;
            public int Position;

            public Parser(string text) => _text = text;

            public void SkipWhitespace()
            {
                while (Position < _text.Length && (_text[Position] == ' ' || _text[Position] == '\t' || _text[Position] == '\n' || _text[Position] == '\r')) Position++;
            }

            private char Peek() => Position < _text.Length ? _text[Position] : throw new FormatException("unexpected end of file");

            public SchemaJson ParseValue(int depth)
            {
                if (depth > MaxDepth) throw new FormatException("nesting is deeper than " + MaxDepth);
                var start = Position;
                var c = Peek();
                SchemaJson value;
                switch (c)
                {
                    case '{': value = ParseObject(depth); break;
                    case '[': value = ParseArray(depth); break;
                    case '"': value = new SchemaJson(JsonKind.String, start, ParseString()); break;
                    case 't': Expect("true"); value = new SchemaJson(JsonKind.True, start); break;
                    case 'f': Expect("false"); value = new SchemaJson(JsonKind.False, start); break;
                    case 'n': Expect("null"); value = new SchemaJson(JsonKind.Null, start); break;
                    default:
                        if (c == '-' || (c >= '0' && c <= '9')) { value = new SchemaJson(JsonKind.Number, start, ParseNumber()); break; }
                        throw new FormatException("unexpected character '" + c + "'");
                }
                value.End = Position;
                return value;
            }

            private void Expect(string literal)
            {
                if (string.CompareOrdinal(_text, Position, literal, 0, literal.Length) != 0) throw new FormatException("expected '" + literal + "'");
                Position += literal.Length;
            }

            private SchemaJson ParseObject(int depth)
            {
                var obj = new SchemaJson(JsonKind.Object, Position);
                Position++;
                SkipWhitespace();
                if (Peek() == '}') { Position++; return obj; }
                while (true)
                {
                    SkipWhitespace();
                    if (Peek() != '"') throw new FormatException("expected a property name in double quotes");
                    var keyStart = Position;
                    var name = ParseString();
                    var key = new SchemaJsonKey(name, keyStart, Position);
                    foreach (var existing in obj.Properties!)
                    {
                        if (existing.Key.Name == name) { Position = keyStart; throw new FormatException("duplicate property '" + name + "'"); }
                    }
                    SkipWhitespace();
                    if (Peek() != ':') throw new FormatException("expected ':' after a property name");
                    Position++;
                    SkipWhitespace();
                    obj.Properties!.Add(new KeyValuePair<SchemaJsonKey, SchemaJson>(key, ParseValue(depth + 1)));
                    SkipWhitespace();
                    var c = Peek();
                    Position++;
                    if (c == '}') return obj;
                    if (c != ',') { Position--; throw new FormatException("expected ',' or '}'"); }
                }
            }

            private SchemaJson ParseArray(int depth)
            {
                var array = new SchemaJson(JsonKind.Array, Position);
                Position++;
                SkipWhitespace();
                if (Peek() == ']') { Position++; return array; }
                while (true)
                {
                    SkipWhitespace();
                    array.Items!.Add(ParseValue(depth + 1));
                    SkipWhitespace();
                    var c = Peek();
                    Position++;
                    if (c == ']') return array;
                    if (c != ',') { Position--; throw new FormatException("expected ',' or ']'"); }
                }
            }

            private string ParseString()
            {
                Position++;
                var builder = new StringBuilder();
                while (true)
                {
                    var c = Peek();
                    Position++;
                    if (c == '"') return builder.ToString();
                    if (c < ' ') { Position--; throw new FormatException("control character in a string"); }
                    if (c != '\\') { builder.Append(c); continue; }
                    var escape = Peek();
                    Position++;
                    switch (escape)
                    {
                        case '"': builder.Append('"'); break;
                        case '\\': builder.Append('\\'); break;
                        case '/': builder.Append('/'); break;
                        case 'b': builder.Append('\b'); break;
                        case 'f': builder.Append('\f'); break;
                        case 'n': builder.Append('\n'); break;
                        case 'r': builder.Append('\r'); break;
                        case 't': builder.Append('\t'); break;
                        case 'u':
                            if (Position + 4 > _text.Length || !int.TryParse(_text.Substring(Position, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
                                throw new FormatException("bad \\u escape");
                            builder.Append((char)code);
                            Position += 4;
                            break;
                        default: Position--; throw new FormatException("bad escape '\\" + escape + "'");
                    }
                }
            }

            private string ParseNumber()
            {
                var start = Position;
                if (Peek() == '-') Position++;
                var digits = 0;
                while (Position < _text.Length && char.IsDigit(_text[Position])) { Position++; digits++; }
                if (digits == 0) throw new FormatException("expected a digit");
                if (Position < _text.Length && _text[Position] == '.')
                {
                    Position++;
                    digits = 0;
                    while (Position < _text.Length && char.IsDigit(_text[Position])) { Position++; digits++; }
                    if (digits == 0) throw new FormatException("expected a digit after '.'");
                }
                if (Position < _text.Length && (_text[Position] == 'e' || _text[Position] == 'E'))
                {
                    Position++;
                    if (Position < _text.Length && (_text[Position] == '+' || _text[Position] == '-')) Position++;
                    digits = 0;
                    while (Position < _text.Length && char.IsDigit(_text[Position])) { Position++; digits++; }
                    if (digits == 0) throw new FormatException("expected a digit in the exponent");
                }
                return _text.Substring(start, Position - start);
            }
        }
    }

    internal sealed class SchemaJsonKey
    {
        public SchemaJsonKey(string name, int start, int end)
        {
            Name = name;
            Start = start;
            End = end;
        }

        public string Name { get; }
        public int Start { get; }
        public int End { get; }
    }
}
