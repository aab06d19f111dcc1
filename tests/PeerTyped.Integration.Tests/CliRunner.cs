using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace PeerTyped.Integration.Tests;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] ErrorLines => Stderr.Split('\n').Where(l => l.StartsWith("ERROR:", StringComparison.Ordinal)).ToArray();

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs the built peer-typed and the wrapper scripts as processes, as agents do.</summary>
public sealed class CliRunner(NatsServer? server)
{
    public static readonly string RepoRoot = FindRepoRoot();

    /// <summary>
    /// What the tests run: PEER_TYPED_BIN when set; else the NativeAOT binary setup.sh publishes to artifacts/peer-typed
    /// when it is at least as new as every source it is built from (so CI, which runs setup.sh first, tests the shipped
    /// binary); else this build's JIT apphost (a developer who changed code since the last publish).
    /// </summary>
    public static readonly string Binary = Environment.GetEnvironmentVariable("PEER_TYPED_BIN") is { Length: > 0 } bin
        ? bin
        : PublishedIsCurrent() ? Published : Path.Combine(RepoRoot, "src", "PeerTyped.Cli", "bin", Configuration, "net10.0", "peer-typed");

    public static string Published => Path.Combine(RepoRoot, "artifacts", "peer-typed", "peer-typed");

    /// <summary>Whether <see cref="Binary"/> is the NativeAOT build.</summary>
    public static bool IsNativeAot => Binary == Published || !File.Exists(Binary + ".dll");

    private static bool PublishedIsCurrent()
    {
        if (!File.Exists(Published)) return false;
        var published = File.GetLastWriteTimeUtc(Published);
        var sources = new[] { "src", "generators", "schemas" }
            .Select(d => Path.Combine(RepoRoot, d))
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        return sources.All(f => File.GetLastWriteTimeUtc(f) <= published);
    }

    private static string Configuration => typeof(CliRunner).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    public string Home { get; } = Directory.CreateTempSubdirectory("peer-typed-home-").FullName;

    public string Bucket { get; } = Docs.UniqueBucket();

    public Task<CliResult> RunAsync(params string[] arguments) => RunAsync(arguments, null, null);

    public Task<CliResult> RunAsync(string[] arguments, IDictionary<string, string?>? environment, string? stdin) =>
        StartAsync(Binary, arguments, environment, stdin);

    /// <summary>Runs another peer-typed binary (a build of another schema version) with this runner's server, bucket and home.</summary>
    public Task<CliResult> RunBinaryAsync(string binary, string[] arguments, IDictionary<string, string?>? environment = null) =>
        StartAsync(binary, arguments, environment, null);

    public Task<CliResult> ScriptAsync(string script, string[] arguments, IDictionary<string, string?>? environment = null, string? stdin = null) =>
        StartAsync(Path.Combine(RepoRoot, "scripts", "peer", script), arguments, environment, stdin);

    private async Task<CliResult> StartAsync(string file, string[] arguments, IDictionary<string, string?>? environment, string? stdin)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var name in new[] { "PEER_ROLE", "STATE_KEY", "NATS_CONTEXT", "NATS_CREDS", "NATS_USER", "NATS_PASSWORD", "NATS_TOKEN", "NATS_NKEY", "NATS_TIMEOUT" }) start.Environment.Remove(name);
        // A context the machine's user selected with `nats context select` must not leak into the tests.
        start.Environment["XDG_CONFIG_HOME"] = Path.Combine(Home, ".config");
        if (server is not null) start.Environment["NATS_URL"] = server.Url;
        start.Environment["PEER_BUCKET"] = Bucket;
        start.Environment["AGENT_OS_HOME"] = Home;
        start.Environment["PEER_TYPED_BIN"] = Binary;
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null) await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    private static string FindRepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PeerTyped.sln"))) return directory.FullName;
        }
        throw new InvalidOperationException("PeerTyped.sln not found above " + AppContext.BaseDirectory);
    }
}
