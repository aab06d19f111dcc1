using System.Diagnostics;
using System.Text.Json.Nodes;
using PeerTyped.Client;

namespace PeerTyped.Integration.Tests;

/// <summary>
/// jq's bounds and environment policy through the built CLI, with libjq in process and with the jq binary: a filter
/// that never ends, grows without limit or yields forever ends in one ERROR line, exit 4 and nothing written; the jq
/// child dies with the CLI; no credential in the CLI's environment reaches a stored document.
/// </summary>
public class JqCliTests(NatsServerFixture nats) : IClassFixture<NatsServerFixture>
{
    private const string Key = "peer.spec.demo.cycle.1";

    private async Task<CliRunner> ReadyAsync()
    {
        var cli = new CliRunner(nats.Server);
        Assert.Equal(0, (await cli.RunAsync("bucket", "init")).ExitCode);
        var created = await cli.RunAsync("create", Key, "--instruction", "create-spec", "--spec", "demo", "--requirements", "Write the spec.");
        Assert.True(created.ExitCode == 0, created.ToString());
        return cli;
    }

    private async Task<ulong> MessagesAsync(CliRunner cli)
    {
        await using var store = await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [nats.Server.Url] }, new PeerStoreOptions { Bucket = cli.Bucket });
        return (await store.TryGetBucketInfoAsync())!.Values;
    }

    [Theory]
    [InlineData("libjq", "def f: f; f", "1", "ran longer than 1 s")]
    [InlineData("process", "def f: f; f", "1", "ran longer than 1 s")]
    [InlineData("libjq", "[repeat(.)]", "1", "nothing was written")] // the time limit or the memory cap, whichever comes first
    [InlineData("process", "[repeat(.)]", "1", "nothing was written")]
    [InlineData("libjq", "repeat(.)", "60", "produced 2 or more documents")]
    [InlineData("process", "repeat(.)", "60", "produced 2 or more documents")]
    public async Task A_filter_without_end_fails_with_one_error_line_and_writes_nothing(string engine, string filter, string timeout, string message)
    {
        var cli = await ReadyAsync();
        var before = await MessagesAsync(cli);
        var result = await cli.RunAsync(["update", Key, "--jq", filter, "--jq-timeout", timeout], new Dictionary<string, string?> { ["PEER_JQ_ENGINE"] = engine }, null);
        Assert.True(result.ExitCode == 4, result.ToString());
        var error = Assert.Single(result.ErrorLines);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Equal(before, await MessagesAsync(cli));
    }

    [Fact]
    public async Task The_wrapper_takes_the_time_limit_from_PEER_JQ_TIMEOUT()
    {
        var cli = await ReadyAsync();
        var result = await cli.ScriptAsync("update-state.sh", [Key, "def f: f; f"], new Dictionary<string, string?> { ["PEER_JQ_TIMEOUT"] = "0.5" });
        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.Contains("ran longer than 0.5 s", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("NaN")]
    [InlineData("1e300")]
    [InlineData("soon")]
    public async Task A_bad_time_limit_is_a_usage_error(string timeout)
    {
        var cli = await ReadyAsync();
        var result = await cli.RunAsync("update", Key, "--jq", ".", "--jq-timeout", timeout);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--jq-timeout: expected a number of seconds", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("libjq")]
    [InlineData("process")]
    public async Task No_credential_of_the_CLI_reaches_a_stored_document(string engine)
    {
        var cli = await ReadyAsync();
        var environment = new Dictionary<string, string?>
        {
            ["PEER_JQ_ENGINE"] = engine,
            ["PEER_ROLE"] = "operator",
            ["NATS_SECRET_FOR_JQ_TEST"] = "s3cret-value",
            ["PEER_NOTE"] = "visible",
            ["PEER_JQ_ENV"] = "PEER_NOTE",
        };
        var result = await cli.RunAsync(["update", Key, "--jq", ".context.user_requirements = ([$ENV, env] | tostring)"], environment, null);
        Assert.True(result.ExitCode == 0, result.ToString());
        var stored = JsonNode.Parse((await cli.RunAsync("get", Key)).Stdout)!["context"]!["user_requirements"]!.GetValue<string>();
        Assert.Equal("""[{"PEER_NOTE":"visible"},{"PEER_NOTE":"visible"}]""", stored);

        environment["PEER_JQ_ENV"] = "PEER_NOTE,NATS_SECRET_FOR_JQ_TEST";
        var refused = await cli.RunAsync(["update", Key, "--jq", "."], environment, null);
        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains("PEER_JQ_ENV names NATS_SECRET_FOR_JQ_TEST", Assert.Single(refused.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_libjq_the_jq_binary_runs_the_filter()
    {
        var cli = await ReadyAsync();
        // A filter outside the fast path, so jq itself runs.
        var result = await cli.RunAsync(["update", Key, "--jq", ".phases.plan.status = ($s | ascii_downcase)", "--arg", "s", "IN_PROGRESS"],
            new Dictionary<string, string?> { ["PEER_JQ_LIBRARY"] = "/nonexistent/libjq.so.1", ["PEER_ROLE"] = "planner" }, null);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("\"in_progress\"\n", (await cli.RunAsync("get", Key, "--path", "plan.status")).Stdout);

        var forced = await cli.RunAsync(["update", Key, "--jq", "."], new Dictionary<string, string?> { ["PEER_JQ_LIBRARY"] = "/nonexistent/libjq.so.1", ["PEER_JQ_ENGINE"] = "libjq" }, null);
        Assert.True(forced.ExitCode == 7, forced.ToString());
        Assert.Contains("libjq (libjq.so.1) cannot be loaded", Assert.Single(forced.ErrorLines), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("KILL")]
    public async Task The_jq_child_dies_with_the_CLI(string signal)
    {
        var cli = await ReadyAsync();
        var start = new ProcessStartInfo(CliRunner.Binary) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "update", Key, "--jq", "def f: f; f", "--jq-timeout", "120" }) start.ArgumentList.Add(argument);
        start.Environment["NATS_URL"] = nats.Server.Url;
        start.Environment["PEER_BUCKET"] = cli.Bucket;
        start.Environment["PEER_JQ_ENGINE"] = "process";
        using var peerTyped = Process.Start(start)!;
        var jq = await WaitForAsync(() => ChildrenOf(peerTyped.Id).FirstOrDefault(), TimeSpan.FromSeconds(30));
        Assert.True(jq > 0, "the jq child never started");

        using (var kill = Process.Start("kill", ["-" + signal, peerTyped.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!) await kill.WaitForExitAsync();
        await peerTyped.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var gone = await WaitForAsync(() => IsRunning(jq) ? 0 : 1, TimeSpan.FromSeconds(10));
        Assert.True(gone == 1, $"jq (pid {jq}) still runs after peer-typed got SIG{signal}");
    }

    private static async Task<int> WaitForAsync(Func<int> probe, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < limit)
        {
            var value = probe();
            if (value != 0) return value;
            await Task.Delay(50);
        }
        return 0;
    }

    /// <summary>Pids whose parent is <paramref name="parent"/>, from /proc (the jq child runs as `jq` after setpriv execs it).</summary>
    private static IEnumerable<int> ChildrenOf(int parent)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid)) continue;
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (IOException)
            {
                continue;
            }
            // pid (comm) state ppid …; comm may hold spaces, so read after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields.Length > 1 && fields[1] == parent.ToString(System.Globalization.CultureInfo.InvariantCulture) && stat.Contains("(jq)", StringComparison.Ordinal)) yield return pid;
        }
    }

    /// <summary>True while the process exists and is not a zombie.</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
