using System.Text.Json.Nodes;
using PeerTyped.Client;

namespace PeerTyped.Integration.Tests;

/// <summary>
/// Issue 16: log levels (CLI and wrappers), JSON log fields, JSON errors on stdout with -o json, --version -o json,
/// and --dry-run on every write command. The built peer-typed against a real nats-server.
/// </summary>
public class CliConventionTests(NatsServerFixture nats) : IClassFixture<NatsServerFixture>
{
    private const string Key = "peer.spec.conventions.cycle.1";

    private static readonly Dictionary<string, string?> Planner = new() { ["PEER_ROLE"] = "planner" };

    private async Task<CliRunner> ReadyAsync()
    {
        var cli = new CliRunner(nats.Server);
        var init = await cli.RunAsync("bucket", "init");
        Assert.True(init.ExitCode == 0, init.ToString());
        var created = await cli.RunAsync("create", Key, "--instruction", "create-spec", "--spec", "conventions");
        Assert.True(created.ExitCode == 0, created.ToString());
        return cli;
    }

    /// <summary>How many messages the bucket's stream holds: any write, to any key, changes it.</summary>
    private async Task<ulong> MessagesAsync(CliRunner cli)
    {
        await using var store = await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [nats.Server.Url] }, new PeerStoreOptions { Bucket = cli.Bucket });
        return (await store.TryGetBucketInfoAsync())!.Values;
    }

    private static Dictionary<string, string?> With(Dictionary<string, string?> environment, string name, string value) => new(environment) { [name] = value };

    // ---- log levels -------------------------------------------------------------------------------------------------

    [Fact]
    public async Task The_full_JSON_is_logged_at_info_by_default_and_a_lower_level_silences_it()
    {
        var cli = await ReadyAsync();
        var byDefault = await cli.RunAsync(["set", Key, "plan.status", "in_progress"], Planner, null);
        Assert.True(byDefault.ExitCode == 0, byDefault.ToString());
        Assert.Contains($"INFO: {Key} full JSON: {{", byDefault.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("DEBUG:", byDefault.Stderr, StringComparison.Ordinal);

        foreach (var (arguments, environment) in new (string[], Dictionary<string, string?>)[]
        {
            (["--log-level", "warn", "set", Key, "plan.status", "completed"], Planner),
            (["set", Key, "plan.status", "in_progress"], With(Planner, "PEER_LOG_LEVEL", "warn")),
            (["-q", "set", Key, "plan.status", "completed"], Planner),
            (["--log-level", "error", "set", Key, "plan.status", "in_progress"], With(Planner, "PEER_LOG_LEVEL", "debug")),
        })
        {
            var quiet = await cli.RunAsync(arguments, environment, null);
            Assert.True(quiet.ExitCode == 0, quiet.ToString());
            Assert.Equal("OK\n", quiet.Stdout);
            Assert.Equal(string.Empty, quiet.Stderr);
        }

        // The flag beats the variable; debug adds the reads of the compare-and-set loop.
        var debug = await cli.RunAsync(["--log-level", "debug", "set", Key, "plan.status", "completed"], With(Planner, "PEER_LOG_LEVEL", "none"), null);
        Assert.True(debug.ExitCode == 0, debug.ToString());
        Assert.Contains($"DEBUG: Read {Key} at revision", debug.Stderr, StringComparison.Ordinal);
        Assert.Contains($"INFO: {Key} full JSON:", debug.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Level_none_prints_nothing_on_stderr_yet_keeps_the_exit_code_and_a_bad_level_is_a_usage_error()
    {
        var cli = await ReadyAsync();
        var before = await MessagesAsync(cli);
        var none = await cli.RunAsync(["--log-level", "none", "set", Key, "plan.status", "DONE"], Planner, null);
        Assert.Equal(4, none.ExitCode);
        Assert.Equal(string.Empty, none.Stderr);
        Assert.Equal(string.Empty, none.Stdout);

        var bad = await cli.RunAsync(["get", Key], new Dictionary<string, string?> { ["PEER_LOG_LEVEL"] = "loud" }, null);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("PEER_LOG_LEVEL: 'loud' is not a log level (one of trace, debug, info, warn, error, none)", Assert.Single(bad.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(string.Empty, bad.Stdout);
        var badFlag = await cli.RunAsync("--log-level", "loud", "get", Key);
        Assert.Equal(2, badFlag.ExitCode);
        Assert.Equal(before, await MessagesAsync(cli));
    }

    [Fact]
    public async Task The_wrappers_take_q_and_log_level_and_pass_PEER_LOG_LEVEL_through()
    {
        var cli = await ReadyAsync();
        // The seed's default stays: update-state.sh logs the JSON before it writes.
        var seed = await cli.ScriptAsync("update-state.sh", [Key, ".phases.plan.status = \"in_progress\""], Planner);
        Assert.True(seed.ExitCode == 0, seed.ToString());
        Assert.Contains($"INFO: {Key} full JSON:", seed.Stderr, StringComparison.Ordinal);

        var runs = new[]
        {
            await cli.ScriptAsync("update-state.sh", ["-q", Key, ".phases.plan.status = \"completed\""], Planner),
            await cli.ScriptAsync("update-state.sh", [Key, ".phases.plan.status = \"in_progress\"", "--log-level", "warn"], Planner),
            await cli.ScriptAsync("update-state.sh", ["--state-key", Key, "--filter", ".phases.plan.status = \"completed\"", "--log-level=error"], Planner),
            await cli.ScriptAsync("update-state.sh", [Key, ".phases.plan.status = \"in_progress\""], With(Planner, "PEER_LOG_LEVEL", "warn")),
            await cli.ScriptAsync("create-state.sh", ["-q", "peer.spec.conventions.cycle.2", "-"], null, (await cli.RunAsync("get", Key)).Stdout.Replace(Key, "peer.spec.conventions.cycle.2", StringComparison.Ordinal).Replace("\"cycle_number\": 1", "\"cycle_number\": 2", StringComparison.Ordinal)),
            await cli.ScriptAsync("read-state.sh", ["--log-level", "warn", Key]),
        };
        foreach (var run in runs)
        {
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal(string.Empty, run.Stderr);
        }
        Assert.Equal("OK\n", runs[0].Stdout);
        Assert.Equal(Key, JsonNode.Parse(runs[^1].Stdout)!["cycle_id"]!.GetValue<string>());

        // A wrapper asked for a level without one is a usage error: one ERROR line, exit 2, nothing written.
        var before = await MessagesAsync(cli);
        var missing = await cli.ScriptAsync("update-state.sh", [Key, ".", "--log-level"]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--log-level expects a level", Assert.Single(missing.ErrorLines), StringComparison.Ordinal);
        var readMissing = await cli.ScriptAsync("read-state.sh", ["--log-level"]);
        Assert.Equal(2, readMissing.ExitCode);
        Assert.Equal(before, await MessagesAsync(cli));
    }

    [Fact]
    public async Task JSON_log_lines_carry_key_revision_role_attempt_and_the_exit_code()
    {
        var cli = await ReadyAsync();
        var written = await cli.RunAsync(["--log-format", "json", "set", Key, "plan.status", "in_progress"], Planner, null);
        Assert.True(written.ExitCode == 0, written.ToString());
        var lines = written.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.All(lines, l => Assert.Equal(Key, l["key"]!.GetValue<string>()));
        Assert.All(lines, l => Assert.Equal("planner", l["role"]!.GetValue<string>()));
        var writing = Assert.Single(lines, l => l["message"]!.GetValue<string>().StartsWith("Writing ", StringComparison.Ordinal));
        Assert.Equal(1, writing["attempt"]!.GetValue<int>());
        var wrote = Assert.Single(lines, l => l["message"]!.GetValue<string>().StartsWith("Wrote ", StringComparison.Ordinal));
        Assert.Equal(writing["base_revision"]!.GetValue<ulong>() + 1, wrote["revision"]!.GetValue<ulong>());
        Assert.Equal(1, wrote["attempt"]!.GetValue<int>());
        Assert.Equal("info", wrote["level"]!.GetValue<string>());

        var failed = await cli.RunAsync(["--log-format", "json", "set", Key, "plan.status", "DONE"], Planner, null);
        Assert.Equal(4, failed.ExitCode);
        var error = JsonNode.Parse(failed.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single())!;
        Assert.Equal("error", error["level"]!.GetValue<string>());
        Assert.Equal(4, error["exit_code"]!.GetValue<int>());
        Assert.Equal("/phases/plan/status", error["pointer"]!.GetValue<string>());
        Assert.Equal(Key, error["key"]!.GetValue<string>());
    }

    // ---- -o json: errors and --version --------------------------------------------------------------------------------

    [Theory]
    [InlineData(new[] { "-o", "json", "set", Key, "plan.status", "DONE" }, 4, Key, "/phases/plan/status", "expected one of pending")]
    [InlineData(new[] { "-o", "json", "set", Key, "execute.status", "completed" }, 6, Key, "/phases/execute/status", "may not change /phases/execute/status")]
    [InlineData(new[] { "get", "peer.spec.conventions.cycle.9", "-o", "json" }, 5, "peer.spec.conventions.cycle.9", null, "not found")]
    [InlineData(new[] { "--output=json", "bogus" }, 2, null, null, "Unrecognized command or argument 'bogus'")]
    [InlineData(new[] { "-o", "json", "get", "peer.spec.has space.cycle.1" }, 2, "peer.spec.has space.cycle.1", null, "cannot contain white space")]
    public async Task With_o_json_an_error_is_also_a_JSON_object_on_stdout(string[] arguments, int exitCode, string? key, string? pointer, string message)
    {
        var cli = await ReadyAsync();
        var before = await MessagesAsync(cli);
        var result = await cli.RunAsync(arguments, Planner, null);
        Assert.True(result.ExitCode == exitCode, result.ToString());
        var error = JsonNode.Parse(result.Stdout)!.AsObject();
        Assert.Contains(message, error["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(exitCode, error["exit_code"]!.GetValue<int>());
        Assert.Equal(key, error["key"]?.GetValue<string>());
        Assert.Equal(pointer, error["pointer"]?.GetValue<string>());
        // The ERROR line still goes to stderr, with the same message.
        Assert.Contains(message, Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(before, await MessagesAsync(cli));
    }

    [Theory]
    [InlineData("-o", "json")]
    [InlineData("--output", "json")]
    [InlineData("--output=json", null)]
    public async Task Version_with_o_json_prints_the_build_and_schema_versions(string first, string? second)
    {
        var cli = new CliRunner(null);
        string[] arguments = second is null ? ["--version", first] : ["--version", first, second];
        var result = await cli.RunAsync(arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
        var version = JsonNode.Parse(result.Stdout)!;
        Assert.False(string.IsNullOrEmpty(version["version"]!.GetValue<string>()));
        Assert.Equal(1, version["schema_version"]!.GetValue<int>());
        Assert.Contains(1, version["readable_schema_versions"]!.AsArray().Select(v => v!.GetValue<int>()));
        Assert.Equal(string.Empty, result.Stderr);
        var text = await cli.RunAsync("--version");
        Assert.Contains("writes schema version 1", text.Stdout, StringComparison.Ordinal);
    }

    // ---- --dry-run ----------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Dry_run_prints_the_change_exits_as_the_write_would_and_writes_nothing()
    {
        var cli = await ReadyAsync();
        var before = await MessagesAsync(cli);
        var set = await cli.RunAsync(["set", Key, "plan.status", "in_progress", "--dry-run"], Planner, null);
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Equal("/phases/plan/status: \"pending\" -> \"in_progress\"\n", set.Stdout);
        Assert.Contains("Dry run:", set.Stderr, StringComparison.Ordinal);
        Assert.Contains($"INFO: {Key} full JSON:", set.Stderr, StringComparison.Ordinal);

        var patch = await cli.RunAsync(["-o", "json", "patch", Key, "--merge", "{\"phases\":{\"plan\":{\"output\":{\"success_criteria\":\"done\"}}}}", "--dry-run"], Planner, null);
        Assert.True(patch.ExitCode == 0, patch.ToString());
        var json = JsonNode.Parse(patch.Stdout)!;
        Assert.True(json["dry_run"]!.GetValue<bool>());
        Assert.True(json["changed"]!.GetValue<bool>());
        Assert.Equal("/phases/plan/output", json["changes"]![0]!["pointer"]!.GetValue<string>());

        var update = await cli.RunAsync(["update", Key, "--jq", ".metadata.status = \"PLANNING\"", "--dry-run"], Planner, null);
        Assert.True(update.ExitCode == 0, update.ToString());
        Assert.Equal("/metadata/status: \"INITIALIZED\" -> \"PLANNING\"\n", update.Stdout);

        // The exit code the write would get: invalid 4, ownership 6, already exists 5, not found 5.
        Assert.Equal(4, (await cli.RunAsync(["set", Key, "plan.status", "DONE", "--dry-run"], Planner, null)).ExitCode);
        Assert.Equal(6, (await cli.RunAsync(["set", Key, "execute.status", "completed", "--dry-run"], Planner, null)).ExitCode);
        Assert.Equal(5, (await cli.RunAsync("create", Key, "--instruction", "create-spec", "--dry-run")).ExitCode);
        Assert.Equal(5, (await cli.RunAsync(["set", "peer.spec.conventions.cycle.7", "plan.status", "completed", "--dry-run"], Planner, null)).ExitCode);

        const string New = "peer.spec.conventions.cycle.3";
        var create = await cli.RunAsync("create", New, "--instruction", "create-spec", "--dry-run");
        Assert.True(create.ExitCode == 0, create.ToString());
        Assert.StartsWith("(document): (absent) -> {", create.Stdout, StringComparison.Ordinal);
        Assert.Equal(5, (await cli.RunAsync("get", New)).ExitCode);

        var restore = await cli.RunAsync("--as", "operator", "restore", Key, "--revision", "1", "--dry-run");
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Contains("(revision 1)", restore.Stdout, StringComparison.Ordinal);

        var next = await cli.RunAsync("cycle", "next", "peer.spec.conventions", "--dry-run");
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Equal("2\n", next.Stdout);
        Assert.Equal("2\n", (await cli.RunAsync("cycle", "next", "peer.spec.conventions", "--dry-run")).Stdout);

        Assert.Equal(before, await MessagesAsync(cli));
        Assert.Equal("\"pending\"\n", (await cli.RunAsync("get", Key, "-p", "plan.status")).Stdout);
    }

    // ---- ls, history -n, watch on a filter --------------------------------------------------------------------------

    [Fact]
    public async Task Ls_lists_key_revision_status_phase_updated_and_validity_as_a_table_or_JSON()
    {
        var cli = await ReadyAsync();
        Assert.Equal(0, (await cli.RunAsync("create", "peer.spec.conventions.cycle.10", "--instruction", "create-spec", "--spec", "conventions")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("create", "peer.spec.other.cycle.1", "--instruction", "create-spec", "--spec", "other")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync(["set", Key, "metadata.status", "PLANNING", "metadata.current_phase", "plan"], Planner, null)).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("cycle", "next", "peer.spec.conventions")).ExitCode);
        await RawPublish.PutAsync(nats.Server, cli.Bucket, "peer.spec.conventions.cycle.2", "{\"version\": 1,"u8.ToArray());

        var table = await cli.RunAsync("ls", "peer.spec.conventions");
        Assert.True(table.ExitCode == 0, table.ToString());
        var rows = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["KEY", "REVISION", "STATUS", "PHASE", "UPDATED", "VALID"], rows[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        // Natural order (2 before 10), the counter left out, the other spec not matched.
        Assert.Equal([Key, "peer.spec.conventions.cycle.2", "peer.spec.conventions.cycle.10"], rows.Skip(1).Select(r => r.Split(' ')[0]));
        Assert.Matches(@"^peer\.spec\.conventions\.cycle\.1 +\d+ +PLANNING +plan +\d{4}-\d\d-\d\dT[^ ]+ +valid$", rows[1]);
        Assert.Matches(@"^peer\.spec\.conventions\.cycle\.2 +\d+ +- +- +- +INVALID$", rows[2]);

        var json = JsonNode.Parse((await cli.RunAsync("ls", "-o", "json")).Stdout)!.AsArray();
        Assert.Equal(4, json.Count);
        var first = json.Single(c => c!["key"]!.GetValue<string>() == Key)!;
        Assert.Equal("PLANNING", first["status"]!.GetValue<string>());
        Assert.Equal("plan", first["current_phase"]!.GetValue<string>());
        Assert.True(first["valid"]!.GetValue<bool>());
        Assert.False(json.Single(c => c!["key"]!.GetValue<string>() == "peer.spec.conventions.cycle.2")!["valid"]!.GetValue<bool>());
        Assert.Equal(["peer.spec.conventions.cycle.1", "peer.spec.other.cycle.1"], JsonNode.Parse((await cli.RunAsync("ls", "peer.spec.*.cycle.1", "-o", "json")).Stdout)!.AsArray().Select(c => c!["key"]!.GetValue<string>()));
        Assert.Equal("[]", JsonNode.Parse((await cli.RunAsync("ls", "peer.spec.nothing", "-o", "json")).Stdout)!.ToJsonString());
        Assert.Equal(2, (await cli.RunAsync("ls", "peer.spec.>.x")).ExitCode);
    }

    [Fact]
    public async Task History_n_shows_only_the_latest_revisions()
    {
        var cli = await ReadyAsync();
        foreach (var status in new[] { "in_progress", "completed", "failed" }) Assert.Equal(0, (await cli.RunAsync(["set", Key, "plan.status", status], Planner, null)).ExitCode);
        var all = JsonNode.Parse((await cli.RunAsync("history", Key, "-o", "json")).Stdout)!.AsArray();
        Assert.Equal(4, all.Count);
        var last = JsonNode.Parse((await cli.RunAsync("history", Key, "-n", "2", "-o", "json")).Stdout)!.AsArray();
        Assert.Equal(all.Skip(2).Select(r => r!["revision"]!.GetValue<ulong>()), last.Select(r => r!["revision"]!.GetValue<ulong>()));
        Assert.Equal(["phases.plan"], last[0]!["changed"]!.AsArray().Select(c => c!.GetValue<string>()));
        var table = await cli.RunAsync("history", Key, "--last", "1");
        Assert.Equal(2, table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(2, (await cli.RunAsync("history", Key, "-n", "0")).ExitCode);
    }

    [Fact]
    public async Task Watch_on_a_prefix_or_a_wildcard_filter_follows_every_matching_key()
    {
        var cli = await ReadyAsync();
        Assert.Equal(0, (await cli.RunAsync("create", "peer.spec.conventions.cycle.2", "--instruction", "create-spec", "--spec", "conventions")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("create", "peer.spec.other.cycle.1", "--instruction", "create-spec", "--spec", "other")).ExitCode);
        foreach (var target in new[] { "peer.spec.conventions", "peer.spec.conventions.>", "peer.spec.*.cycle.2" })
        {
            var start = new System.Diagnostics.ProcessStartInfo(CliRunner.Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { "--server", nats.Server.Url, "--bucket", cli.Bucket, "watch", target }) start.ArgumentList.Add(argument);
            using var watcher = System.Diagnostics.Process.Start(start)!;
            try
            {
                async Task<JsonNode> NextAsync() => JsonNode.Parse((await watcher.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)))!)!;
                var expected = target == "peer.spec.*.cycle.2" ? new[] { "peer.spec.conventions.cycle.2" } : [Key, "peer.spec.conventions.cycle.2"];
                var current = new List<string>();
                foreach (var _ in expected) current.Add((await NextAsync())["key"]!.GetValue<string>());
                Assert.Equal(expected.Order(), current.Order());
                // A write to a key outside the filter is not printed; the next line is the matching key's change.
                Assert.Equal(0, (await cli.RunAsync(["set", "peer.spec.other.cycle.1", "plan.status", "in_progress"], Planner, null)).ExitCode);
                Assert.Equal(0, (await cli.RunAsync(["set", "peer.spec.conventions.cycle.2", "plan.status", "in_progress"], Planner, null)).ExitCode);
                var change = await NextAsync();
                Assert.Equal("peer.spec.conventions.cycle.2", change["key"]!.GetValue<string>());
                Assert.Equal("in_progress", change["value"]!["phases"]!["plan"]!["status"]!.GetValue<string>());
                Assert.Equal(0, (await cli.RunAsync(["set", "peer.spec.conventions.cycle.2", "plan.status", "pending"], Planner, null)).ExitCode);
                Assert.Equal(0, (await cli.RunAsync(["set", "peer.spec.other.cycle.1", "plan.status", "pending"], Planner, null)).ExitCode);
                Assert.Equal("pending", (await NextAsync())["value"]!["phases"]!["plan"]!["status"]!.GetValue<string>());
            }
            finally
            {
                watcher.Kill();
                await watcher.WaitForExitAsync();
            }
        }
    }

    // ---- short paths to extension fields, connection options only where they apply -------------------------------------

    [Fact]
    public async Task Short_paths_reach_extension_fields_of_open_objects_and_closed_objects_keep_unknown_path()
    {
        var cli = await ReadyAsync();
        var set = await cli.RunAsync(["set", Key, "plan.output.custom_thing", "{\"depth\":2}", "plan.output.note", "plain text", "plan.status", "in_progress"], Planner, null);
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Equal("{\n  \"depth\": 2\n}\n", (await cli.RunAsync("get", Key, "-p", "plan.output.custom_thing")).Stdout);
        Assert.Equal("plain text\n", (await cli.RunAsync("get", Key, "-p", "plan.output.note", "--raw-output")).Stdout);
        Assert.Equal("\"in_progress\"\n", (await cli.RunAsync("get", Key, "-p", "plan.status")).Stdout);
        // Written next to what is already there: a second extension write keeps the first.
        Assert.Equal(0, (await cli.RunAsync(["set", Key, "plan.output.custom_thing", "3"], Planner, null)).ExitCode);
        var output = JsonNode.Parse((await cli.RunAsync("get", Key, "-p", "plan.output")).Stdout)!;
        Assert.Equal(3, output["custom_thing"]!.GetValue<int>());
        Assert.Equal("plain text", output["note"]!.GetValue<string>());

        var before = await MessagesAsync(cli);
        var typo = await cli.RunAsync(["set", Key, "plan.staus", "completed"], Planner, null);
        Assert.Equal(2, typo.ExitCode);
        Assert.Contains("unknown path 'plan.staus'", Assert.Single(typo.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(2, (await cli.RunAsync(["set", Key, "metadata.custom", "x"], Planner, null)).ExitCode);
        // The long form of a declared member is not a short path (phases.plan.status is plan.status).
        Assert.Equal(2, (await cli.RunAsync(["set", Key, "phases.plan.status", "completed"], Planner, null)).ExitCode);
        // Ownership still applies: the planner cannot add a member to the executor's output.
        Assert.Equal(6, (await cli.RunAsync(["set", Key, "execute.output.custom_thing", "x"], Planner, null)).ExitCode);
        Assert.Equal(before, await MessagesAsync(cli));
    }

    [Fact]
    public async Task Offline_commands_do_not_list_the_connection_options_and_connecting_ones_take_them_before_or_after()
    {
        var cli = await ReadyAsync();
        foreach (var command in new[] { new[] { "validate" }, ["paths"], ["lint"], ["schema", "diff"] })
        {
            var help = await cli.RunAsync([.. command, "--help"]);
            Assert.True(help.ExitCode == 0, help.ToString());
            foreach (var option in new[] { "--server", "--creds", "--tlscert", "--context", "--bucket", "--gate", "--retry-timeout" }) Assert.DoesNotContain(option, help.Stdout, StringComparison.Ordinal);
            Assert.Contains("--log-level", help.Stdout, StringComparison.Ordinal);
        }
        foreach (var command in new[] { new[] { "get" }, ["ls"], ["bucket", "info"], ["cycle", "next"], ["watch"] })
        {
            var help = await cli.RunAsync([.. command, "--help"]);
            Assert.Contains("--server", help.Stdout, StringComparison.Ordinal);
            Assert.Contains("--creds", help.Stdout, StringComparison.Ordinal);
        }
        var environment = new Dictionary<string, string?> { ["NATS_URL"] = null, ["PEER_BUCKET"] = null };
        var before = await cli.RunAsync(["--server", nats.Server.Url, "--bucket", cli.Bucket, "get", Key, "-p", "plan.status"], environment, null);
        var after = await cli.RunAsync(["get", Key, "-p", "plan.status", "--server", nats.Server.Url, "--bucket", cli.Bucket], environment, null);
        Assert.Equal("\"pending\"\n", before.Stdout);
        Assert.Equal("\"pending\"\n", after.Stdout);
        var offline = await cli.RunAsync("validate", "--server", nats.Server.Url);
        Assert.Equal(2, offline.ExitCode);
        Assert.Contains("unknown option '--server' for 'peer-typed validate'", Assert.Single(offline.ErrorLines), StringComparison.Ordinal);
    }

    // ---- edit ---------------------------------------------------------------------------------------------------------

    /// <summary>An EDITOR script: a POSIX shell body run with the file as $1 and a scratch directory as $DIR.</summary>
    private static Dictionary<string, string?> Editor(string body, out string scratch)
    {
        scratch = Directory.CreateTempSubdirectory("peer-typed-editor-").FullName;
        var script = Path.Combine(scratch, "editor.sh");
        File.WriteAllText(script, "#!/bin/sh\nDIR='" + scratch + "'\n" + body + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new Dictionary<string, string?> { ["PEER_ROLE"] = "planner", ["EDITOR"] = script, ["VISUAL"] = null };
    }

    [Fact]
    public async Task Edit_writes_the_saved_document_by_compare_and_set()
    {
        var cli = await ReadyAsync();
        var result = await cli.RunAsync(["edit", Key], Editor("sed -i '0,/\"pending\"/s//\"in_progress\"/' \"$1\"", out _), null);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("OK\n", result.Stdout);
        Assert.Equal("\"in_progress\"\n", (await cli.RunAsync("get", Key, "-p", "plan.status")).Stdout);

        // Saved unchanged: nothing written.
        var before = await MessagesAsync(cli);
        var unchanged = await cli.RunAsync(["edit", Key], Editor("true", out _), null);
        Assert.True(unchanged.ExitCode == 0, unchanged.ToString());
        Assert.Contains("no changes", unchanged.Stderr, StringComparison.Ordinal);
        // A dry run prints the change and writes nothing either.
        var dry = await cli.RunAsync(["edit", Key, "--dry-run"], Editor("sed -i 's/\"in_progress\"/\"completed\"/' \"$1\"", out _), null);
        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Equal("/phases/plan/status: \"in_progress\" -> \"completed\"\n", dry.Stdout);
        // An editor that fails writes nothing.
        Assert.Equal(1, (await cli.RunAsync(["edit", Key], Editor("exit 3", out _), null)).ExitCode);
        Assert.Equal(before, await MessagesAsync(cli));
    }

    [Fact]
    public async Task Edit_reopens_the_editor_with_the_error_until_it_is_fixed_or_saved_unchanged()
    {
        var cli = await ReadyAsync();
        // First session: an invalid status; second: the error is shown at the top, and the fix is saved.
        const string FixOnSecond = """
            n=$(cat "$DIR/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$DIR/count"; cp "$1" "$DIR/seen.$n"
            if [ $n = 1 ]; then sed -i '0,/"pending"/s//"DONE"/' "$1"; else sed -i 's/"DONE"/"completed"/' "$1"; fi
            """;
        var fixedRun = await cli.RunAsync(["edit", Key], Editor(FixOnSecond, out var scratch), null);
        Assert.True(fixedRun.ExitCode == 0, fixedRun.ToString());
        var reopened = await File.ReadAllTextAsync(Path.Combine(scratch, "seen.2"));
        Assert.StartsWith($"# ERROR: {Key}: the changed document is invalid: /phases/plan/status: \"DONE\" is not one of", reopened, StringComparison.Ordinal);
        Assert.Contains("WARN:", fixedRun.Stderr, StringComparison.Ordinal);
        Assert.Empty(fixedRun.ErrorLines);
        Assert.Equal("\"completed\"\n", (await cli.RunAsync("get", Key, "-p", "plan.status")).Stdout);

        // Saving the errored file unchanged gives up with the error's exit code; an ownership error is 6.
        var before = await MessagesAsync(cli);
        const string BreakOnce = """
            n=$(cat "$DIR/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$DIR/count"
            if [ $n = 1 ]; then sed -i '0,/"pending"/s//"completed"/' "$1"; fi
            """;
        var givenUp = await cli.RunAsync(["edit", Key], Editor(BreakOnce, out var second), null);
        Assert.Equal(6, givenUp.ExitCode);
        Assert.Contains("may not change /phases/execute/status", Assert.Single(givenUp.ErrorLines), StringComparison.Ordinal);
        Assert.Equal("2", (await File.ReadAllTextAsync(Path.Combine(second, "count"))).Trim());
        Assert.Equal(before, await MessagesAsync(cli));
    }

    [Fact]
    public async Task Edit_never_overwrites_a_change_made_while_the_editor_was_open()
    {
        var cli = await ReadyAsync();
        // The "editor" lets another writer change the document before it saves its own change.
        var body = $"NATS_URL='{nats.Server.Url}' PEER_BUCKET='{cli.Bucket}' '{CliRunner.Binary}' -q set {Key} metadata.status PLANNING >/dev/null\n"
            + "sed -i '0,/\"pending\"/s//\"in_progress\"/' \"$1\"";
        var result = await cli.RunAsync(["edit", Key], Editor(body, out _), null);
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("changed by another writer since revision", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.Equal("\"PLANNING\"\n", (await cli.RunAsync("get", Key, "-p", "metadata.status")).Stdout);
        Assert.Equal("\"pending\"\n", (await cli.RunAsync("get", Key, "-p", "plan.status")).Stdout);
    }

    // ---- completion ---------------------------------------------------------------------------------------------------

    /// <summary>Runs the bash completion function for <paramref name="line"/> (cursor at its end) with peer-typed on PATH.</summary>
    private async Task<string[]> BashCompleteAsync(CliRunner cli, string line)
    {
        var bin = Directory.CreateTempSubdirectory("peer-typed-path-").FullName;
        File.CreateSymbolicLink(Path.Combine(bin, "peer-typed"), CliRunner.Binary);
        var script = (await cli.RunAsync("completion", "bash")).Stdout;
        var words = line.Split(' ');
        var program = $$"""
            {{script}}
            COMP_LINE='{{line}}'; COMP_POINT=${#COMP_LINE}; COMP_WORDS=({{string.Join(' ', words.Select(w => "'" + w + "'"))}}); COMP_CWORD={{words.Length - 1}}
            _peer_typed
            printf '%s\n' "${COMPREPLY[@]}"
            """;
        var environment = new Dictionary<string, string?> { ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"), ["NATS_URL"] = nats.Server.Url, ["PEER_BUCKET"] = cli.Bucket };
        var start = new System.Diagnostics.ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(program);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = System.Diagnostics.Process.Start(start)!;
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync();
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public async Task Bash_completion_completes_commands_options_live_keys_paths_and_enum_values()
    {
        var cli = await ReadyAsync();
        Assert.Contains("edit", await BashCompleteAsync(cli, "peer-typed ed"));
        Assert.Equal(["--dry-run"], await BashCompleteAsync(cli, $"peer-typed set {Key} plan.status completed --dry"));
        Assert.Equal(["debug"], await BashCompleteAsync(cli, "peer-typed --log-level de"));
        Assert.Equal([Key], await BashCompleteAsync(cli, "peer-typed get peer.spec.conv"));
        Assert.Equal(["plan.started_at", "plan.status"], await BashCompleteAsync(cli, $"peer-typed set {Key} plan.st"));
        Assert.Equal(["completed"], await BashCompleteAsync(cli, $"peer-typed set {Key} plan.status comp"));
        Assert.Equal(["EXECUTING", "EXPRESSING"], await BashCompleteAsync(cli, $"peer-typed set {Key} metadata.status EX"));
        Assert.Equal(["metadata.current_phase"], await BashCompleteAsync(cli, $"peer-typed get {Key} -p metadata.cu"));
    }

    [Theory]
    [InlineData("bash", "complete -o default -F _peer_typed peer-typed")]
    [InlineData("zsh", "compdef _peer_typed peer-typed")]
    [InlineData("fish", "complete -c peer-typed -f -a '(__peer_typed_complete)'")]
    public async Task Completion_prints_a_script_per_shell_that_asks_peer_typed_itself(string shell, string registration)
    {
        var cli = new CliRunner(null);
        var result = await cli.RunAsync("completion", shell);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(registration, result.Stdout, StringComparison.Ordinal);
        Assert.Contains("[suggest:", result.Stdout, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Stderr);
        Assert.Equal(2, (await cli.RunAsync("completion", "tcsh")).ExitCode);
    }

    [Fact]
    public async Task Paths_lists_ranges_patterns_and_required_ness()
    {
        var cli = new CliRunner(null);
        var json = JsonNode.Parse((await cli.RunAsync("paths", "-o", "json")).Stdout)!.AsArray();
        JsonNode Path(string path) => json.Single(p => p!["path"]!.GetValue<string>() == path)!;
        Assert.Equal(0, Path("review.output.quality_score")["minimum"]!.GetValue<int>());
        Assert.Equal(100, Path("review.output.quality_score")["maximum"]!.GetValue<int>());
        Assert.Equal(3, Path("cycle_summary.highlights")["max_items"]!.GetValue<int>());
        Assert.StartsWith("^peer\\.", Path("cycle_id")["pattern"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(Path("plan.status")["pattern"]);
        Assert.True(Path("plan.status")["required"]!.GetValue<bool>());
        Assert.False(Path("plan.started_at")["required"]!.GetValue<bool>());
        Assert.Equal(1, Path("metadata.cycle_number")["minimum"]!.GetValue<int>());
        var table = (await cli.RunAsync("paths")).Stdout.Split('\n');
        Assert.Equal(["PATH", "TYPE", "/", "ALLOWED", "RANGE", "/", "PATTERN", "REQUIRED", "OWNER"], table[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(@"^review\.output\.quality_score +number +0\.\.100 +no +review$", table.Single(l => l.StartsWith("review.output.quality_score ", StringComparison.Ordinal)));
        Assert.Matches(@"^plan\.status +pending\|in_progress\|completed\|failed +- +yes +planner$", table.Single(l => l.StartsWith("plan.status ", StringComparison.Ordinal)));
    }

    // ---- help ---------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Help names a KEY argument and the paths of set and get, it does not list them: listing them meant asking the
    /// server for every key in the bucket (and every settable path) each time someone typed --help.
    /// </summary>
    [Fact]
    public async Task Help_names_keys_and_paths_without_listing_the_buckets_keys()
    {
        var cli = await ReadyAsync();
        foreach (var command in new[] { Array.Empty<string>(), ["get"], ["set"], ["update"], ["history"], ["ls"], ["watch"], ["restore"], ["cycle", "next"], ["cycle", "current"] })
        {
            var help = await cli.RunAsync([.. command, "--help"]);
            Assert.True(help.ExitCode == 0, help.ToString());
            Assert.DoesNotContain(Key, help.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("|plan.status|", help.Stdout, StringComparison.Ordinal);
        }
        var get = await cli.RunAsync("get", "--help");
        Assert.Contains("<key>", get.Stdout, StringComparison.Ordinal);
        Assert.Contains("--key <key>", get.Stdout, StringComparison.Ordinal);
        Assert.Contains("--path <path>", get.Stdout, StringComparison.Ordinal);
        Assert.Contains("<path-value>", (await cli.RunAsync("set", "--help")).Stdout, StringComparison.Ordinal);
    }
}
