using System.Text;

namespace PeerTyped.Generators.Parsing
{
    internal static class Naming
    {
        /// <summary>snake_case, kebab-case, SCREAMING_CASE and dotted names become PascalCase C# identifiers.</summary>
        public static string ToPascalCase(string name)
        {
            var builder = new StringBuilder(name.Length);
            var upperNext = true;
            var allUpper = IsAllUpper(name);
            foreach (var c in name)
            {
                if (!char.IsLetterOrDigit(c))
                {
                    upperNext = true;
                    continue;
                }
                if (upperNext)
                {
                    builder.Append(char.ToUpperInvariant(c));
                    upperNext = false;
                }
                else
                {
                    builder.Append(allUpper ? char.ToLowerInvariant(c) : c);
                }
            }
            if (builder.Length == 0) return "_";
            if (char.IsDigit(builder[0])) builder.Insert(0, '_');
            return builder.ToString();
        }

        private static bool IsAllUpper(string name)
        {
            foreach (var c in name)
            {
                if (char.IsLower(c)) return false;
            }
            return true;
        }

        /// <summary>Escapes one JSON Pointer reference token (RFC 6901).</summary>
        public static string EscapePointerToken(string token) => token.Replace("~", "~0").Replace("/", "~1");
    }
}
