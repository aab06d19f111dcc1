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
        Migrate(),
    ];

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
        var terminal = new Terminal(output, error, parse.GetValue(options.LogFormat) == "json", parse.GetValue(options.Quiet));
        try
        {
            return await action(new Invocation(parse, options, terminal, cancellationToken)).ConfigureAwait(false);
        }
        catch (PeerStateException ex)
        {
            terminal.Error(ex.Message);
            foreach (var detail in ex.Details) terminal.Detail(detail);
            return PeerExitCodes.For(ex.Kind);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            terminal.Error("interrupted");
            return 130;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            terminal.Error(ex.Message);
            return PeerExitCodes.Other;
        }
#pragma warning disable CA1031 // The last resort: one ERROR line and exit 1, never a stack trace on an agent's stderr.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            terminal.Error($"unexpected {ex.GetType().Name}: {ex.Message} (this is a peer-typed bug; the command may not have completed)");
            return (int)PeerErrorKind.Other;
        }
    }

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
