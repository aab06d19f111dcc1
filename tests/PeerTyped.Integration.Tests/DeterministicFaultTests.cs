using PeerTyped.Client;
using PeerTyped.Contracts;

namespace PeerTyped.Integration.Tests;

/// <summary>
/// kill -9 at each point of a write, chosen by PEER_TYPED_FAULT (see src/PeerTyped.Cli/FaultInjection.cs) instead of a
/// random timer: before the publish nothing is stored, after it exactly the one change is, every revision stays valid,
/// and the agent's retry of the same idempotent update converges on one copy of the item.
/// </summary>
public class DeterministicFaultTests(NatsServerFixture nats) : IClassFixture<NatsServerFixture>
{
    private const string Key = "peer.spec.demo.cycle.1";
    private const string Filter = ".phases.plan.output.phases = ((.phases.plan.output.phases // []) | if index([$id]) then . else . + [$id] end)";

    [Theory]
    [InlineData("after-read", false)]
    [InlineData("after-jq", false)]
    [InlineData("before-publish", false)]
    [InlineData("after-publish", true)]
    public async Task A_write_killed_at_a_point_leaves_nothing_or_exactly_its_change(string point, bool stored)
    {
        var cli = new CliRunner(nats.Server);
        await using var store = await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [nats.Server.Url] }, new PeerStoreOptions { Bucket = cli.Bucket });
        await store.EnsureBucketAsync();
        await store.CreateAsync(Key, Docs.New(Key));
        var before = (await store.ReadRawAsync(Key)).Revision;
        var planner = new Dictionary<string, string?> { ["PEER_ROLE"] = "planner" };

        var killed = await cli.RunAsync(["update", Key, "--jq", Filter, "--arg", "id", "risk-1"], new Dictionary<string, string?>(planner) { ["PEER_TYPED_FAULT"] = point }, null);
        Assert.True(killed.ExitCode == 137, $"{point}: expected death by SIGKILL (137)\n{killed}");
        Assert.DoesNotContain("OK", killed.Stdout, StringComparison.Ordinal);
        var after = await store.ReadAsync(Key);
        Assert.Equal(stored ? before + 1 : before, after.Revision);
        Assert.Equal(stored ? ["risk-1"] : null, after.Document.Phases.Plan.Output?.Phases);

        var retry = await cli.RunAsync(["update", Key, "--jq", Filter, "--arg", "id", "risk-1"], planner, null);
        Assert.True(retry.ExitCode == 0, retry.ToString());
        Assert.Equal(["risk-1"], (await store.ReadAsync(Key)).Document.Phases.Plan.Output!.Phases);
        await foreach (var entry in store.HistoryAsync(Key)) Assert.True(PeerCycle.Validate(entry.Value.Span).IsValid, $"revision {entry.Revision}");
    }
}
