using System.CommandLine;
using System.Text.Json;
using PeerTyped.Client;
using PeerTyped.Contracts;

namespace PeerTyped.Cli;

/// <summary>
/// Options every command shares, named and defaulted as the nats CLI does (NATS_URL, NATS_CREDS, --context …), so
/// the environment agents already have just works. Precedence: flag, then environment, then the nats context, then default.
/// </summary>
internal sealed class GlobalOptions
{
    public Option<string?> Server { get; } = Env(new Option<string?>("--server", "-s") { Description = "NATS server URL(s), comma separated [NATS_URL] (default nats://127.0.0.1:4222)" }, "NATS_URL");
    public Option<string?> Creds { get; } = Env(new Option<string?>("--creds") { Description = "NATS credentials file [NATS_CREDS]" }, "NATS_CREDS");
    public Option<string?> User { get; } = Env(new Option<string?>("--user") { Description = "User name [NATS_USER]" }, "NATS_USER");
    public Option<string?> Password { get; } = Env(new Option<string?>("--password") { Description = "Password [NATS_PASSWORD]" }, "NATS_PASSWORD");
    public Option<string?> Token { get; } = Env(new Option<string?>("--token") { Description = "Authentication token [NATS_TOKEN]" }, "NATS_TOKEN");
    public Option<string?> NKey { get; } = Env(new Option<string?>("--nkey") { Description = "NKey seed file [NATS_NKEY]" }, "NATS_NKEY");
    public Option<string?> TlsCert { get; } = Env(new Option<string?>("--tlscert") { Description = "TLS client certificate [NATS_CERT]" }, "NATS_CERT");
    public Option<string?> TlsKey { get; } = Env(new Option<string?>("--tlskey") { Description = "TLS client key [NATS_KEY]" }, "NATS_KEY");
    public Option<string?> TlsCa { get; } = Env(new Option<string?>("--tlsca") { Description = "CA that signs the server certificate [NATS_CA]" }, "NATS_CA");
    public Option<string?> Context { get; } = Env(new Option<string?>("--context") { Description = "A nats CLI context by name, from ~/.config/nats/context/ [NATS_CONTEXT] (default: the one `nats context select` chose)" }, "NATS_CONTEXT");
    public Option<string?> Timeout { get; } = Env(new Option<string?>("--timeout") { Description = "Connect and request timeout in seconds, above 0 and at most 3600 [NATS_TIMEOUT] (default 5)" }, "NATS_TIMEOUT");
    public Option<string?> Bucket { get; } = new("--bucket") { Description = "KV bucket [PEER_BUCKET] (default " + PeerStoreOptions.DefaultBucket + ")", Recursive = true };
    public Option<string?> Role { get; } = Env(new Option<string?>("--as") { Description = "The role writing: " + string.Join(", ", PeerCycle.Roles) + " [PEER_ROLE]; unset: metadata plus at most one phase" }, "PEER_ROLE");
    public Option<string> Gate { get; } = new Option<string>("--gate") { Description = "Where writes go: on (the peer-typed gate service), off (straight to the bucket), auto (the gate when one answers $SRV.PING.peer-typed-gate) [PEER_GATE]", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("PEER_GATE") is { Length: > 0 } mode ? mode : "auto", Recursive = true }.AcceptOnlyFromAmong("auto", "on", "off");
    public Option<double> RetryTimeout { get; } = new("--retry-timeout") { Description = "Seconds a write keeps re-reading and re-applying after conflicts, and resolving an unanswered write, before it gives up [PEER_RETRY_TIMEOUT]", DefaultValueFactory = _ => double.TryParse(Environment.GetEnvironmentVariable("PEER_RETRY_TIMEOUT")?.TrimEnd('s'), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds) ? seconds : 30, Recursive = true };
    public Option<string> LogFormat { get; } = new Option<string>("--log-format") { Description = "Log lines on stderr as text or json", DefaultValueFactory = _ => "text", Recursive = true }.AcceptOnlyFromAmong("text", "json");
    public Option<string?> LogLevel { get; } = new Option<string?>("--log-level") { Description = "Lowest level of log line on stderr: trace, debug, info (default: every write's changes and JSON), warn, error, none [PEER_LOG_LEVEL]", Recursive = true }.AcceptOnlyFromAmong(Console.Terminal.LevelNames);
    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "Warnings and errors only on stderr (--log-level warn)", Recursive = true };
    public Option<string> Output { get; } = new Option<string>("--output", "-o") { Description = "stdout format: text (documents are JSON either way) or json", DefaultValueFactory = _ => "text", Recursive = true }.AcceptOnlyFromAmong("text", "json");

    /// <summary>Not global: each write command adds it (set, update, patch, create, restore, cycle next, edit).</summary>
    public Option<bool> DryRun { get; } = new("--dry-run") { Description = "Read, change, validate and check ownership as the write would, print the change, exit with the code the write would get; write nothing" };

    /// <summary>--dry-run, when the command being run has it.</summary>
    public bool IsDryRun(ParseResult parse) => parse.CommandResult.Command.Options.Contains(DryRun) && parse.GetValue(DryRun);

    /// <summary>What a command that talks to NATS takes: where, as whom, which bucket, how writes go. Offline commands do not list them.</summary>
    public IEnumerable<Option> Connection => [Server, Creds, User, Password, Token, NKey, TlsCert, TlsKey, TlsCa, Context, Timeout, Bucket, Role, Gate, RetryTimeout];

    /// <summary>What every command takes, anywhere on the line.</summary>
    public IEnumerable<Option> Common => [LogFormat, LogLevel, Quiet, Output];

    public IEnumerable<Option> All => [.. Connection, .. Common];

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Option, string> Variables = [];

    private static Option<string?> Env(Option<string?> option, string variable)
    {
        option.Recursive = true;
        // Read at use, not as a default value: --help prints defaults, and these include passwords and tokens.
        Variables.AddOrUpdate(option, variable);
        return option;
    }

    /// <summary>The flag's value, else its environment variable's.</summary>
    public static string? Value(ParseResult parse, Option<string?> option) =>
        parse.GetValue(option) ?? (Variables.TryGetValue(option, out var variable) && Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null);

    public bool JsonOutput(ParseResult parse) => parse.GetValue(Output) == "json";

    /// <summary>The log threshold: --log-level, else -q (warn), else PEER_LOG_LEVEL, else info (the seed logs every write's JSON).</summary>
    public Microsoft.Extensions.Logging.LogLevel LogThreshold(ParseResult parse)
    {
        if (parse.GetValue(LogLevel) is { } flag) return Console.Terminal.ParseLevel(flag)!.Value;
        if (parse.GetValue(Quiet)) return Microsoft.Extensions.Logging.LogLevel.Warning;
        if (Environment.GetEnvironmentVariable("PEER_LOG_LEVEL") is { Length: > 0 } variable)
        {
            return Console.Terminal.ParseLevel(variable) ?? throw new PeerUsageException($"PEER_LOG_LEVEL: '{variable}' is not a log level (one of {string.Join(", ", Console.Terminal.LevelNames)})");
        }
        return Microsoft.Extensions.Logging.LogLevel.Information;
    }

    /// <summary>The bucket: --bucket, else PEER_BUCKET (set but empty is an error, not the default), else the default.</summary>
    public PeerStoreOptions StoreOptions(ParseResult parse)
    {
        var bucket = parse.GetValue(Bucket) is { } flag
            ? PeerSettings.CheckBucket(flag, "--bucket")
            : Environment.GetEnvironmentVariable("PEER_BUCKET") is { } variable ? PeerSettings.CheckBucket(variable, "PEER_BUCKET") : PeerStoreOptions.DefaultBucket;
        var retry = parse.GetValue(RetryTimeout);
        if (!double.IsFinite(retry) || retry < 0 || retry > 86_400) throw new PeerUsageException($"--retry-timeout must be a number of seconds between 0 and 86400, not {retry.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        return new()
        {
            Bucket = bucket,
            RetryTimeout = TimeSpan.FromSeconds(retry),
            WriteMode = parse.GetValue(Gate) switch { "on" => PeerWriteMode.Gate, "off" => PeerWriteMode.Direct, _ => PeerWriteMode.Auto },
            DryRun = IsDryRun(parse),
        };
    }

    public PeerConnectionOptions ConnectionOptions(ParseResult parse)
    {
        var context = NatsContext.Load(Value(parse, Context), Value(parse, Context) is null ? null : "--context/NATS_CONTEXT");
        var timeout = parse.GetValue(Timeout) is { } flag ? PeerSettings.ParseTimeout(flag, "--timeout")
            : Environment.GetEnvironmentVariable("NATS_TIMEOUT") is { } variable ? PeerSettings.ParseTimeout(variable, "NATS_TIMEOUT")
            : TimeSpan.FromSeconds(5);
        var servers = parse.GetValue(Server) is { } serverFlag ? PeerSettings.ParseServers(serverFlag, "--server")
            : Environment.GetEnvironmentVariable("NATS_URL") is { } url ? PeerSettings.ParseServers(url, "NATS_URL")
            : context?.Url is { } contextUrl ? PeerSettings.ParseServers(contextUrl, $"the url of nats context '{context.Name}' ({context.Path})")
            : ["nats://127.0.0.1:4222"];
        return new PeerConnectionOptions
        {
            Servers = servers,
            CredsFile = Value(parse, Creds) ?? context?.Creds,
            User = Value(parse, User) ?? context?.User,
            Password = Value(parse, Password) ?? context?.Password,
            Token = Value(parse, Token) ?? context?.Token,
            NKeyFile = Value(parse, NKey) ?? context?.NKey,
            TlsCertFile = Value(parse, TlsCert) ?? context?.Cert,
            TlsKeyFile = Value(parse, TlsKey) ?? context?.Key,
            TlsCaFile = Value(parse, TlsCa) ?? context?.Ca,
            ConnectTimeout = timeout,
            RequestTimeout = timeout,
        };
    }
}

