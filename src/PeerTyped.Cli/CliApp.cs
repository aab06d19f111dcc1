using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.InteropServices;
using PeerTyped.Cli.Commands;
using PeerTyped.Cli.Console;
using PeerTyped.Client;

namespace PeerTyped.Cli;

/// <summary>An error the CLI itself raises, with the exit code category it maps to.</summary>
internal sealed class CliException(PeerErrorKind kind, string message) : PeerStateException(message)
{
    public override PeerErrorKind Kind => kind;
}

/// <summary>What a command's action gets: the parse result, the shared options, the terminal and cancellation.</summary>
internal sealed class Invocation(ParseResult parse, GlobalOptions options, Terminal terminal, CancellationToken cancellationToken)
{
    public ParseResult Parse { get; } = parse;

    public GlobalOptions Options { get; } = options;

    public Terminal Terminal { get; } = terminal;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public string? Role => GlobalOptions.Value(Parse, Options.Role);

    public bool JsonOutput => Options.JsonOutput(Parse);

    public bool DryRun => Options.IsDryRun(Parse);

    public Task<PeerStateStore> OpenStoreAsync()
    {
        var connection = Options.ConnectionOptions(Parse);
        // Only `watch` outlives a few requests; every other command's connection lives for one command: no pings, and
        // no OpenSSL for its inbox name or orderly shutdown at exit (PeerConnectionOptions.ShortLived).
        if (Parse.CommandResult.Command.Name != "watch") connection = connection with { PingInterval = TimeSpan.Zero, ShortLived = true };
        var store = Options.StoreOptions(Parse);
        // An anonymous connection is the embedded single-machine default, where no gate runs: write directly without
        // asking. Gate deployments authenticate every user, so `auto` looks for a gate there.
        if (store.WriteMode == PeerWriteMode.Auto && !connection.IsAuthenticated) store = store with { WriteMode = PeerWriteMode.Direct };
        return PeerStateStore.ConnectAsync(connection, store, Terminal.Logger, CancellationToken);
    }

    public T? Get<T>(Option<T> option) => Parse.GetValue(option);

    public T? Get<T>(Argument<T> argument) => Parse.GetValue(argument);
}

