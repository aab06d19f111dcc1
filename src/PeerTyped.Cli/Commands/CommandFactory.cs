using System.CommandLine;
using PeerTyped.Cli.Console;
using PeerTyped.Client;
using PeerTyped.Contracts;

namespace PeerTyped.Cli.Commands;

/// <summary>Builds every command. Each action runs inside <see cref="Run"/>, which maps errors to exit codes.</summary>
internal sealed partial class CommandFactory(GlobalOptions options, TextWriter output, TextWriter error)
{
    public IEnumerable<Command> All() =>
    [
        Get(), Create(), Set(), Update(), Patch(), History(), Diff(), Validate(), Paths(), Watch(),
        Bucket(), Cycle(), Server(), Demo(), Doctor(), Restore(), Lint(), Gate(), Schema(),
        // issue 16
        ListCycles(), Edit(), Completion(),
        // issue 14
        Migrate(),
    ];

    /// <summary>Commands that never connect to NATS, by their path below the root.</summary>
    private static readonly HashSet<string> Offline = new(StringComparer.Ordinal) { "validate", "paths", "lint", "schema diff", "completion" };

    /// <summary>Gives every command that connects (every leaf not in <see cref="Offline"/>) the connection options.</summary>
    public static void AddConnectionOptions(Command command, IEnumerable<Option> connection, string path = "")
    {
        foreach (var subcommand in command.Subcommands)
        {
            var subpath = path.Length == 0 ? subcommand.Name : path + " " + subcommand.Name;
            if (subcommand.Subcommands.Count > 0) AddConnectionOptions(subcommand, connection, subpath);
            else if (!Offline.Contains(subpath) && !subcommand.Hidden)
            {
                foreach (var option in connection) subcommand.Options.Add(option);
            }
        }
    }

