using System.CommandLine;
using System.CommandLine.Help;
using System.Text;
using System.Text.RegularExpressions;
using PeerTyped.Client;

namespace PeerTyped.Cli;

/// <summary>
/// What System.CommandLine would otherwise get wrong about our arguments, fixed before it parses them:
/// <list type="bullet">
/// <item>A value is a value: after an option that takes values (<c>--arg NAME VALUE</c>, <c>--jq FILTER</c>), the next
/// tokens are its values even when they read <c>-h</c>, <c>--help</c>, <c>-?</c> or another option's name. They are
/// replaced by a marker the parser takes as a plain argument, and each string option's parser turns it back.</item>
/// <item>An unknown flag (<c>--dry-run</c>) is an error, not a path or value argument; after <c>--</c> everything is positional.</item>
/// <item>Every argument must be valid UTF-8: .NET decodes argv with U+FFFD for invalid bytes, which would be stored.</item>
/// </list>
/// </summary>
internal static partial class CommandLineGuard
{
    // A control character no shell user types; the parser never takes a token starting with it for an option.
    private const string Marker = "\u0001peer-typed-value\u0001";

    private static readonly string[] HelpWords = ["-h", "--help", "-?", "/h", "/?"];

    [GeneratedRegex(@"^--?[A-Za-z?][A-Za-z0-9-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex FlagShape();

    /// <summary>Rewrites <paramref name="args"/> for parsing; throws <see cref="PeerUsageException"/> for an unknown flag.</summary>
    public static string[] Protect(RootCommand root, string[] args)
    {
        InstallUnwrapping(root);
        var result = new List<string>(args.Length);
        Command command = root;
        var options = OptionsOf(root, new Dictionary<string, Option>(StringComparer.Ordinal));
        var positionals = 0;
        for (var i = 0; i < args.Length; i++)
        {
            var token = args[i];
            if (token == "--")
            {
                result.AddRange(args[i..]);
                break;
            }
            // set KEY PATH -h: once a list of values has begun, a help word is one of them (set's value, diff's revision).
            if (positionals > 0 && HelpWords.Contains(token) && command.Arguments.Any(a => a is Argument<string[]>))
            {
                result.Add(Marker + token);
                positionals++;
                continue;
            }
            if (options.TryGetValue(token, out var option))
            {
                result.Add(token);
                var count = ValueCount(option);
                for (var v = 0; v < count && i + 1 < args.Length; v++)
                {
                    var value = args[++i];
                    result.Add(Wrappable(option) && (options.ContainsKey(value) || HelpWords.Contains(value)) ? Marker + value : value);
                }
                continue;
            }
            var subcommand = command.Subcommands.FirstOrDefault(c => c.Name == token || c.Aliases.Contains(token));
            if (subcommand is not null)
            {
                command = subcommand;
                options = OptionsOf(subcommand, options);
                positionals = 0;
                result.Add(token);
                continue;
            }
            var equals = token.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && options.ContainsKey(token[..equals]))
            {
                result.Add(token);
                continue;
            }
            if (FlagShape().IsMatch(token))
            {
                throw new PeerUsageException($"unknown option '{token}' for '{CommandPath(root, command)}' (a value that starts with '-' goes after --, as in: set KEY PATH -- -value)");
            }
            result.Add(token);
            positionals++;
        }
        return [.. result];
    }

    /// <summary>The marker's text, for messages (System.CommandLine's errors quote tokens).</summary>
    public static string Unwrap(string text) => text.Replace(Marker, string.Empty, StringComparison.Ordinal);

    /// <summary>Refuses arguments that were not valid UTF-8, read as raw bytes from /proc/self/cmdline where it exists.</summary>
    public static void CheckUtf8()
    {
        byte[] cmdline;
        try
        {
            cmdline = File.ReadAllBytes("/proc/self/cmdline");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return;
        }
        var strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        var start = 0;
        var index = 0;
        for (var i = 0; i <= cmdline.Length; i++)
        {
            if (i < cmdline.Length && cmdline[i] != 0) continue;
            try
            {
                strict.GetCharCount(cmdline, start, i - start);
            }
            catch (DecoderFallbackException)
            {
                throw new PeerUsageException($"argument {index} is not valid UTF-8 (refused rather than stored with U+FFFD replacement characters); pass text in UTF-8, or binary content as a file");
            }
            start = i + 1;
            index++;
        }
    }

    private static Dictionary<string, Option> OptionsOf(Command command, Dictionary<string, Option> inherited)
    {
        // A parent's options reach a subcommand only when they are recursive (all of ours are; help and version are not).
        var options = inherited.Where(pair => pair.Value.Recursive).ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal);
        foreach (var option in command.Options)
        {
            options[option.Name] = option;
            foreach (var alias in option.Aliases) options[alias] = option;
        }
        // Every command answers to the help words, even where the help option is inherited.
        var help = command.Options.OfType<HelpOption>().FirstOrDefault() ?? inherited.Values.OfType<HelpOption>().FirstOrDefault();
        if (help is not null)
        {
            foreach (var word in HelpWords) options.TryAdd(word, help);
        }
        return options;
    }

    private static int ValueCount(Option option) =>
        option is HelpOption || option is VersionOption || option.ValueType == typeof(bool) ? 0 : Math.Max(1, Math.Min(option.Arity.MaximumNumberOfValues, 2));

    /// <summary>String options without their own validation or default: their values can carry the marker.</summary>
    private static bool Wrappable(Option option) => Installed.Contains(option);

    private static bool Unwrappable(Option option) => option.Validators.Count == 0 && option is Option<string> or Option<string[]>;

    private static readonly HashSet<Option> Installed = [];

    private static void InstallUnwrapping(Command command)
    {
        foreach (var option in command.Options)
        {
            if (!Unwrappable(option) || !Installed.Add(option)) continue;
            switch (option)
            {
                case Option<string[]> many when many.CustomParser is null && many.DefaultValueFactory is null:
                    many.CustomParser = result => [.. result.Tokens.Select(t => Unwrap(t.Value))];
                    break;
                case Option<string> one when one.CustomParser is null && one.DefaultValueFactory is null:
                    one.CustomParser = result => result.Tokens.Count == 0 ? null : Unwrap(result.Tokens[^1].Value);
                    break;
                default:
                    Installed.Remove(option);
                    break;
            }
        }
        foreach (var argument in command.Arguments.OfType<Argument<string[]>>())
        {
            argument.CustomParser ??= result => [.. result.Tokens.Select(t => Unwrap(t.Value))];
        }
        foreach (var subcommand in command.Subcommands) InstallUnwrapping(subcommand);
    }

    private static string CommandPath(RootCommand root, Command command)
    {
        var names = new List<string>();
        for (Command? current = command; current is not null && current != root; current = current.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Insert(0, current.Name);
        }
        names.Insert(0, "peer-typed");
        return string.Join(" ", names);
    }
}
