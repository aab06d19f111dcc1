using System.Text.Json;
using System.Text.Json.Nodes;
using PeerTyped.Client;
using PeerTyped.Contracts;

namespace PeerTyped.Integration.Tests;

/// <summary>The built peer-typed, run as a process against a real nats-server.</summary>
public class CliTests(NatsServerFixture nats) : IClassFixture<NatsServerFixture>
{
    private const string Key = "peer.spec.demo.cycle.1";

    private async Task<CliRunner> ReadyAsync(bool create = true)
    {
        var cli = new CliRunner(nats.Server);
        var init = await cli.RunAsync("bucket", "init");
        Assert.True(init.ExitCode == 0, init.ToString());
        if (create)
        {
            var created = await cli.RunAsync("create", Key, "--instruction", "create-spec", "--spec", "demo", "--requirements", "Write the spec.");
            Assert.True(created.ExitCode == 0, created.ToString());
            Assert.Equal("OK\n", created.Stdout);
        }
        return cli;
    }

    private async Task<ulong> LatestRevisionAsync(CliRunner cli, string key = Key)
    {
        // Read the stream directly, not through the CLI under test.
        await using var store = await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [nats.Server.Url] }, new PeerStoreOptions { Bucket = cli.Bucket });
        return (await store.ReadRawAsync(key)).Revision;
    }

    [Fact]
    public async Task Get_prints_only_the_document_on_stdout()
    {
        var cli = await ReadyAsync();
        var result = await cli.RunAsync("get", Key);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Key, JsonNode.Parse(result.Stdout)!["cycle_id"]!.GetValue<string>());
        Assert.Equal("\"pending\"\n", (await cli.RunAsync("get", "-k", Key, "--path", "plan.status")).Stdout);
        Assert.Equal("pending\n", (await cli.RunAsync(["get", "--path", "/phases/plan/status", "--raw-output"], new Dictionary<string, string?> { ["STATE_KEY"] = Key }, null)).Stdout);
    }

    [Fact]
    public async Task Set_writes_typed_values_and_prints_OK()
    {
        var cli = await ReadyAsync();
        var result = await cli.RunAsync(["set", Key, "plan.status", "completed", "metadata.updated_at", "now", "plan.output.risks", "[\"fsync\"]"], new Dictionary<string, string?> { ["PEER_ROLE"] = "planner" }, null);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("OK\n", result.Stdout);
        Assert.Contains("INFO: Writing peer.spec.demo.cycle.1 based on revision", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("/phases/plan/status: \"pending\" -> \"completed\"", result.Stderr, StringComparison.Ordinal);
        var document = JsonNode.Parse((await cli.RunAsync("get", Key)).Stdout)!;
        Assert.Equal("completed", document["phases"]!["plan"]!["status"]!.GetValue<string>());
        Assert.Equal("fsync", document["phases"]!["plan"]!["output"]!["risks"]![0]!.GetValue<string>());

        var json = await cli.RunAsync(["-o", "json", "set", Key, "plan.status", "failed"], new Dictionary<string, string?> { ["PEER_ROLE"] = "planner" }, null);
        var output = JsonNode.Parse(json.Stdout)!;
        Assert.True(output["changed"]!.GetValue<bool>());
        Assert.Equal("/phases/plan/status", output["changes"]![0]!["pointer"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(new[] { "set", Key, "plan.status", "DONE" }, "planner", 4, "/phases/plan/status: expected one of pending, in_progress, completed, failed")]
    [InlineData(new[] { "set", Key, "plan.staus", "done" }, "planner", 2, "unknown path 'plan.staus'")]
    [InlineData(new[] { "set", Key, "execute.status", "completed" }, "planner", 6, "role 'planner' may not change /phases/execute/status (owned by executor)")]
    [InlineData(new[] { "set", Key, "review.output.quality_score", "101" }, "review", 4, "/phases/review/output/quality_score: 101 is greater than the maximum 100")]
    [InlineData(new[] { "set", "peer.spec.demo.cycle.9", "plan.status", "completed" }, "planner", 5, "peer.spec.demo.cycle.9: not found")]
    [InlineData(new[] { "get", "peer.spec.has space.cycle.1" }, null, 2, "cannot contain white space")]
    [InlineData(new[] { "create", Key, "--instruction", "x" }, null, 5, "already exists")]
    [InlineData(new[] { "update", Key, "--jq", ".phases.plan.status = " }, null, 2, "the jq filter does not compile")]
    [InlineData(new[] { "update", Key, "--jq", "empty" }, null, 4, "produced no document")]
    [InlineData(new[] { "update", Key, "--jq", ".metadata.status = \"COMPLETD\"" }, null, 4, "/metadata/status: \"COMPLETD\" is not one of")]
    [InlineData(new[] { "patch", Key, "--merge", "{\"phases\":{\"paln\":{}}}" }, null, 4, "/phases/paln: property \"paln\" is not allowed here")]
    [InlineData(new[] { "bogus" }, null, 2, "Unrecognized command or argument 'bogus'")]
    public async Task Bad_input_gets_one_error_line_its_exit_code_and_writes_nothing(string[] arguments, string? role, int exitCode, string message)
    {
        var cli = await ReadyAsync();
        var before = await LatestRevisionAsync(cli);
        var result = await cli.RunAsync(arguments, new Dictionary<string, string?> { ["PEER_ROLE"] = role }, null);
        Assert.True(exitCode == result.ExitCode, result.ToString());
        var error = Assert.Single(result.ErrorLines);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Equal(before, await LatestRevisionAsync(cli));
    }

    [Fact]
    public async Task A_server_that_is_down_is_exit_7_naming_the_url()
    {
        var cli = new CliRunner(nats.Server);
        var url = $"nats://127.0.0.1:{NatsServer.FreePort()}";
        var result = await cli.RunAsync("--server", url, "--timeout", "1", "get", Key);
        Assert.Equal(7, result.ExitCode);
        Assert.StartsWith($"ERROR: cannot reach NATS at {url}", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_runs_jq_with_arguments_through_the_gate()
    {
        var cli = await ReadyAsync();
        var file = Path.Combine(cli.Home, "results.json");
        await File.WriteAllTextAsync(file, "{\"tests\": 12}");
        var result = await cli.RunAsync(["update", Key, "--jq", ".phases.execute.status = $s | .phases.execute.output = {files_created: $f, results: $r[0]}",
            "--arg", "s", "in_progress", "--argjson", "f", "[\"a.md\"]", "--slurpfile", "r", file], new Dictionary<string, string?> { ["PEER_ROLE"] = "executor" }, null);
        Assert.True(result.ExitCode == 0, result.ToString());
        var execute = JsonNode.Parse((await cli.RunAsync("get", Key, "-p", "execute")).Stdout)!;
        Assert.Equal("in_progress", execute["status"]!.GetValue<string>());
        Assert.Equal(12, execute["output"]!["results"]!["tests"]!.GetValue<int>());
    }

    [Fact]
    public async Task Patch_history_diff_and_create_from_stdin()
    {
        var cli = await ReadyAsync();
        var patch = await cli.RunAsync(["patch", Key, "--merge", "{\"phases\":{\"review\":{\"output\":{\"quality_score\":90,\"notes\":\"kept\"}}}}"], new Dictionary<string, string?> { ["PEER_ROLE"] = "review" }, null);
        Assert.True(patch.ExitCode == 0, patch.ToString());

        var history = JsonNode.Parse((await cli.RunAsync("-o", "json", "history", Key)).Stdout)!.AsArray();
        Assert.Equal(2, history.Count);
        Assert.True(history[1]!["schema_valid"]!.GetValue<bool>());
        Assert.Equal("phases.review", history[1]!["changed"]![0]!.GetValue<string>());
        var text = await cli.RunAsync("history", Key);
        Assert.StartsWith("REVISION", text.Stdout, StringComparison.Ordinal);

        var diff = await cli.RunAsync("diff", Key, history[0]!["revision"]!.ToString());
        Assert.Equal("/phases/review/output: (absent) -> {\"quality_score\":90,\"notes\":\"kept\"}\n", diff.Stdout);

        var document = JsonNode.Parse((await cli.RunAsync("get", Key)).Stdout)!;
        document["cycle_id"] = "peer.spec.demo.cycle.2";
        document["metadata"]!["cycle_number"] = 2;
        var created = await cli.RunAsync(["create", "peer.spec.demo.cycle.2", "-"], null, document.ToJsonString());
        Assert.True(created.ExitCode == 0, created.ToString());
        var mismatch = await cli.RunAsync(["create", "peer.spec.demo.cycle.3", "-"], null, document.ToJsonString());
        Assert.Equal(4, mismatch.ExitCode);
        Assert.Contains("/cycle_id: \"peer.spec.demo.cycle.2\" must equal the key \"peer.spec.demo.cycle.3\"", mismatch.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_paths_cycle_and_bucket_info()
    {
        var cli = await ReadyAsync(create: false);
        var good = Path.Combine(cli.Home, "good.json");
        await File.WriteAllBytesAsync(good, Docs.Large());
        Assert.Equal("OK\n", (await cli.RunAsync("validate", good)).Stdout);
        var invalid = await cli.RunAsync(["validate", "-"], null, "{\"version\": 2}");
        Assert.Equal(4, invalid.ExitCode);
        Assert.Contains("ERROR: stdin: /version: 2 is not one of 1, 1.1 (and 4 more)", invalid.Stderr, StringComparison.Ordinal);

        var paths = JsonNode.Parse((await cli.RunAsync("-o", "json", "paths")).Stdout)!.AsArray();
        var status = paths.Single(p => p!["path"]!.GetValue<string>() == "plan.status")!;
        Assert.Equal("planner", status["owners"]![0]!.GetValue<string>());
        Assert.Equal(4, status["allowed"]!.AsArray().Count);

        Assert.Equal("1\n", (await cli.RunAsync("cycle", "next", "peer.spec.demo")).Stdout);
        Assert.Equal("2\n", (await cli.RunAsync("cycle", "next", "peer.spec.demo")).Stdout);
        var info = JsonNode.Parse((await cli.RunAsync("-o", "json", "bucket", "info")).Stdout)!;
        Assert.Equal(64, info["history"]!.GetValue<int>());
        Assert.Equal(cli.Bucket, info["bucket"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bucket_init_hardens_a_bucket_that_another_tool_created()
    {
        var cli = new CliRunner(nats.Server);
        // What `nats kv add` and the seed's scripts leave: a KV bucket with rollup headers allowed and purge not denied.
        await using (var connection = new NATS.Client.Core.NatsConnection(new NATS.Client.Core.NatsOpts { Url = nats.Server.Url }))
        {
            var kv = new NATS.Client.KeyValueStore.NatsKVContext(new NATS.Client.JetStream.NatsJSContext(connection));
            await kv.CreateStoreAsync(new NATS.Client.KeyValueStore.NatsKVConfig(cli.Bucket) { History = 64, MaxValueSize = 1024 * 1024 });
        }
        var before = await cli.RunAsync("-o", "json", "bucket", "info");
        Assert.True(JsonNode.Parse(before.Stdout)!["allow_rollup_hdrs"]!.GetValue<bool>(), before.ToString());
        Assert.Contains("WARN: rollup headers allowed", before.Stderr, StringComparison.Ordinal);

        var init = await cli.RunAsync("-o", "json", "bucket", "init");
        Assert.True(init.ExitCode == 0, init.ToString());
        Assert.Contains($"Hardened bucket {cli.Bucket}", init.Stderr, StringComparison.Ordinal);
        var after = JsonNode.Parse(init.Stdout)!;
        Assert.False(after["allow_rollup_hdrs"]!.GetValue<bool>());
        Assert.True(after["deny_purge"]!.GetValue<bool>());
        Assert.True(after["deny_delete"]!.GetValue<bool>());
        Assert.Empty(after["warnings"]!.AsArray());

        var again = await cli.RunAsync("bucket", "init");
        Assert.Equal(0, again.ExitCode);
        Assert.DoesNotContain("Hardened", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_runs_a_whole_cycle_and_prints_its_history()
    {
        var cli = await ReadyAsync(create: false);
        var demo = await cli.RunAsync("demo");
        Assert.True(demo.ExitCode == 0, demo.ToString());
        var rows = demo.Stdout.Trim().Split('\n');
        Assert.Equal(7, rows.Length);
        Assert.All(rows.Skip(1), row => Assert.Contains(" valid ", row, StringComparison.Ordinal));
        var document = JsonNode.Parse((await cli.RunAsync("get", "peer.spec.peer-typed-demo.cycle.1")).Stdout)!;
        Assert.Equal("COMPLETED", document["metadata"]!["status"]!.GetValue<string>());
        Assert.Equal(100, document["cycle_summary"]!["completion"]!.GetValue<int>());
    }

    [Fact]
    public async Task Watch_prints_the_current_revision_and_each_later_one_as_json_lines()
    {
        var cli = await ReadyAsync();
        var start = new System.Diagnostics.ProcessStartInfo(CliRunner.Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "--server", nats.Server.Url, "--bucket", cli.Bucket, "watch", Key }) start.ArgumentList.Add(argument);
        using var watcher = System.Diagnostics.Process.Start(start)!;
        try
        {
            var first = JsonNode.Parse((await watcher.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)))!)!;
            Assert.Equal("pending", first["value"]!["phases"]!["plan"]!["status"]!.GetValue<string>());
            var set = await cli.RunAsync(["set", Key, "plan.status", "in_progress"], new Dictionary<string, string?> { ["PEER_ROLE"] = "planner" }, null);
            Assert.Equal(0, set.ExitCode);
            var second = JsonNode.Parse((await watcher.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)))!)!;
            Assert.Equal(first["revision"]!.GetValue<ulong>() + 1, second["revision"]!.GetValue<ulong>());
            Assert.Equal("in_progress", second["value"]!["phases"]!["plan"]!["status"]!.GetValue<string>());
            Assert.True(second["schema_valid"]!.GetValue<bool>());
        }
        finally
        {
            watcher.Kill();
            await watcher.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Server_start_status_and_stop_manage_a_local_jetstream_server()
    {
        var cli = new CliRunner(nats.Server);
        var port = NatsServer.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var stopped = await cli.RunAsync("server", "status", "--port", port);
        Assert.Equal(1, stopped.ExitCode);
        var started = await cli.RunAsync("server", "start", "--port", port);
        try
        {
            Assert.True(started.ExitCode == 0, started.ToString());
            Assert.Equal($"nats://127.0.0.1:{port}\n", started.Stdout);
            Assert.True(File.Exists(Path.Combine(cli.Home, "nats", "nats-server.pid")));
            var status = await cli.RunAsync("server", "status", "--port", port);
            Assert.Equal(0, status.ExitCode);
            Assert.StartsWith("running: pid", status.Stdout, StringComparison.Ordinal);
            Assert.Equal(0, (await cli.RunAsync("--server", $"nats://127.0.0.1:{port}", "bucket", "init")).ExitCode);
        }
        finally
        {
            var stop = await cli.RunAsync("server", "stop");
            Assert.StartsWith("stopped nats-server", stop.Stdout, StringComparison.Ordinal);
        }
        Assert.Equal(1, (await cli.RunAsync("server", "status", "--port", port)).ExitCode);
    }

    [Fact]
    public async Task Doctor_and_restore_recover_a_corrupted_key()
    {
        var cli = await ReadyAsync();
        var good = await LatestRevisionAsync(cli);
        await using (var store = await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [nats.Server.Url] }, new PeerStoreOptions { Bucket = cli.Bucket }))
        {
            await RawPublish.PutAsync(nats.Server, cli.Bucket, Key, "{\"version\": 1, \"cycle_id\": "u8.ToArray());
            await RawPublish.PutAsync(nats.Server, cli.Bucket, Key, []);
        }
        var doctor = await cli.RunAsync("doctor", Key);
        Assert.Equal(4, doctor.ExitCode);
        Assert.Contains($"last schema-valid revision is {good}", doctor.Stdout, StringComparison.Ordinal);
        Assert.Contains($"revision {good + 1}: 27 bytes: malformed JSON", doctor.Stdout, StringComparison.Ordinal);
        Assert.Contains($"revision {good + 2}: 0 bytes: empty value", doctor.Stdout, StringComparison.Ordinal);
        Assert.Contains($"restore with: PEER_ROLE=operator peer-typed restore {Key} --revision {good}", doctor.Stdout, StringComparison.Ordinal);

        var refused = await cli.RunAsync(["restore", Key, "--revision", good.ToString()], new Dictionary<string, string?> { ["PEER_ROLE"] = "planner" }, null);
        Assert.Equal(6, refused.ExitCode);
        var restored = await cli.RunAsync(["restore", Key, "--revision", good.ToString()], new Dictionary<string, string?> { ["PEER_ROLE"] = "operator" }, null);
        Assert.True(restored.ExitCode == 0, restored.ToString());
        Assert.Equal(0, (await cli.RunAsync("doctor", Key)).ExitCode);
        Assert.Equal((await cli.RunAsync("get", Key, "--raw", "--revision", good.ToString())).Stdout, (await cli.RunAsync("get", Key, "--raw")).Stdout);
    }
}