internal static class CliApp
{
    public const string ExitCodes = """
        Exit codes:
          0  ok
          1  other failure
          2  usage (bad arguments, malformed key, unknown path)
          3  revision conflict after retries
          4  invalid JSON or schema violation, a document over the size limits, or a jq filter
             that fails, yields no or several documents, or passes its time or memory limit
          5  key not found, or already exists
          6  ownership violation (the role does not own what it changed), or a role that
             disagrees with the authenticated NATS user / a subject the server refused
          7  NATS unreachable or timed out, or a write's outcome unknown (sent, never answered:
             the message names the revision to inspect)
          8  the document was written by a newer schema version than this peer-typed knows (upgrade peer-typed)
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var options = new GlobalOptions();
        var root = new RootCommand("peer-typed: read and change PEER cycle state in NATS JetStream KV. Every write is validated against the schema, checked for phase ownership and done by compare-and-set.\n\n" + ExitCodes);
        foreach (var option in options.Common) root.Options.Add(option);
        var commands = new CommandFactory(options, output, error);
        foreach (var command in commands.All()) root.Subcommands.Add(command);
        // Connection options: before the command (peer-typed --server URL get KEY) and on each command that connects,
        // not on offline ones (validate, paths, lint, schema diff, completion), whose help would otherwise list them all.
        foreach (var option in options.Connection)
        {
            option.Recursive = false;
            root.Options.Add(option);
        }
        CommandFactory.AddConnectionOptions(root, options.Connection);
        commands.AddKeyCompletions(root);

        string[] arguments;
        try
        {
            CommandLineGuard.CheckUtf8();
            arguments = CommandLineGuard.Protect(root, args);
        }
        catch (PeerUsageException ex)
        {
            error.WriteLine("ERROR: " + ex.Message);
            if (WantsJson(args)) output.WriteLine(CommandFactory.ErrorJson(ex.Message, [], PeerExitCodes.Usage, null, null));
            return PeerExitCodes.Usage;
        }
        // Response files off: an argument starting with @ is a value (a jq --arg, a file path), never a file of more arguments.
        var parse = root.Parse(arguments, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (arguments.Contains("--version"))
        {
            // The schema versions matter as much as the build: they say which stored documents this binary can read.
            var informational = typeof(CliApp).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
                .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "0.0.0";
            if (WantsJson(arguments))
            {
                output.WriteLine(Json.Object(w =>
                {
                    w.WriteString("version", informational);
                    w.WriteNumber("schema_version", PeerDocumentVersions.Current);
                    w.WriteStartArray("readable_schema_versions");
                    foreach (var version in PeerDocumentVersions.Readable) w.WriteNumberValue(version);
                    w.WriteEndArray();
                }));
            }
            else
            {
                output.WriteLine($"{informational} (writes schema version {PeerDocumentVersions.Current}; reads {string.Join(", ", PeerDocumentVersions.Readable)})");
            }
            return 0;
        }
        if (parse.Errors.Count > 0 && !IsHelp(arguments))
        {
            // "Required command was not provided" hides the real mistake when an unknown word was given.
            var first = parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parse.Errors[0];
            error.WriteLine("ERROR: " + CommandLineGuard.Unwrap(first.Message));
            error.WriteLine($"Run '{CommandPath(parse)} --help' for usage.");
            if (WantsJson(arguments)) output.WriteLine(CommandFactory.ErrorJson(CommandLineGuard.Unwrap(first.Message), [], PeerExitCodes.Usage, null, null));
            return PeerExitCodes.Usage;
        }
        using var telemetry = TelemetryExport.StartIfConfigured();
        using var signals = new Interruption();
        var code = await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null }, signals.Token).ConfigureAwait(false);
        return signals.Signal == PosixSignal.SIGTERM && code == 130 ? 143 : code;
    }

    /// <summary>
    /// SIGINT and SIGTERM cancel the running command, which then ends with one ERROR line (or, for watch, quietly).
    /// The registrations are disposed before the token source, so a signal that arrives while the process is
    /// finishing can no longer touch a disposed source; a second signal terminates the process the default way.
    /// </summary>
    private sealed class Interruption : IDisposable
    {
        private readonly CancellationTokenSource _source = new();
        private readonly PosixSignalRegistration[] _registrations;
        private readonly Lock _lock = new();
        private bool _disposed;

        public Interruption()
        {
            _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle)];
        }

        public CancellationToken Token => _source.Token;

        public PosixSignal? Signal { get; private set; }

        private void Handle(PosixSignalContext context)
        {
            lock (_lock)
            {
                if (_disposed || Signal is not null) return;
                Signal = context.Signal;
                context.Cancel = true;
            }
            // Outside the lock: cancellation callbacks run here and may take a moment; Dispose waits for the lock only.
            try
            {
                _source.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The command finished between the check and the cancel; nothing left to stop.
            }
        }

        public void Dispose()
        {
            foreach (var registration in _registrations) registration.Dispose();
            lock (_lock) _disposed = true;
            // The source is not disposed: a handler already past the lock may still call Cancel, and it holds no unmanaged timer.
        }
    }

    /// <summary>-o json / --output json / --output=json, read by hand: System.CommandLine refuses --version beside other options.</summary>
    private static bool WantsJson(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--output=json" or "-o=json") return true;
            if (args[i] is "-o" or "--output" && i + 1 < args.Length && args[i + 1] == "json") return true;
        }
        return false;
    }

    private static bool IsHelp(string[] args) => args.Any(a => a is "--help" or "-h" or "-?");

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (SymbolResult? result = parse.CommandResult; result is CommandResult command; result = command.Parent)
        {
            names.Insert(0, command.Command.Name);
        }
        names[0] = "peer-typed";
        return string.Join(" ", names);
    }
}
