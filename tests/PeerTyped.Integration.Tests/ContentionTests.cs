using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using PeerTyped.Client;
using PeerTyped.Contracts;

namespace PeerTyped.Integration.Tests;

/// <summary>
/// Many writers on one key at default settings (issue 15): every call must succeed, because the retry budget is a
/// deadline rather than a count, and nothing may be lost or duplicated. Counts only; speed is measured in bench/.
/// </summary>
public class ContentionTests(NatsServerFixture nats) : IClassFixture<NatsServerFixture>
{
    private const string Key = "peer.spec.contention.cycle.1";

    [Fact]
    public async Task Sixteen_processes_times_fifteen_update_state_appends_all_succeed_and_all_land()
    {
        const int processes = 16, appendsEach = 15;
        var cli = new CliRunner(nats.Server);
        Assert.Equal(0, (await cli.RunAsync("bucket", "init")).ExitCode);
        var created = await cli.ScriptAsync("create-state.sh", [Key, System.Text.Encoding.UTF8.GetString(Docs.New(Key).ToUtf8Bytes())]);
        Assert.True(created.ExitCode == 0, created.ToString());

        var failures = new ConcurrentBag<string>();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var agents = Enumerable.Range(0, processes).Select(process => Task.Run(async () =>
        {
            await start.Task;
            for (var n = 0; n < appendsEach; n++)
            {
                var item = $"p{process}-{n}";
                // No role: a write may change metadata and one phase; every agent appends to the same list.
                var filter = $".phases.plan.output.risks = ((.phases.plan.output.risks // []) + [\"{item}\"])";
                var result = await cli.ScriptAsync("update-state.sh", [Key, filter], new Dictionary<string, string?> { ["PEER_ROLE"] = null });
                if (result.ExitCode != 0 || result.Stdout != "OK\n") failures.Add($"{item}: {result}");
            }
        })).ToArray();
        start.SetResult();
        await Task.WhenAll(agents);

        Assert.True(failures.IsEmpty, $"{failures.Count} of {processes * appendsEach} calls failed; first:\n{failures.FirstOrDefault()}");
        var read = await cli.ScriptAsync("read-state.sh", [Key]);
        Assert.Equal(0, read.ExitCode);
        var risks = JsonNode.Parse(read.Stdout)!["phases"]!["plan"]!["output"]!["risks"]!.AsArray().Select(r => r!.GetValue<string>()).ToList();
        var expected = Enumerable.Range(0, processes).SelectMany(p => Enumerable.Range(0, appendsEach).Select(n => $"p{p}-{n}")).Order().ToList();
        Assert.Equal(expected, risks.Order().ToList());
    }

    [Fact]
    public async Task Sixty_four_in_process_writers_times_fifty_typed_updates_all_succeed_and_all_land()
    {
        const int writers = 64, updatesEach = 50;
        // Default options: no conflict cap, only the retry deadline.
        await using var store = await StoreFactory.OpenAsync(nats.Server);
        var created = await store.CreateAsync(Key, Docs.New(Key));

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, writers).Select(writer => Task.Run(async () =>
        {
            await start.Task;
            for (var n = 0; n < updatesEach; n++)
            {
                var item = $"w{writer}-{n}";
                var result = await store.UpdateAsync<PlannerView>(Key, v => v.WithPlan(p => p.WithOutput(o => o.WithPhases((o.Phases ?? []).Add(item)))));
                Assert.True(result.Changed);
            }
        })).ToArray();
        start.SetResult();
        await Task.WhenAll(tasks);

        var latest = await store.ReadAsync(Key);
        var items = latest.Document.Phases.Plan.Output!.Phases!.ToList();
        var expected = Enumerable.Range(0, writers).SelectMany(w => Enumerable.Range(0, updatesEach).Select(n => $"w{w}-{n}")).Order().ToList();
        Assert.Equal(expected, items.Order().ToList());
        Assert.Equal(created.Revision + (ulong)(writers * updatesEach), latest.Revision);
    }
}
