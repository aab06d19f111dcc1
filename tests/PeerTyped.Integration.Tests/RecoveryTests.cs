using System.Text;
using System.Text.Json.Nodes;
using PeerTyped.Client;
using PeerTyped.Contracts;

namespace PeerTyped.Integration.Tests;

/// <summary>The seed's incident, replayed with raw publishes that bypass every check, then diagnosed and undone.</summary>
public class RecoveryTests(NatsServerFixture nats) : IClassFixture<NatsServerFixture>
{
    private const string Key = Docs.LargeKey;

    [Fact]
    public async Task The_seed_incident_is_diagnosed_and_restored_byte_for_byte()
    {
        var cli = new CliRunner(nats.Server);
        Assert.Equal(0, (await cli.RunAsync("bucket", "init")).ExitCode);
        await using var store = await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [nats.Server.Url] }, new PeerStoreOptions { Bucket = cli.Bucket });

        // Revisions 1-6: the cycle as the agents wrote it, through the gate; revision 6 is the 10,685-byte document.
        var complete = PeerCycle.Parse(Docs.Large());
        var start = complete with
        {
            Metadata = complete.Metadata with { Status = CycleStatus.Initialized, CurrentPhase = PhaseName.Plan },
            Phases = new Phases
            {
                Plan = new PlanPhase { Status = PhaseStatus.Pending },
                Execute = new ExecutePhase { Status = PhaseStatus.Pending },
                Express = new ExpressPhase { Status = PhaseStatus.Pending },
                Review = new ReviewPhase { Status = PhaseStatus.Pending },
            },
        };
        Assert.Equal(1ul, (await store.CreateAsync(Key, start)).Revision);
        await store.UpdateAsync<PlannerView>(Key, v => v.WithPlan(_ => complete.Phases.Plan).WithMetadata(m => m.WithStatus(CycleStatus.Executing)));
        await store.UpdateAsync<ExecutorView>(Key, v => v.WithExecute(_ => complete.Phases.Execute).WithMetadata(m => m.WithStatus(CycleStatus.Expressing)));
        await store.UpdateAsync<ExpressView>(Key, v => v.WithExpress(_ => complete.Phases.Express));
        await store.UpdateAsync<ExpressView>(Key, v => v.WithMetadata(m => m.WithStatus(CycleStatus.Reviewing).WithCurrentPhase(PhaseName.Review)));
        var sixth = await store.UpdateAsync<ReviewView>(Key, v => v.WithReview(_ => complete.Phases.Review).WithMetadata(_ => complete.Metadata));
        Assert.Equal(6ul, sixth.Revision);
        var revision6 = await store.ReadRawAsync(Key, 6);
        Assert.Equal(10_685, revision6.Value.Length);

        // Revision 7: the review agent's write, truncated (missing closing brackets); 8 and 9: empty values.
        var broken = Encoding.UTF8.GetString(revision6.Value.Span).Replace("\"status\":\"in_progress\"", "\"status\":\"completed\"", StringComparison.Ordinal);
        await RawPublish.PutAsync(nats.Server, cli.Bucket, Key, Encoding.UTF8.GetBytes(broken[..^3]));
        await RawPublish.PutAsync(nats.Server, cli.Bucket, Key, []);
        await RawPublish.PutAsync(nats.Server, cli.Bucket, Key, []);

        var read = await cli.ScriptAsync("read-state.sh", [Key]);
        Assert.Equal(4, read.ExitCode);
        Assert.Contains("stored revision 9 is not schema-valid", Assert.Single(read.ErrorLines), StringComparison.Ordinal);

        var history = JsonNode.Parse((await cli.RunAsync("-o", "json", "history", Key)).Stdout)!.AsArray();
        Assert.Equal([true, true, true, true, true, true, false, false, false], history.Select(h => h!["schema_valid"]!.GetValue<bool>()));
        Assert.Equal([true, true, true, true, true, true, false, false, false], history.Select(h => h!["json_valid"]!.GetValue<bool>()));

        var doctor = await cli.RunAsync("doctor", Key);
        Assert.Equal(4, doctor.ExitCode);
        var lines = doctor.Stdout.Trim().Split('\n');
        Assert.StartsWith($"{Key}: last schema-valid revision is 6 (10685 bytes", lines[0], StringComparison.Ordinal);
        Assert.StartsWith($"revision 7: {broken.Length - 3} bytes: malformed JSON at byte", lines[1], StringComparison.Ordinal);
        Assert.Equal("revision 8: 0 bytes: empty value", lines[2]);
        Assert.Equal("revision 9: 0 bytes: empty value", lines[3]);
        Assert.Equal($"restore with: PEER_ROLE=operator peer-typed restore {Key} --revision 6", lines[4]);

        var restore = await cli.RunAsync(["restore", Key, "--revision", "6"], new Dictionary<string, string?> { ["PEER_ROLE"] = "operator" }, null);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        var revision10 = await store.ReadRawAsync(Key);
        Assert.Equal(10ul, revision10.Revision);
        Assert.True(revision6.Value.Span.SequenceEqual(revision10.Value.Span));

        var again = await cli.ScriptAsync("read-state.sh", [Key]);
        Assert.Equal(0, again.ExitCode);
        Assert.Equal(Key, JsonNode.Parse(again.Stdout)!["cycle_id"]!.GetValue<string>());
        Assert.Equal(0, (await cli.RunAsync("doctor", Key)).ExitCode);
    }

    [Fact]
    public async Task Restore_refuses_an_invalid_or_empty_target_unless_forced_and_never_restores_empty()
    {
        var cli = new CliRunner(nats.Server);
        Assert.Equal(0, (await cli.RunAsync("bucket", "init")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("create", "peer.spec.demo.cycle.1", "--instruction", "x")).ExitCode);
        await RawPublish.PutAsync(nats.Server, cli.Bucket, "peer.spec.demo.cycle.1", "{\"version\":1}"u8.ToArray());
        await RawPublish.PutAsync(nats.Server, cli.Bucket, "peer.spec.demo.cycle.1", []);
        var operatorRole = new Dictionary<string, string?> { ["PEER_ROLE"] = "operator" };

        var invalid = await cli.RunAsync(["restore", "peer.spec.demo.cycle.1", "--revision", "2"], operatorRole, null);
        Assert.Equal(4, invalid.ExitCode);
        Assert.Contains("revision 2 is not schema-valid (restore it anyway with --force)", Assert.Single(invalid.ErrorLines), StringComparison.Ordinal);
        var empty = await cli.RunAsync(["restore", "peer.spec.demo.cycle.1", "--revision", "3", "--force"], operatorRole, null);
        Assert.Equal(4, empty.ExitCode);
        Assert.Contains("revision 3 is empty; there is nothing to restore", Assert.Single(empty.ErrorLines), StringComparison.Ordinal);
        var forced = await cli.RunAsync(["restore", "peer.spec.demo.cycle.1", "--revision", "2", "--force"], operatorRole, null);
        Assert.Equal(0, forced.ExitCode);
        var noRole = await cli.RunAsync("restore", "peer.spec.demo.cycle.1", "--revision", "1");
        Assert.Equal(2, noRole.ExitCode);

        // A key another tool deleted comes back too.
        await using (var connection = new NATS.Client.Core.NatsConnection(NATS.Client.Core.NatsOpts.Default with { Url = nats.Server.Url }))
        {
            var kv = await new NATS.Client.KeyValueStore.NatsKVContext(new NATS.Client.JetStream.NatsJSContext(connection)).GetStoreAsync(cli.Bucket);
            await kv.DeleteAsync("peer.spec.demo.cycle.1");
        }
        Assert.Equal(5, (await cli.RunAsync("get", "peer.spec.demo.cycle.1")).ExitCode);
        var undeleted = await cli.RunAsync(["restore", "peer.spec.demo.cycle.1", "--revision", "1"], operatorRole, null);
        Assert.True(undeleted.ExitCode == 0, undeleted.ToString());
        Assert.Equal(0, (await cli.RunAsync("get", "peer.spec.demo.cycle.1")).ExitCode);
    }
}
