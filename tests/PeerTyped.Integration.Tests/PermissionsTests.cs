using System.Collections.Concurrent;
using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;
using PeerTyped.Client;
using PeerTyped.Contracts;

namespace PeerTyped.Integration.Tests;

/// <summary>
/// The shipped docs/nats-server.permissions.conf on a real nats-server, tried as a hostile or buggy agent would: every
/// way to write around the gate or destroy history is refused by the server, and the bucket is unchanged.
/// </summary>
public class PermissionsTests
{
    private const string Key = "peer.spec.secure.cycle.1";
    private const string Bucket = PeerStoreOptions.DefaultBucket;

    private static async Task<(PeerStateStore Admin, PeerStateStore GateStore, PeerGateService Gate)> SetUpAsync(NatsServer server)
    {
        var admin = await PeerStateStore.ConnectAsync(SecureServer.As(server, "admin"), new PeerStoreOptions());
        await admin.EnsureBucketAsync();
        var gateStore = await PeerStateStore.ConnectAsync(SecureServer.As(server, "gate"), new PeerStoreOptions());
        var gate = await PeerGateService.StartAsync(gateStore);
        return (admin, gateStore, gate);
    }

    private static async Task<StreamState> StateAsync(NatsServer server)
    {
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = server.Url, AuthOpts = NatsAuthOpts.Default with { Username = "admin", Password = SecureServer.Password("admin") } });
        var stream = await new NatsJSContext(connection).GetStreamAsync("KV_" + Bucket);
        return stream.Info.State;
    }

    [Fact]
    public async Task Agent_users_can_neither_write_around_the_gate_nor_destroy_history()
    {
        await using var server = await SecureServer.StartAsync();
        var (admin, gateStore, gate) = await SetUpAsync(server);
        await using var _ = admin;
        await using var __ = gateStore;
        await using var ___ = gate;

        await using (var orchestrator = await PeerStateStore.ConnectAsync(SecureServer.As(server, "orchestrator"), new PeerStoreOptions { WriteMode = PeerWriteMode.Gate }))
        {
            await orchestrator.CreateAsync(Key, Docs.New(Key));
        }
        await using (var planner = await PeerStateStore.ConnectAsync(SecureServer.As(server, "planner"), new PeerStoreOptions { WriteMode = PeerWriteMode.Gate }))
        {
            var written = await planner.UpdateAsync<PlannerView>(Key, v => v.WithPlan(p => p with { Status = PhaseStatus.Completed }));
            Assert.True(written.Changed);
        }
        var before = await StateAsync(server);
        var document = (await admin.ReadRawAsync(Key)).Value.ToArray();
        var subject = $"$KV.{Bucket}.{Key}";

        foreach (var user in SecureServer.AgentUsers)
        {
            var (connection, violations) = await SecureServer.RawAsync(server, user, 0.5);
            await using (connection)
            {
                var js = new NatsJSContext(connection);
                var kv = await new NatsKVContext(js).GetStoreAsync(Bucket);
                var raw = NatsRawSerializer<byte[]>.Default;
                var attempts = new List<(string What, Func<Task> Attempt)>
                {
                    ("raw put", () => js.PublishAsync(subject, Encoding.UTF8.GetBytes("{\"garbage\":"), raw).AsTask()),
                    ("empty put", () => js.PublishAsync(subject, Array.Empty<byte>(), raw).AsTask()),
                    ("Nats-Rollup: all", () => js.PublishAsync(subject, document, raw, headers: new NatsHeaders { ["Nats-Rollup"] = "all" }).AsTask()),
                    ("KV purge", () => kv.PurgeAsync(Key).AsTask()),
                    ("KV delete", () => kv.DeleteAsync(Key).AsTask()),
                    ("stream delete", () => js.DeleteStreamAsync("KV_" + Bucket).AsTask()),
                    ("stream purge", () => js.PurgeStreamAsync("KV_" + Bucket, new StreamPurgeRequest()).AsTask()),
                    ("stream update", () => js.UpdateStreamAsync(new StreamConfig("KV_" + Bucket, [$"$KV.{Bucket}.>"]) { MaxMsgsPerSubject = 1, AllowRollupHdrs = true }).AsTask()),
                    ("message delete", () => js.DeleteMessageAsync("KV_" + Bucket, new StreamMsgDeleteRequest { Seq = 1 }).AsTask()),
                    ("stream create", () => js.CreateStreamAsync(new StreamConfig("STEAL", [$"$KV.{Bucket}.>"])).AsTask()),
                };
                foreach (var (what, attempt) in attempts)
                {
                    var refusedBefore = violations.Count;
                    await Assert.ThrowsAnyAsync<Exception>(attempt);
                    // Refused by the server's permissions, not merely unanswered.
                    Assert.True(violations.Count > refusedBefore, $"{user}: {what} was not refused by a permission violation");
                }
                // Direct reads stay allowed.
                var entry = await kv.GetEntryAsync(Key, serializer: raw);
                Assert.Equal(document, entry.Value);
            }
        }

        var after = await StateAsync(server);
        Assert.Equal(before.LastSeq, after.LastSeq);
        Assert.Equal(before.Messages, after.Messages);
        Assert.Equal(document, (await admin.ReadRawAsync(Key)).Value.ToArray());
    }

    [Fact]
    public async Task The_stream_refuses_purge_rollup_and_message_delete_even_to_users_allowed_to_try()
    {
        await using var server = await SecureServer.StartAsync();
        var (admin, gateStore, gate) = await SetUpAsync(server);
        await using var _ = admin;
        await using var __ = gateStore;
        await using var ___ = gate;
        await admin.CreateAsync(Key, Docs.New(Key));
        var info = await admin.TryGetBucketInfoAsync();
        Assert.True(info!.DenyDelete);
        Assert.True(info.DenyPurge);
        Assert.False(info.AllowRollup);

        var before = await StateAsync(server);
        foreach (var user in new[] { "gate", "admin" })
        {
            var (connection, _) = await SecureServer.RawAsync(server, user, 5);
            await using (connection)
            {
                var js = new NatsJSContext(connection);
                var kv = await new NatsKVContext(js).GetStoreAsync(Bucket);
                var rollup = await js.PublishAsync($"$KV.{Bucket}.{Key}", Encoding.UTF8.GetBytes("{}"), NatsRawSerializer<byte[]>.Default, headers: new NatsHeaders { ["Nats-Rollup"] = "all" });
                Assert.NotNull(rollup.Error);
                await Assert.ThrowsAnyAsync<Exception>(() => kv.PurgeAsync(Key).AsTask());
                if (user == "admin")
                {
                    await Assert.ThrowsAnyAsync<NatsJSApiException>(() => js.PurgeStreamAsync("KV_" + Bucket, new StreamPurgeRequest()).AsTask());
                    await Assert.ThrowsAnyAsync<NatsJSApiException>(() => js.DeleteMessageAsync("KV_" + Bucket, new StreamMsgDeleteRequest { Seq = before.LastSeq }).AsTask());
                }
            }
        }
        var after = await StateAsync(server);
        Assert.Equal(before.LastSeq, after.LastSeq);
        Assert.Equal(before.Messages, after.Messages);
    }

    [Fact]
    public async Task Through_the_gate_writes_land_and_the_role_comes_from_authentication()
    {
        await using var server = await SecureServer.StartAsync();
        var (admin, gateStore, gate) = await SetUpAsync(server);
        await using var _ = admin;
        await using var __ = gateStore;
        await using var ___ = gate;
        var cli = new CliRunner(server);

        var created = await cli.RunAsync(["create", Key, "--instruction", "create-spec"], SecureServer.Environment("orchestrator"), null);
        Assert.True(created.ExitCode == 0, created.ToString());
        var next = await cli.RunAsync(["cycle", "next", "peer.spec.counted"], SecureServer.Environment("orchestrator"), null);
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Equal("1\n", next.Stdout);
        Assert.Equal("2\n", (await cli.RunAsync(["cycle", "next", "peer.spec.counted"], SecureServer.Environment("orchestrator"), null)).Stdout);

        // The planner, with or without PEER_ROLE=planner, writes its own phase through the gate (found by discovery).
        var set = await cli.RunAsync(["set", Key, "plan.status", "completed"], SecureServer.Environment("planner"), null);
        Assert.True(set.ExitCode == 0, set.ToString());
        var jq = await cli.RunAsync(["update", Key, "--jq", ".phases.plan.output.risks = [\"fsync\"]"], SecureServer.Environment("planner", "planner"), null);
        Assert.True(jq.ExitCode == 0, jq.ToString());
        Assert.Equal("completed\n", (await cli.RunAsync(["get", Key, "-p", "plan.status", "--raw-output"], SecureServer.Environment("planner"), null)).Stdout);
        var revision = (await admin.ReadRawAsync(Key)).Revision;

        // Whatever PEER_ROLE says, the planner user cannot change execute or restore.
        foreach (var claimed in new string?[] { null, "planner", "executor", "operator" })
        {
            var execute = await cli.RunAsync(["set", Key, "execute.status", "completed"], SecureServer.Environment("planner", claimed), null);
            Assert.True(execute.ExitCode == 6, $"PEER_ROLE={claimed}: {execute}");
            Assert.Single(execute.ErrorLines);
            var restore = await cli.RunAsync(["restore", Key, "--revision", "1"], SecureServer.Environment("planner", claimed ?? "operator"), null);
            Assert.True(restore.ExitCode == 6, $"PEER_ROLE={claimed}: {restore}");
        }
        // Written around the gate: refused by the server, reported as exit 6 at once.
        var direct = await cli.RunAsync(["--gate", "off", "set", Key, "plan.status", "in_progress"], SecureServer.Environment("planner"), null);
        Assert.True(direct.ExitCode == 6, direct.ToString());
        Assert.Contains("through the gate", direct.Stderr, StringComparison.Ordinal);

        // A hand-made request to another role's gate subject is dropped by the server; the gate never sees it.
        var (connection, violations) = await SecureServer.RawAsync(server, "planner");
        await using (connection)
        {
            var forged = Docs.New(Key).AsExecutor().WithExecute(e => e with { Status = PhaseStatus.Completed }).Document.ToUtf8Bytes();
            var headers = new NatsHeaders { ["Peer-Bucket"] = Bucket, ["Peer-Key"] = Key, ["Peer-Base-Revision"] = revision.ToString(System.Globalization.CultureInfo.InvariantCulture), ["Peer-Attempt-Id"] = "forged" };
            await Assert.ThrowsAnyAsync<Exception>(() => connection.RequestAsync<byte[], byte[]>(PeerGateProtocol.Subject("executor", PeerGateProtocol.Update), forged, headers, NatsRawSerializer<byte[]>.Default, NatsRawSerializer<byte[]>.Default).AsTask());
            Assert.Contains(violations, v => v.Contains("peer.gate.executor.update", StringComparison.Ordinal));
        }
        Assert.Equal(revision, (await admin.ReadRawAsync(Key)).Revision);

        // The operator restores through the gate.
        var restored = await cli.RunAsync(["restore", Key, "--revision", "1"], SecureServer.Environment("operator"), null);
        Assert.True(restored.ExitCode == 0, restored.ToString());
        Assert.Equal((await admin.ReadRawAsync(Key, 1)).Value.ToArray(), (await admin.ReadRawAsync(Key)).Value.ToArray());
        await foreach (var entry in admin.HistoryAsync(Key)) Assert.True(PeerCycle.Validate(entry.Value.Span).IsValid, $"revision {entry.Revision}");
    }

    [Fact]
    public async Task Two_gates_one_killed_during_200_updates_from_4_writers_lose_and_duplicate_nothing()
    {
        await using var server = await SecureServer.StartAsync();
        await using var admin = await PeerStateStore.ConnectAsync(SecureServer.As(server, "admin"), new PeerStoreOptions());
        await admin.EnsureBucketAsync();
        await using var first = await GateProcess.StartAsync(server, Bucket);
        await using var second = await GateProcess.StartAsync(server, Bucket);
        await using (var orchestrator = await PeerStateStore.ConnectAsync(SecureServer.As(server, "orchestrator"), new PeerStoreOptions { WriteMode = PeerWriteMode.Gate }))
        {
            await orchestrator.CreateAsync(Key, Docs.New(Key));
        }
        var created = (await admin.ReadRawAsync(Key)).Revision;

        const int updatesEach = 50;
        string[] roles = ["planner", "executor", "express", "review"];
        var acknowledged = new ConcurrentBag<string>();
        var done = 0;
        var killAt = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = roles.Select(role => Task.Run(async () =>
        {
            await using var store = await PeerStateStore.ConnectAsync(SecureServer.As(server, role, 2), new PeerStoreOptions { WriteMode = PeerWriteMode.Gate });
            for (var n = 0; n < updatesEach; n++)
            {
                var item = $"{role}-{n}";
                var result = role switch
                {
                    "planner" => await store.UpdateAsync<PlannerView>(Key, v => v.WithPlan(p => p.WithOutput(o => o.WithPhases((o.Phases ?? []).Add(item))))),
                    "executor" => await store.UpdateAsync<ExecutorView>(Key, v => v.WithExecute(e => e.WithOutput(o => o.WithFilesCreated((o.FilesCreated ?? []).Add(item))))),
                    "express" => await store.UpdateAsync<ExpressView>(Key, v => v.WithExpress(e => e.WithOutput(o => o.WithDeliverables((o.Deliverables ?? []).Add(item))))),
                    _ => await store.UpdateAsync<ReviewView>(Key, v => v.WithReview(r => r.WithOutput(o => o.WithRecommendations((o.Recommendations ?? []).Add(item))))),
                };
                Assert.True(result.Changed);
                acknowledged.Add(item);
                if (Interlocked.Increment(ref done) == 50) killAt.TrySetResult();
            }
        })).ToArray();
        await killAt.Task.WaitAsync(TimeSpan.FromMinutes(2));
        await first.KillAsync();
        await Task.WhenAll(writers);

        var latest = await admin.ReadAsync(Key);
        var phases = latest.Document.Phases;
        var items = phases.Plan.Output!.Phases!.Concat(phases.Execute.Output!.FilesCreated!).Concat(phases.Express.Output!.Deliverables!).Concat(phases.Review.Output!.Recommendations!).ToList();
        Assert.Equal(roles.Length * updatesEach, acknowledged.Count);
        Assert.Equal(acknowledged.Order(StringComparer.Ordinal), items.Order(StringComparer.Ordinal));
        Assert.Equal(items.Count, items.Distinct().Count());
        // Every revision after the create is exactly one of the 200 updates, and every one is schema-valid.
        Assert.Equal(created + (ulong)(roles.Length * updatesEach), latest.Revision);
        await foreach (var entry in admin.HistoryAsync(Key)) Assert.True(PeerCycle.Validate(entry.Value.Span).IsValid, $"revision {entry.Revision}");
    }
}
