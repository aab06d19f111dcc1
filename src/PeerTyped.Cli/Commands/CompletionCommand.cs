using System.CommandLine;
using System.CommandLine.Completions;
using PeerTyped.Client;
using PeerTyped.Contracts;
using PeerTyped.Runtime;

namespace PeerTyped.Cli.Commands;

internal sealed partial class CommandFactory
{
    /// <summary>
    /// Shell completion: the scripts ask peer-typed itself through System.CommandLine's hidden [suggest:POSITION]
    /// directive, so commands, options and option values always match the binary; the argument completers below add
    /// live keys (a quick key listing of the bucket), short paths and enum values.
    /// </summary>
    private Command Completion()
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh or fish" }.AcceptOnlyFromAmong("bash", "zsh", "fish");
        return Define("completion", "Print a completion script for bash, zsh or fish: commands, options, live keys, paths and enum values. bash: source <(peer-typed completion bash); zsh: peer-typed completion zsh > \"${fpath[1]}/_peer-typed\"; fish: peer-typed completion fish > ~/.config/fish/completions/peer-typed.fish", invocation =>
        {
            invocation.Terminal.Data(invocation.Get(shell) switch
            {
                "bash" => BashCompletion,
                "zsh" => ZshCompletion,
                _ => FishCompletion,
            });
            return Task.FromResult(0);
        }, shell);
    }

    // The text after the program name and the cursor's offset in it are what [suggest:N] takes.
    private const string BashCompletion = """
        # peer-typed bash completion: source <(peer-typed completion bash)
        _peer_typed() {
            local line="${COMP_LINE:0:COMP_POINT}"
            local rest="${line#*[[:space:]]}"
            [ "$rest" = "$line" ] && rest=""
            local IFS=$'\n'
            COMPREPLY=($(compgen -W "$(command peer-typed "[suggest:${#rest}]" "$rest" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
        }
        complete -o default -F _peer_typed peer-typed
        """;

    private const string ZshCompletion = """
        #compdef peer-typed
        # peer-typed zsh completion: peer-typed completion zsh > "${fpath[1]}/_peer-typed" (or: source <(peer-typed completion zsh))
        _peer_typed() {
            local rest="${(j: :)words[2,CURRENT]}"
            local -a suggestions
            suggestions=("${(@f)$(command peer-typed "[suggest:${#rest}]" "$rest" 2>/dev/null)}")
            compadd -a suggestions
        }
        compdef _peer_typed peer-typed
        """;

    private const string FishCompletion = """
        # peer-typed fish completion: peer-typed completion fish > ~/.config/fish/completions/peer-typed.fish
        function __peer_typed_complete
            set -l rest (commandline -cp | string replace -r '^\s*\S+\s*' '')
            command peer-typed "[suggest:"(string length -- "$rest")"]" "$rest" 2>/dev/null
        end
        complete -c peer-typed -f -a '(__peer_typed_complete)'
        """;

    /// <summary>Live keys of the bucket for a key argument, from one key listing with a short deadline; nothing when NATS does not answer.</summary>
    private IEnumerable<CompletionItem> LiveKeys(CompletionContext context)
    {
        var word = context.WordToComplete ?? string.Empty;
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            var connection = options.ConnectionOptions(context.ParseResult) with { ConnectTimeout = TimeSpan.FromSeconds(1), RequestTimeout = TimeSpan.FromSeconds(1) };
            var storeOptions = options.StoreOptions(context.ParseResult) with { DryRun = false };
            var keys = Task.Run(async () =>
            {
                await using var store = await PeerStateStore.ConnectAsync(connection, storeOptions, null, deadline.Token).ConfigureAwait(false);
                var found = new List<string>();
                await foreach (var key in store.KeysAsync(">", deadline.Token).ConfigureAwait(false))
                {
                    if (key.StartsWith(word, StringComparison.Ordinal)) found.Add(key);
                }
                return found;
            }, deadline.Token).GetAwaiter().GetResult();
            keys.Sort(CompareKeys);
            return keys.Select(key => new CompletionItem(key));
        }
#pragma warning disable CA1031 // Completion must never fail the shell: no server, no bucket, bad settings all mean "no keys".
        catch (Exception)
#pragma warning restore CA1031
        {
            return [];
        }
    }

    /// <summary>Live keys for every KEY argument, --key option and ls/watch prefix of the tree.</summary>
    public void AddKeyCompletions(Command command)
    {
        // A help name of its own, or help would list the completions, which for keys means asking the server for them.
        foreach (var argument in command.Arguments.Where(a => a.Name is "key" or "prefix" or "key-or-filter"))
        {
            argument.CompletionSources.Add(LiveKeys);
            argument.HelpName ??= argument.Name;
        }
        foreach (var option in command.Options.Where(o => o.Name == "--key"))
        {
            option.CompletionSources.Add(LiveKeys);
            option.HelpName ??= "key";
        }
        foreach (var subcommand in command.Subcommands) AddKeyCompletions(subcommand);
    }

    private static IEnumerable<CompletionItem> Paths(string word) =>
        PeerCycleFields.All.Where(f => f.Path.StartsWith(word, StringComparison.Ordinal)).Select(f => new CompletionItem(f.Path, detail: f.Type));

    /// <summary>
    /// set's words: [KEY] PATH VALUE PATH VALUE …; a path position completes paths (and, first, keys), a value position
    /// the allowed values of the path before it (enum members, true/false, now for date-times).
    /// </summary>
    private IEnumerable<CompletionItem> SetWords(CompletionContext context, Argument<string[]> pairs)
    {
        var word = context.WordToComplete ?? string.Empty;
        var tokens = (context.ParseResult.GetValue(pairs) ?? []).ToList();
        if (word.Length > 0 && tokens.Count > 0 && tokens[^1] == word) tokens.RemoveAt(tokens.Count - 1);
        var keyGiven = tokens.Count > 0 && tokens[0].StartsWith("peer.", StringComparison.Ordinal);
        if (keyGiven) tokens.RemoveAt(0);
        if (tokens.Count % 2 == 0)
        {
            var paths = Paths(word);
            return tokens.Count == 0 && !keyGiven ? LiveKeys(context).Concat(paths) : paths;
        }
        return Values(PeerCycleFields.Find(tokens[^1]), word);
    }

    private static IEnumerable<CompletionItem> Values(FieldInfo<PeerCycle>? field, string word)
    {
        if (field is null) return [];
        IEnumerable<string> values = field.AllowedValues.Count > 0 ? field.AllowedValues
            : field.Type == "boolean" ? ["true", "false"]
            : field.Type == "date-time" ? ["now"]
            : [];
        return values.Where(v => v.StartsWith(word, StringComparison.Ordinal)).Select(v => new CompletionItem(v));
    }
}