/// <summary>
/// A nats CLI context (~/.config/nats/context/NAME.json): the same connection settings, stored by name. Without
/// --context or NATS_CONTEXT, the context `nats context select` chose is used: natscli (jsm.go natscontext) keeps its
/// name in ~/.config/nats/context.txt ($XDG_CONFIG_HOME/nats/context.txt when XDG_CONFIG_HOME is set).
/// </summary>
internal sealed record NatsContext(string Name, string Path, string? Url, string? Creds, string? User, string? Password, string? Token, string? NKey, string? Cert, string? Key, string? Ca)
{
    private static string ConfigHome => Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");

    /// <summary>The selected context's file, as natscli writes it.</summary>
    public static string SelectedFile => System.IO.Path.Combine(ConfigHome, "nats", "context.txt");

    public static NatsContext? Load(string? name, string? source)
    {
        if (string.IsNullOrEmpty(name))
        {
            if (!File.Exists(SelectedFile)) return null;
            name = File.ReadAllText(SelectedFile).Trim();
            if (name.Length == 0) return null;
            source = $"the selected nats context ({SelectedFile})";
        }
        if (name.IndexOfAny(['/', '\\']) >= 0 || name is "." or "..") throw new PeerUsageException($"{source}: '{name}' is not a nats context name");
        var path = System.IO.Path.Combine(ConfigHome, "nats", "context", name + ".json");
        if (!File.Exists(path)) throw new PeerUsageException($"{source}: nats context '{name}' not found at {path}");
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw new PeerUsageException($"nats context '{name}' at {path} is not a JSON object");
            string? Get(string property) => document.RootElement.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;
            return new NatsContext(name, path, Get("url"), Get("creds"), Get("user"), Get("password"), Get("token"), Get("nkey"), Get("cert"), Get("key"), Get("ca"));
        }
        catch (JsonException ex)
        {
            throw new PeerUsageException($"nats context '{name}' at {path} is not valid JSON: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PeerUsageException($"cannot read nats context '{name}' at {path}");
        }
    }
}