    private Command Define(string name, string description, Func<Invocation, Task<int>> action, params Symbol[] symbols)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Argument argument: command.Arguments.Add(argument); break;
                case Option option: command.Options.Add(option); break;
                case Command subcommand: command.Subcommands.Add(subcommand); break;
            }
        }
        command.SetAction((parse, cancellationToken) => Run(parse, action, cancellationToken));
        return command;
    }

    private async Task<int> Run(ParseResult parse, Func<Invocation, Task<int>> action, CancellationToken cancellationToken)
    {
        var jsonLogs = parse.GetValue(options.LogFormat) == "json";
        Terminal terminal;
        try
        {
            terminal = new Terminal(output, error, jsonLogs, options.LogThreshold(parse));
        }
        catch (PeerUsageException ex)
        {
            terminal = new Terminal(output, error, jsonLogs, Microsoft.Extensions.Logging.LogLevel.Information);
            return Fail(terminal, options.JsonOutput(parse), ex.Message, [], PeerExitCodes.Usage, null);
        }
        var invocation = new Invocation(parse, options, terminal, cancellationToken);
        terminal.Role = invocation.Role is { Length: > 0 } role ? role : null;
        try
        {
            return await action(invocation).ConfigureAwait(false);
        }
        catch (PeerStateException ex)
        {
            var pointer = ex switch
            {
                PeerValidationException { Violations: [var first, ..] } => first.Pointer,
                PeerOwnershipException { Violations: [var first, ..] } => first.Pointer,
                _ => null,
            };
            return Fail(terminal, invocation.JsonOutput, ex.Message, ex.Details, PeerExitCodes.For(ex.Kind), pointer);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Fail(terminal, invocation.JsonOutput, "interrupted", [], 130, null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Fail(terminal, invocation.JsonOutput, ex.Message, [], PeerExitCodes.Other, null);
        }
#pragma warning disable CA1031 // The last resort: one ERROR line and exit 1, never a stack trace on an agent's stderr.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return Fail(terminal, invocation.JsonOutput, $"unexpected {ex.GetType().Name}: {ex.Message} (this is a peer-typed bug; the command may not have completed)", [], (int)PeerErrorKind.Other, null);
        }
    }

    /// <summary>
    /// One ERROR line on stderr (details indented under it) and the exit code; with -o json the same error is also
    /// the JSON object on stdout, so a caller that parses stdout learns why it got nothing else.
    /// </summary>
    internal static int Fail(Terminal terminal, bool jsonOutput, string message, IReadOnlyList<string> details, int exitCode, string? pointer)
    {
        terminal.Error(message, exitCode, pointer);
        foreach (var detail in details) terminal.Detail(detail);
        if (jsonOutput) terminal.Data(ErrorJson(message, details, exitCode, terminal.Key, pointer));
        return exitCode;
    }

    internal static string ErrorJson(string message, IReadOnlyList<string> details, int exitCode, string? key, string? pointer) => Json.Object(w =>
    {
        w.WriteString("error", message);
        w.WriteNumber("exit_code", exitCode);
        if (key is null) w.WriteNull("key");
        else w.WriteString("key", key);
        if (pointer is null) w.WriteNull("pointer");
        else w.WriteString("pointer", pointer);
        if (details.Count > 0)
        {
            w.WriteStartArray("details");
            foreach (var detail in details) w.WriteStringValue(detail);
            w.WriteEndArray();
        }
    });

    /// <summary>A command on one existing key: KEY, --key/-k or STATE_KEY, and a store opened for the action.</summary>
    private Command DefineForKey(string name, string description, Func<Invocation, string, PeerStateStore, Task<int>> action, params Symbol[] symbols) =>
        DefineForKey(name, description, counterAllowed: false, action, symbols);

    // counterAllowed: KEY may also be a cycle counter (<prefix>.cycle.current); the action tells them apart.
    private Command DefineForKey(string name, string description, bool counterAllowed, Func<Invocation, string, PeerStateStore, Task<int>> action, params Symbol[] symbols)
    {
        var key = KeyArgument();
        var keyOption = KeyOption();
        return Define(name, description, async invocation =>
        {
            var resolved = ResolveKey(invocation, key, keyOption, counterAllowed);
            await using var store = await invocation.OpenStoreAsync().ConfigureAwait(false);
            return await action(invocation, resolved, store).ConfigureAwait(false);
        }, [key, keyOption, .. symbols]);
    }

    // ---- keys: positional, --key/-k, or STATE_KEY -----------------------------------------------------------------

    private static Argument<string?> KeyArgument() => new("key") { Description = "The cycle key, e.g. peer.spec.<name>.cycle.<N> (or --key, or STATE_KEY)", Arity = ArgumentArity.ZeroOrOne };

    private static Option<string?> KeyOption() => new("--key", "-k") { Description = "The cycle key [STATE_KEY]" };

    private static string ResolveKey(Invocation invocation, Argument<string?>? argument, Option<string?>? option, bool counterAllowed = false)
    {
        var key = (argument is null ? null : invocation.Get(argument)) ?? (option is null ? null : invocation.Get(option)) ?? Environment.GetEnvironmentVariable("STATE_KEY");
        if (string.IsNullOrEmpty(key)) throw new PeerUsageException("no key given: pass it as an argument, with --key/-k, or in STATE_KEY");
        invocation.Terminal.Key = key;
        if (counterAllowed && CycleCounter.IsCounterKey(key, out _)) return key;
        PeerKey.Parse(key);
        return key;
    }

    private static void PrintWrite(Invocation invocation, PeerWriteResult result)
    {
        if (invocation.JsonOutput)
        {
            invocation.Terminal.Data(Json.Object(w =>
            {
                w.WriteString("key", result.Key);
                w.WriteNumber("revision", result.Revision);
                w.WriteBoolean("changed", result.Changed);
                w.WriteNumber("attempts", result.Attempts);
                if (invocation.DryRun) w.WriteBoolean("dry_run", true);
                w.WriteStartArray("changes");
                foreach (var change in result.Changes)
                {
                    w.WriteStartObject();
                    w.WriteString("pointer", change.Pointer);
                    w.WriteRaw("old", change.OldJson is { } old && IsJson(old) ? old : change.OldJson is null ? null : Json.Quote(change.OldJson));
                    w.WriteRaw("new", change.NewJson is { } @new && IsJson(@new) ? @new : change.NewJson is null ? null : Json.Quote(change.NewJson));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }));
        }
        else if (invocation.DryRun)
        {
            // The change itself is the data of a dry run: one line per JSON Pointer, as `diff` prints them.
            foreach (var change in result.Changes) invocation.Terminal.Data(change.ToString());
            invocation.Terminal.Success(result.Changed
                ? $"Dry run: {result.Key} would change from revision {result.Revision} ({result.Changes.Count} change(s)); nothing written"
                : $"Dry run: {result.Key} already as requested at revision {result.Revision}; nothing would be written");
        }
        else
        {
            invocation.Terminal.Success(result.Changed
                ? $"Updated state at key {result.Key}: revision {result.Revision}"
                : $"State at key {result.Key} already as requested: revision {result.Revision}, nothing written");
            invocation.Terminal.Ok();
        }
    }

    private static bool IsJson(string text)
    {
        try
        {
            using var _ = System.Text.Json.JsonDocument.Parse(text);
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private static string OwnersText(IReadOnlyList<string> owners) => owners.Contains("*") ? "every role" : string.Join(", ", owners);

    private static string? RoleOrNull(Invocation invocation) => invocation.Role is { Length: > 0 } role ? role : null;
}
