using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using PeerTyped.Client;

namespace PeerTyped.Integration.Tests;

/// <summary>
/// Issue 13, "no surprise outcomes", for what the bad-input table cannot express: values that look like options,
/// stored bytes no reader expects, signals, a pid file that names someone else's process, a selected nats context.
/// Every case runs the CLI as a process (the NativeAOT binary when it is current, see <see cref="CliRunner.Binary"/>).
/// </summary>
public class SurpriseTests(NatsServerFixture nats) : IClassFixture<NatsServerFixture>
{
    private const string Key = "peer.spec.demo.cycle.1";

    private static readonly Dictionary<string, string?> Executor = new() { ["PEER_ROLE"] = "executor" };

    private async Task<CliRunner> ReadyAsync()
    {
        var cli = new CliRunner(nats.Server);
        Assert.Equal(0, (await cli.RunAsync("bucket", "init")).ExitCode);
        var created = await cli.RunAsync("create", Key, "--instruction", "create-spec");
        Assert.True(created.ExitCode == 0, created.ToString());
        return cli;
    }

    private async Task<PeerStateStore> StoreAsync(CliRunner cli) =>
        await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [nats.Server.Url] }, new PeerStoreOptions { Bucket = cli.Bucket });

    private static void AssertNoStackTrace(CliResult result)
    {
        Assert.DoesNotContain("Unhandled exception", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("\n   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Values_that_look_like_help_options_or_response_files_are_stored_as_given()
    {
        var cli = await ReadyAsync();
        // A response file would have raised the caller to operator; with response files off it is a value like any other.
        var file = Path.Combine(cli.Home, "role.txt");
        await File.WriteAllTextAsync(file, "x --as operator");
        string[] values = ["-h", "--help", "-?", "@" + file, "--as", "-q"];
        foreach (var value in values)
        {
            var result = await cli.RunAsync(["update", Key, "--jq", ".phases.execute.output.files_created += [$f]", "--arg", "f", value], Executor, null);
            Assert.True(result.ExitCode == 0, value + ": " + result);
            Assert.Equal("OK\n", result.Stdout);
        }
        await using var store = await StoreAsync(cli);
        var stored = (await store.ReadAsync(Key)).Document.Phases.Execute.Output!.FilesCreated!;
        Assert.Equal(values, stored);
        var set = await cli.RunAsync(["set", Key, "plan.output.success_criteria", "-h"], new Dictionary<string, string?> { ["PEER_ROLE"] = "planner" }, null);
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Equal("-h", (await store.ReadAsync(Key)).Document.Phases.Plan.Output!.SuccessCriteria);
        var viaWrapper = await cli.ScriptAsync("update-state.sh", [Key, ".phases.execute.output.files_modified = [$f]", "--arg", "f", "--help"], Executor);
        Assert.True(viaWrapper.ExitCode == 0, viaWrapper.ToString());
        Assert.Equal(["--help"], (await store.ReadAsync(Key)).Document.Phases.Execute.Output!.FilesModified!);
    }

    [Fact]
    public async Task Patch_merge_at_file_reads_the_file_as_documented()
    {
        var cli = await ReadyAsync();
        var file = Path.Combine(cli.Home, "patch.json");
        await File.WriteAllTextAsync(file, "{\"phases\": {\"review\": {\"output\": {\"quality_score\": 92, \"strengths\": [\"quoted \\\"words\\\"\"]}}}}");
        var result = await cli.RunAsync(["patch", Key, "--merge", "@" + file], new Dictionary<string, string?> { ["PEER_ROLE"] = "review" }, null);
        Assert.True(result.ExitCode == 0, result.ToString());
        await using var store = await StoreAsync(cli);
        var review = (await store.ReadAsync(Key)).Document.Phases.Review.Output!;
        Assert.Equal(92, review.QualityScore);
        Assert.Equal(["quoted \"words\""], review.Strengths);
    }

    [Fact]
    public async Task Invalid_UTF8_in_an_argument_is_refused_not_stored_as_replacement_characters()
    {
        var cli = await ReadyAsync();
        await using var store = await StoreAsync(cli);
        var before = (await store.ReadRawAsync(Key)).Revision;
        // Process arguments are .NET strings; bash passes the raw bytes 0xFF 0xFE.
        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("\"$0\" update \"$1\" --jq '.phases.execute.output.files_created = [$f]' --arg f $'\\xff\\xfe'");
        start.ArgumentList.Add(CliRunner.Binary);
        start.ArgumentList.Add(Key);
        start.Environment["NATS_URL"] = nats.Server.Url;
        start.Environment["PEER_BUCKET"] = cli.Bucket;
        start.Environment["PEER_ROLE"] = "executor";
        using var process = Process.Start(start)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(2, process.ExitCode);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains("is not valid UTF-8", Assert.Single(stderr.Split('\n'), l => l.StartsWith("ERROR:", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Equal(before, (await store.ReadRawAsync(Key)).Revision);
    }

    [Fact]
    public async Task Get_raw_prints_exactly_the_stored_bytes()
    {
        var cli = await ReadyAsync();
        var odd = "{\"not\": \"a cycle\",   \"spacing\": [1,2]}";
        await RawPublish.PutAsync(nats.Server, cli.Bucket, Key, Encoding.UTF8.GetBytes(odd));
        Assert.Equal(odd, (await cli.RunAsync("get", Key, "--raw")).Stdout);
        await RawPublish.PutAsync(nats.Server, cli.Bucket, Key, []);
        var empty = await cli.RunAsync("get", Key, "--raw");
        Assert.Equal(0, empty.ExitCode);
        Assert.Equal(string.Empty, empty.Stdout);
    }

    /// <summary>Bytes another tool may store: each revision gets a verdict in history and doctor, neither crashes.</summary>
    [Fact]
    public async Task History_and_doctor_report_every_stored_revision_and_never_crash()
    {
        var cli = await ReadyAsync();
        var valid = (await cli.RunAsync("get", Key, "--raw")).Stdout;
        var rogue = new (string Name, byte[] Bytes)[]
        {
            ("lone surrogate", Encoding.UTF8.GetBytes(valid.Replace("\"create-spec\"", "\"\\ud800\"", StringComparison.Ordinal))),
            ("integer past Int64", Encoding.UTF8.GetBytes(valid.Replace("\"cycle_number\":1", "\"cycle_number\":9223372036854775808", StringComparison.Ordinal))),
            ("invalid UTF-8", [.. Encoding.UTF8.GetBytes(valid[..20]), 0xFF, 0xFE, .. Encoding.UTF8.GetBytes(valid[20..])]),
            ("deep nesting", Encoding.UTF8.GetBytes(valid.Replace("\"create-spec\"", "\"x\",\"deep\":" + new string('[', 3000) + new string(']', 3000), StringComparison.Ordinal))),
            ("garbage", [0x00, 0x01, 0x7B, 0xC3, 0x28, 0x5B]),
            ("a member twice", Encoding.UTF8.GetBytes("{\"version\":1," + valid[1..])),
            ("another cycle", Encoding.UTF8.GetBytes(valid.Replace(Key, "peer.spec.demo.cycle.2", StringComparison.Ordinal).Replace("\"cycle_number\":1", "\"cycle_number\":2", StringComparison.Ordinal))),
            ("empty", []),
        };
        foreach (var (_, bytes) in rogue) await RawPublish.PutAsync(nats.Server, cli.Bucket, Key, bytes);

        var history = await cli.RunAsync("history", Key, "-o", "json");
        Assert.True(history.ExitCode == 0, history.ToString());
        AssertNoStackTrace(history);
        var rows = JsonNode.Parse(history.Stdout)!.AsArray();
        Assert.Equal(1 + rogue.Length, rows.Count);
        Assert.True(rows[0]!["schema_valid"]!.GetValue<bool>());
        Assert.All(rows.Skip(1), row => Assert.False(row!["schema_valid"]!.GetValue<bool>(), row!.ToJsonString()));
        AssertNoStackTrace(await cli.RunAsync("history", Key));

        var doctor = await cli.RunAsync("doctor", Key);
        Assert.Equal(4, doctor.ExitCode);
        AssertNoStackTrace(doctor);
        var firstRevision = rows[0]!["revision"]!.GetValue<ulong>();
        Assert.Contains($"last schema-valid revision is {firstRevision}", doctor.Stdout, StringComparison.Ordinal);
        foreach (var row in rows.Skip(1)) Assert.Contains($"revision {row!["revision"]}:", doctor.Stdout, StringComparison.Ordinal);
        Assert.Contains("must equal the key", doctor.Stdout, StringComparison.Ordinal);
        Assert.Single(doctor.ErrorLines);
        foreach (var (name, bytes) in rogue)
        {
            await RawPublish.PutAsync(nats.Server, cli.Bucket, Key, bytes);
            var read = await cli.ScriptAsync("read-state.sh", [Key]);
            Assert.True(read.ExitCode == 4, name + ": " + read);
            AssertNoStackTrace(read);
            Assert.Single(read.ErrorLines);
            Assert.Equal(string.Empty, read.Stdout);
        }
    }

    [Fact]
    public async Task A_near_limit_update_logs_the_JSON_preview_without_writing_megabytes_to_stderr()
    {
        var cli = await ReadyAsync();
        // Over 128 KiB does not fit in one argument (E2BIG): the value comes from a file.
        var file = Path.Combine(cli.Home, "big.json");
        await File.WriteAllTextAsync(file, "\"" + new string('x', 1000 * 1000) + "\"");
        var result = await cli.RunAsync(["update", Key, "--jq", ".phases.plan.output.summary = $s[0]", "--slurpfile", "s", file], new Dictionary<string, string?> { ["PEER_ROLE"] = "planner" }, null);
        Assert.True(result.ExitCode == 0, result.ToString()[..Math.Min(2000, result.ToString().Length)]);
        Assert.Contains("JSON preview (first 1000 chars)", result.Stderr, StringComparison.Ordinal);
        Assert.True(result.Stderr.Length < 10_000, $"{result.Stderr.Length} chars on stderr");
        // Normal sizes keep the seed's behaviour: the whole JSON is logged before it is written.
        var small = await cli.RunAsync(["set", Key, "plan.status", "completed"], new Dictionary<string, string?> { ["PEER_ROLE"] = "planner" }, null);
        Assert.Contains("JSON preview", small.Stderr, StringComparison.Ordinal);
        var tiny = new CliRunner(nats.Server);
        Assert.Equal(0, (await tiny.RunAsync("bucket", "init")).ExitCode);
        Assert.Equal(0, (await tiny.RunAsync("create", Key, "--instruction", "x")).ExitCode);
        var full = await tiny.RunAsync(["set", Key, "plan.status", "completed"], new Dictionary<string, string?> { ["PEER_ROLE"] = "planner" }, null);
        Assert.Contains("full JSON: {", full.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_ends_cleanly_on_SIGINT_every_time()
    {
        var cli = await ReadyAsync();
        for (var run = 0; run < 20; run++)
        {
            var start = WatchStart();
            start.Environment["NATS_URL"] = nats.Server.Url;
            start.Environment["PEER_BUCKET"] = cli.Bucket;
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            // The first line is the current revision: the watch is running and the handlers are in place.
            var first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Contains(Key, first, StringComparison.Ordinal);
            var rest = process.StandardOutput.ReadToEndAsync();
            Signal(process.Id, "INT");
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var errors = await stderr;
            await rest;
            Assert.True(process.ExitCode == 0, $"run {run}: exit {process.ExitCode}\n{errors}");
            Assert.DoesNotContain("Exception", errors, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Watch_ends_on_SIGINT_even_when_the_server_stopped_answering()
    {
        await using var server = await NatsServer.StartAsync();
        var cli = new CliRunner(server);
        Assert.Equal(0, (await cli.RunAsync("bucket", "init")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("create", Key, "--instruction", "create-spec")).ExitCode);
        var start = WatchStart();
        start.Environment["NATS_URL"] = server.Url;
        start.Environment["PEER_BUCKET"] = cli.Bucket;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            Assert.Contains(Key, await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)), StringComparison.Ordinal);
            var rest = process.StandardOutput.ReadToEndAsync();
            // A frozen server answers nothing, so nothing NATS.Net sends while closing the watch's consumer and
            // connection is answered; Ctrl-C must still end the command.
            await server.PauseAsync();
            Signal(process.Id, "INT");
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            await rest;
            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{await stderr}");
        }
        finally
        {
            await server.ResumeAsync();
            if (!process.HasExited) process.Kill();
        }
    }

    /// <summary>
    /// `peer-typed watch KEY`, started with SIGINT at its default disposition: a test run started in the background of
    /// a script (or under nohup) passes SIGINT on as ignored, and a program that finds it ignored rightly keeps it so.
    /// env execs the CLI in its own process, so the pid is the CLI's.
    /// </summary>
    private static ProcessStartInfo WatchStart()
    {
        var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "--default-signal=INT", CliRunner.Binary, "watch", Key }) start.ArgumentList.Add(argument);
        return start;
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    [Fact]
    public async Task Server_stop_and_status_leave_a_process_that_is_not_our_nats_server_alone()
    {
        var cli = new CliRunner(nats.Server);
        var directory = Path.Combine(cli.Home, "nats");
        Directory.CreateDirectory(directory);
        // The pid file names a live process that is not nats-server: this test process.
        await File.WriteAllTextAsync(Path.Combine(directory, "nats-server.pid"), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var stop = await cli.RunAsync("server", "stop");
        Assert.Equal(1, stop.ExitCode);
        Assert.Contains("which is not the nats-server peer-typed started", Assert.Single(stop.ErrorLines), StringComparison.Ordinal);
        Assert.False(Process.GetProcessById(Environment.ProcessId).HasExited);
        var status = await cli.RunAsync("server", "status", "--port", nats.Server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("not started by peer-typed", status.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), status.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_nats_context_selected_with_nats_context_select_is_used()
    {
        var cli = await ReadyAsync();
        var config = Path.Combine(cli.Home, "selected-config");
        Directory.CreateDirectory(Path.Combine(config, "nats", "context"));
        await File.WriteAllTextAsync(Path.Combine(config, "nats", "context", "dev.json"), $"{{\"description\":\"test\",\"url\":\"{nats.Server.Url}\"}}");
        await File.WriteAllTextAsync(Path.Combine(config, "nats", "context.txt"), "dev");
        var result = await cli.RunAsync(["get", Key, "-p", "metadata.status", "--raw-output"], new Dictionary<string, string?> { ["NATS_URL"] = null, ["XDG_CONFIG_HOME"] = config }, null);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("INITIALIZED\n", result.Stdout);
    }

    [Fact]
    public async Task Diff_takes_the_key_from_k_or_STATE_KEY()
    {
        var cli = await ReadyAsync();
        Assert.Equal(0, (await cli.RunAsync(["set", Key, "plan.status", "completed"], new Dictionary<string, string?> { ["PEER_ROLE"] = "planner" }, null)).ExitCode);
        var first = JsonNode.Parse((await cli.RunAsync("history", Key, "-o", "json")).Stdout)!.AsArray()[0]!["revision"]!.ToString();
        var withOption = await cli.RunAsync("diff", "-k", Key, first);
        Assert.True(withOption.ExitCode == 0, withOption.ToString());
        Assert.Contains("/phases/plan/status: \"pending\" -> \"completed\"", withOption.Stdout, StringComparison.Ordinal);
        var withEnvironment = await cli.RunAsync(["diff", first], new Dictionary<string, string?> { ["STATE_KEY"] = Key }, null);
        Assert.Equal(withOption.Stdout, withEnvironment.Stdout);
    }

    [Fact]
    public async Task Wrappers_take_a_large_document_from_a_file_or_stdin_and_the_key_from_STATE_KEY()
    {
        var cli = await ReadyAsync();
        var large = Encoding.UTF8.GetString(Docs.New("peer.spec.demo.cycle.5").ToUtf8Bytes()).Replace("\"Write the spec.\"", "\"" + new string('r', 200 * 1024) + "\"", StringComparison.Ordinal);
        var file = Path.Combine(cli.Home, "large.json");
        await File.WriteAllTextAsync(file, large);
        var fromFile = await cli.ScriptAsync("create-state.sh", ["peer.spec.demo.cycle.5", "@" + file]);
        Assert.True(fromFile.ExitCode == 0, fromFile.ToString());
        var fromStdin = await cli.ScriptAsync("create-state.sh", ["peer.spec.demo.cycle.6", "-"], stdin: large.Replace("cycle.5", "cycle.6", StringComparison.Ordinal).Replace("\"cycle_number\":5", "\"cycle_number\":6", StringComparison.Ordinal));
        Assert.True(fromStdin.ExitCode == 0, fromStdin.ToString());
        var update = await cli.ScriptAsync("update-state.sh", [".metadata.status = \"PLANNING\""], new Dictionary<string, string?> { ["STATE_KEY"] = Key });
        Assert.True(update.ExitCode == 0, update.ToString());
        Assert.Equal("\"PLANNING\"\n", (await cli.RunAsync("get", Key, "-p", "metadata.status")).Stdout);
    }
}
