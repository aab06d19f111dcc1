using System.Text;
using PeerTyped.Client;
using PeerTyped.Contracts;

namespace PeerTyped.Integration.Tests;

/// <summary>
/// A write that was sent and not answered (the server paused mid-update): its outcome is resolved by recognising our
/// own attempt id in the key's next revision, never guessed; a write that landed is never reported as failed.
/// </summary>
public class OutcomeTests
{
    private const string Key = "peer.spec.outcome.cycle.1";

    private static PeerConnectionOptions Fast(NatsServer server) => new() { Servers = [server.Url], RequestTimeout = TimeSpan.FromSeconds(1), ConnectTimeout = TimeSpan.FromSeconds(1) };

    /// <summary>
    /// Creates the bucket and the cycle at the default timeouts. The first JetStream request of a test process (a cold
    /// client, NATS.Net's JetStream layer used for the first time) has taken over a second here, which a store with
    /// <see cref="Fast"/> timeouts reported as an unanswered server before the test reached what it tests.
    /// </summary>
    private static async Task<PeerWriteResult> CreateCycleAsync(NatsServer server, string bucket)
    {
        await using var setup = await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [server.Url] }, new PeerStoreOptions { Bucket = bucket });
        await setup.EnsureBucketAsync();
        return await setup.CreateAsync(Key, Docs.New(Key));
    }

    /// <summary>Appends <paramref name="item"/> to the planner's output phases; the transform pauses the server just before the write is sent.</summary>
    private static Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask<byte[]>> AppendThenPause(NatsServer server, string item, TimeSpan pause, Action? paused = null)
    {
        var done = false;
        return async (json, cancellationToken) =>
        {
            var document = PeerCycle.Parse(json.Span).AsPlanner().WithPlan(p => p.WithOutput(o => o.WithPhases((o.Phases ?? []).Add(item)))).Document;
            if (!done)
            {
                done = true;
                await server.PauseAsync();
                paused?.Invoke();
                _ = Task.Delay(pause).ContinueWith(_ => server.ResumeAsync(), TaskScheduler.Default).Unwrap();
            }
            return document.ToUtf8Bytes();
        };
    }

    [Fact]
    public async Task A_write_unanswered_while_the_server_is_paused_is_recognised_once_it_lands()
    {
        await using var server = await NatsServer.StartAsync();
        var bucket = Docs.UniqueBucket();
        var created = await CreateCycleAsync(server, bucket);
        await using var store = await PeerStateStore.ConnectAsync(Fast(server), new PeerStoreOptions { Bucket = bucket, RetryTimeout = TimeSpan.FromSeconds(30) });

        var result = await store.UpdateJsonAsync(Key, PeerCycleRoles.Planner, AppendThenPause(server, "only-once", TimeSpan.FromSeconds(4)));

        Assert.True(result.Changed);
        Assert.Equal(created.Revision + 1, result.Revision);
        var latest = await store.ReadAsync(Key);
        Assert.Equal(result.Revision, latest.Revision);
        Assert.Equal(["only-once"], latest.Document.Phases.Plan.Output!.Phases!);
        Assert.Equal(2, (await StoreFactory.HistoryAsync(store, Key)).Count);
    }

    [Fact]
    public async Task When_the_budget_runs_out_unanswered_the_outcome_is_unknown_and_names_the_revision_to_inspect()
    {
        await using var server = await NatsServer.StartAsync();
        var bucket = Docs.UniqueBucket();
        var created = await CreateCycleAsync(server, bucket);
        await using var store = await PeerStateStore.ConnectAsync(Fast(server), new PeerStoreOptions { Bucket = bucket, RetryTimeout = TimeSpan.FromSeconds(2) });

        var error = await Assert.ThrowsAsync<PeerOutcomeUnknownException>(() => store.UpdateJsonAsync(Key, PeerCycleRoles.Planner, AppendThenPause(server, "maybe", TimeSpan.FromSeconds(8))));

        Assert.Equal(PeerErrorKind.OutcomeUnknown, error.Kind);
        Assert.Equal(7, PeerExitCodes.For(error.Kind));
        Assert.Equal(created.Revision, error.BaseRevision);
        Assert.Contains($"after {created.Revision}", error.Message, StringComparison.Ordinal);
        await server.ResumeAsync();
        // Whatever happened, at most one write of ours is stored, and it carries the attempt id the error named.
        var history = await StoreFactory.HistoryAsync(store, Key);
        Assert.InRange(history.Count, 1, 2);
    }

    [Fact]
    public async Task A_cancellation_after_the_write_was_sent_never_reports_failure_for_a_write_that_landed()
    {
        await using var server = await NatsServer.StartAsync();
        await using var store = await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [server.Url], RequestTimeout = TimeSpan.FromSeconds(5) }, new PeerStoreOptions { Bucket = Docs.UniqueBucket() });
        await store.EnsureBucketAsync();
        var created = await store.CreateAsync(Key, Docs.New(Key));
        using var cancellation = new CancellationTokenSource();

        var result = await store.UpdateJsonAsync(Key, PeerCycleRoles.Planner,
            AppendThenPause(server, "landed", TimeSpan.FromSeconds(2), paused: () => cancellation.CancelAfter(TimeSpan.FromMilliseconds(300))),
            cancellation.Token);

        Assert.True(cancellation.IsCancellationRequested);
        Assert.True(result.Changed);
        Assert.Equal(created.Revision + 1, result.Revision);
        Assert.Equal(["landed"], (await store.ReadAsync(Key)).Document.Phases.Plan.Output!.Phases!);
        Assert.Equal(Encoding.UTF8.GetString((await store.ReadRawAsync(Key)).Value.Span), Encoding.UTF8.GetString((await store.ReadRawAsync(Key, result.Revision)).Value.Span));
    }
}
