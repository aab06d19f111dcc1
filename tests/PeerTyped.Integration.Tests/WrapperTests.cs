using System.Text.Json.Nodes;
using PeerTyped.Client;

namespace PeerTyped.Integration.Tests;

/// <summary>The drop-in wrappers, run as agents run them, with the seed's own filters.</summary>
public class WrapperTests(NatsServerFixture nats) : IClassFixture<NatsServerFixture>
{
    private const string Key = "peer.spec.walcommitter-operation-support.cycle.1";

    private static readonly Dictionary<string, string?> Unset = new() { ["PEER_ROLE"] = null };

    private async Task<CliRunner> ReadyAsync()
    {
        var cli = new CliRunner(nats.Server);
        Assert.Equal(0, (await cli.RunAsync("bucket", "init")).ExitCode);
        var initial = (JsonNode.Parse(Docs.Large())!) as JsonObject;
        initial!["metadata"]!["status"] = "PLANNING";
        initial["metadata"]!["current_phase"] = "plan";
        foreach (var phase in new[] { "plan", "execute", "express", "review" }) initial["phases"]![phase] = new JsonObject { ["status"] = "pending" };
        var created = await cli.ScriptAsync("create-state.sh", [Key, initial.ToJsonString()]);
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Equal("OK\n", created.Stdout);
        return cli;
    }

    private async Task<ulong> LatestRevisionAsync(CliRunner cli)
    {
        await using var store = await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [nats.Server.Url] }, new PeerStoreOptions { Bucket = cli.Bucket });
        return (await store.ReadRawAsync(Key)).Revision;
    }

    [Fact]
    public async Task The_seed_planner_executor_and_finalization_updates_work_unchanged()
    {
        var cli = await ReadyAsync();
        const string planner = """
            .phases.plan.status = "completed" |
            .phases.plan.completed_at = (now | todate) |
            .phases.plan.output = {
              "instruction_type": "spec-aware",
              "phases": ["preparation", "execution", "finalization"],
              "success_criteria": "Spec documentation created"
            } |
            .metadata.updated_at = (now | todate) |
            .metadata.status = "EXECUTING" |
            .metadata.current_phase = "execute"
            """;
        var plan = await cli.ScriptAsync("update-state.sh", [Key, planner], new Dictionary<string, string?> { ["PEER_ROLE"] = "planner" });
        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Equal("OK\n", plan.Stdout);
        Assert.Contains("SUCCESS: Updated state at key " + Key, plan.Stderr, StringComparison.Ordinal);

        var files = Path.Combine(cli.Home, "files.json");
        await File.WriteAllTextAsync(files, "[\"spec.md\", \"tasks.md\"]");
        const string executor = """
            .phases.execute.status = "completed" |
            .phases.execute.completed_at = (now | todate) |
            .phases.execute.output = {
              "files_created": $files[0],
              "files_modified": [],
              "results": {"spec_created": true}
            } |
            .metadata.updated_at = (now | todate) |
            .metadata.status = "EXPRESSING" |
            .metadata.current_phase = "express"
            """;
        var execute = await cli.ScriptAsync("update-state.sh", ["--state-key", Key, "--filter", executor, "--json-file", "files=" + files], new Dictionary<string, string?> { ["PEER_ROLE"] = "executor" });
        Assert.True(execute.ExitCode == 0, execute.ToString());

        const string finalization = """
            .metadata.status = "COMPLETED" |
            .metadata.completed_at = (now | todate)
            """;
        var final = await cli.ScriptAsync("update-state.sh", [Key, finalization], Unset);
        Assert.True(final.ExitCode == 0, final.ToString());

        var read = await cli.ScriptAsync("read-state.sh", [Key]);
        Assert.Equal(0, read.ExitCode);
        Assert.Equal(string.Empty, read.Stderr);
        var document = JsonNode.Parse(read.Stdout)!;
        Assert.Equal("COMPLETED", document["metadata"]!["status"]!.GetValue<string>());
        Assert.Equal("completed", document["phases"]!["plan"]!["status"]!.GetValue<string>());
        Assert.Equal("tasks.md", document["phases"]!["execute"]!["output"]!["files_created"]![1]!.GetValue<string>());
    }

    [Fact]
    public async Task A_filter_that_writes_two_phases_with_PEER_ROLE_unset_is_refused_and_writes_nothing()
    {
        var cli = await ReadyAsync();
        var before = await LatestRevisionAsync(cli);
        var result = await cli.ScriptAsync("update-state.sh", [Key, ".phases.plan.status = \"completed\" | .phases.execute.status = \"completed\""], Unset);
        Assert.Equal(6, result.ExitCode);
        Assert.Contains("with no role (PEER_ROLE unset) a write may change metadata and the sections of one role only; this one changes /phases/execute/status (owned by executor), /phases/plan/status (owned by planner)", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Equal(before, await LatestRevisionAsync(cli));
    }

    [Theory]
    [InlineData("read-state.sh", new string[0], 2, "STATE_KEY is required")]
    [InlineData("update-state.sh", new[] { Key }, 2, "STATE_KEY and JQ_FILTER are required")]
    [InlineData("update-state.sh", new[] { Key, ".", "--json-file", "novalue" }, 2, "--json-file expects VAR=PATH")]
    [InlineData("update-state.sh", new[] { Key, ".metadata.status = \"DONE\"" }, 4, "/metadata/status: \"DONE\" is not one of")]
    [InlineData("create-state.sh", new[] { Key, "{}" }, 4, "required property")]
    [InlineData("create-state.sh", new[] { Key, "{\"version\": 1," }, 4, "malformed JSON")]
    [InlineData("read-state.sh", new[] { "peer.spec.nothing.cycle.1" }, 5, "not found")]
    public async Task Wrapper_errors_keep_the_ERROR_prefix_and_exit_non_zero(string script, string[] arguments, int exitCode, string message)
    {
        var cli = await ReadyAsync();
        var before = await LatestRevisionAsync(cli);
        var result = await cli.ScriptAsync(script, arguments, Unset);
        Assert.True(exitCode == result.ExitCode, result.ToString());
        Assert.Contains(message, result.ErrorLines.FirstOrDefault() ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Equal(before, await LatestRevisionAsync(cli));
    }
}
