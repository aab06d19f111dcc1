using System.Text;
using PeerTyped.Client;
using PeerTyped.Contracts;

namespace PeerTyped.Integration.Tests;

public class StoreTests(NatsServerFixture nats) : IClassFixture<NatsServerFixture>
{
    private const string Key = "peer.spec.demo.cycle.1";

    [Fact]
    public async Task Create_read_update_and_read_an_earlier_revision()
    {
        await using var store = await StoreFactory.OpenAsync(nats.Server);
        var created = await store.CreateAsync(Key, Docs.New(Key));

        var updated = await store.UpdateAsync<PlannerView>(Key, view => view
            .WithPlan(plan => plan.WithStatus(PhaseStatus.Completed).WithOutput(o => o.WithRisks([PeerTyped.Runtime.RawJson.FromString("fsync")])))
            .WithMetadata(m => m.WithCurrentPhase(PhaseName.Execute)));

        Assert.True(updated.Changed);
        Assert.True(updated.Revision > created.Revision);
        Assert.Equal(["/metadata/current_phase", "/phases/plan/output", "/phases/plan/status"], updated.Changes.Select(c => c.Pointer).Order());
        var latest = await store.ReadAsync(Key);
        Assert.Equal(updated.Revision, latest.Revision);
        Assert.Equal(PhaseStatus.Completed, latest.Document.Phases.Plan.Status);
        var original = await store.ReadAsync(Key, created.Revision);
        Assert.Equal(Docs.New(Key), original.Document);
    }

    [Fact]
    public async Task A_store_that_wrote_the_last_revision_still_checks_a_revision_written_by_another_tool()
    {
        await using var store = await StoreFactory.OpenAsync(nats.Server);
        await store.CreateAsync(Key, Docs.New(Key));
        var ours = await store.UpdateAsync<PlannerView>(Key, v => v.WithPlan(p => p.WithStatus(PhaseStatus.InProgress)));

        // Another tool stores a schema-valid copy with one value changed, then garbage: the store's memory of its own
        // write must not stand in for either.
        var theirs = Docs.New(Key) with { Metadata = Docs.New(Key).Metadata with { Status = CycleStatus.Executing } };
        var valid = await RawPublish.PutAsync(nats.Server, store.Options.Bucket, Key, theirs.ToUtf8Bytes());
        var next = await store.UpdateAsync<PlannerView>(Key, v => v.WithPlan(p => p.WithStatus(PhaseStatus.Completed)));
        Assert.True(next.Revision > valid && valid > ours.Revision);
        Assert.Equal(CycleStatus.Executing, (await store.ReadAsync(Key)).Document.Metadata.Status);

        await RawPublish.PutAsync(nats.Server, store.Options.Bucket, Key, Encoding.UTF8.GetBytes("{\"version\": 1,"));
        var refused = await Assert.ThrowsAsync<PeerValidationException>(() => store.UpdateAsync<PlannerView>(Key, v => v.WithPlan(p => p.WithStatus(PhaseStatus.Failed))));
        Assert.Contains("is not schema-valid", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Found by an adversarial sweep: a typed change that writes one member name twice. A declared member's name used as
    /// an extension member is written once, so it is valid and stored, but the store remembers the caller's object;
    /// setting the declared member next would write the name twice. An extension member kept twice would too. Both are
    /// refused, and the stored revision stays the valid one.
    /// </summary>
    [Fact]
    public async Task A_typed_change_that_would_write_a_member_name_twice_is_refused_even_after_the_store_remembered_its_own_write()
    {
        await using var store = await StoreFactory.OpenAsync(nats.Server);
        await store.CreateAsync(Key, Docs.New(Key));
        var first = await store.UpdateAsync<PlannerView>(Key, v => v.WithPlan(p => p.WithOutput(o => o with
        {
            ExtensionData = o.ExtensionData.With("estimated_duration", PeerTyped.Runtime.RawJson.Parse("5")).With("note", PeerTyped.Runtime.RawJson.FromString("kept")),
        })));
        Assert.True(first.Changed);

        var declaredTwice = await Assert.ThrowsAsync<PeerValidationException>(() =>
            store.UpdateAsync<PlannerView>(Key, v => v.WithPlan(p => p.WithOutput(o => o.WithEstimatedDuration(6)))));
        Assert.Contains("\"estimated_duration\" appears twice", declaredTwice.Message, StringComparison.Ordinal);
        var keptTwice = await Assert.ThrowsAsync<PeerValidationException>(() =>
            store.UpdateAsync<PlannerView>(Key, v => v.WithPlan(p => p.WithStatus(PhaseStatus.InProgress).WithOutput(o => o with
            {
                ExtensionData = PeerTyped.Runtime.ExtensionMembers.From(o.ExtensionData.Append(o.ExtensionData[1])),
            }))));
        Assert.Contains("\"note\" appears twice", keptTwice.Message, StringComparison.Ordinal);

        var stored = await store.ReadRawAsync(Key);
        Assert.Equal(first.Revision, stored.Revision);
        Assert.True(PeerCycle.Validate(stored.Value.Span).IsValid);
    }

    [Fact]
    public async Task Create_on_an_existing_key_and_update_of_a_missing_key_fail_clearly()
    {
        await using var store = await StoreFactory.OpenAsync(nats.Server);
        await store.CreateAsync(Key, Docs.New(Key));

        var exists = await Assert.ThrowsAsync<PeerAlreadyExistsException>(() => store.CreateAsync(Key, Docs.New(Key)));
        // "already exists" is a kind of its own; the CLI still reports it with exit 5, as documented.
        Assert.Equal(PeerErrorKind.AlreadyExists, exists.Kind);
        Assert.Equal(5, PeerExitCodes.For(exists.Kind));
        Assert.Contains("already exists", exists.Message, StringComparison.Ordinal);

        var missing = await Assert.ThrowsAsync<PeerNotFoundException>(() =>
            store.UpdateAsync<PlannerView>("peer.spec.demo.cycle.2", v => v.WithPlan(p => p.WithStatus(PhaseStatus.Completed))));
        Assert.Contains("peer.spec.demo.cycle.2: not found", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_update_of_another_field_leaves_stored_timestamps_byte_for_byte()
    {
        // Valid RFC 3339 a DateTimeOffset cannot hold (a leap second, 9 fraction digits) and an offset: kept as given.
        const string LeapSecond = "\"created_at\":\"2026-06-30T23:59:60Z\"";
        const string NineDigitsWithOffset = "\"updated_at\":\"2026-07-01T01:59:59.123456789+02:00\"";
        await using var store = await StoreFactory.OpenAsync(nats.Server);
        var json = Encoding.UTF8.GetString(Docs.New(Key).ToUtf8Bytes());
        json = System.Text.RegularExpressions.Regex.Replace(json, "\"created_at\":\"[^\"]*\"", LeapSecond);
        json = System.Text.RegularExpressions.Regex.Replace(json, "\"updated_at\":\"[^\"]*\"", NineDigitsWithOffset);
        var created = await store.CreateJsonAsync(Key, Encoding.UTF8.GetBytes(json));
        var stored = Encoding.UTF8.GetString((await store.ReadRawAsync(Key, created.Revision)).Value.Span);
        Assert.Contains(LeapSecond, stored, StringComparison.Ordinal);
        Assert.Contains(NineDigitsWithOffset, stored, StringComparison.Ordinal);

        var updated = await store.UpdateAsync<PlannerView>(Key, view => view.WithPlan(plan => plan.WithStatus(PhaseStatus.Completed)));

        Assert.True(updated.Changed);
        Assert.Equal(["/phases/plan/status"], updated.Changes.Select(c => c.Pointer));
        var after = Encoding.UTF8.GetString((await store.ReadRawAsync(Key, updated.Revision)).Value.Span);
        Assert.Equal(stored.Replace("\"plan\":{\"status\":\"pending\"", "\"plan\":{\"status\":\"completed\"", StringComparison.Ordinal), after);
        DateTimeOffset createdAt = (await store.ReadAsync(Key)).Document.Metadata.CreatedAt;
        Assert.Equal(new DateTimeOffset(2026, 6, 30, 23, 59, 59, TimeSpan.Zero).AddTicks(TimeSpan.TicksPerSecond - 1), createdAt);
    }

    [Fact]
    public async Task An_update_that_changes_nothing_writes_nothing()
    {
        await using var store = await StoreFactory.OpenAsync(nats.Server);
        var created = await store.CreateAsync(Key, Docs.New(Key));
        var result = await store.UpdateAsync<PlannerView>(Key, view => view.WithPlan(p => p.WithStatus(PhaseStatus.Pending)));
        Assert.False(result.Changed);
        Assert.Equal(created.Revision, (await store.ReadAsync(Key)).Revision);
        Assert.Single(await StoreFactory.HistoryAsync(store, Key));
    }

    [Fact]
    public async Task Ownership_and_schema_violations_are_typed_errors_and_write_nothing()
    {
        await using var store = await StoreFactory.OpenAsync(nats.Server);
        var created = await store.CreateAsync(Key, Docs.New(Key));

        // The planner's view cannot reach execute, so an untyped change is the only way to try it.
        var ownership = await Assert.ThrowsAsync<PeerOwnershipException>(() => store.UpdateJsonAsync(Key, PeerCycleRoles.Planner, (json, _) =>
            ValueTask.FromResult(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(json.Span).Replace("\"execute\":{\"status\":\"pending\"}", "\"execute\":{\"status\":\"completed\"}", StringComparison.Ordinal)))));
        Assert.Equal("/phases/execute/status", Assert.Single(ownership.Violations).Pointer);
        Assert.Contains("role 'planner' may not change /phases/execute/status (owned by executor)", ownership.Message, StringComparison.Ordinal);

        var invalid = await Assert.ThrowsAsync<PeerValidationException>(() => store.UpdateJsonAsync(Key, PeerCycleRoles.Planner, (json, _) =>
            ValueTask.FromResult(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(json.Span).Replace("\"INITIALIZED\"", "\"COMPLETD\"", StringComparison.Ordinal)))));
        Assert.Equal("/metadata/status", Assert.Single(invalid.Violations).Pointer);

        var truncated = await Assert.ThrowsAsync<PeerValidationException>(() => store.UpdateJsonAsync(Key, PeerCycleRoles.Operator, (json, _) =>
            ValueTask.FromResult(json[..(json.Length / 2)].ToArray())));
        Assert.Equal("json", truncated.Violations[0].Rule);

        var empty = await Assert.ThrowsAsync<PeerValidationException>(() => store.UpdateJsonAsync(Key, PeerCycleRoles.Operator, (_, _) => ValueTask.FromResult(Array.Empty<byte>())));
        Assert.Contains("the document is empty", empty.Message, StringComparison.Ordinal);

        var history = await StoreFactory.HistoryAsync(store, Key);
        Assert.Equal(created.Revision, Assert.Single(history).Revision);
    }

    [Fact]
    public async Task Without_a_role_a_write_may_change_metadata_and_one_phase_only()
    {
        await using var store = await StoreFactory.OpenAsync(nats.Server);
        await store.CreateAsync(Key, Docs.New(Key));
        await store.UpdateAsync(Key, role: null, d => d.AsPlanner().WithPlan(p => p.WithStatus(PhaseStatus.Completed)).WithMetadata(m => m.WithStatus(CycleStatus.Executing)).Document);
        var error = await Assert.ThrowsAsync<PeerOwnershipException>(() => store.UpdateAsync(Key, role: null, d => d.AsOperator()
            .WithPlan(p => p.WithStatus(PhaseStatus.Failed)).WithExecute(e => e.WithStatus(PhaseStatus.Completed)).Document));
        Assert.Equal(["/phases/execute/status", "/phases/plan/status"], error.Violations.Select(v => v.Pointer).Order());
        Assert.Equal(PhaseStatus.Completed, (await store.ReadAsync(Key)).Document.Phases.Plan.Status);
    }

    [Fact]
    public async Task Two_roles_updating_different_phases_at_once_both_land()
    {
        await using var store = await StoreFactory.OpenAsync(nats.Server);
        await store.CreateAsync(Key, Docs.New(Key));
        var start = new TaskCompletionSource();
        var planner = Task.Run(async () => { await start.Task; return await store.UpdateAsync<PlannerView>(Key, v => v.WithPlan(p => p.WithStatus(PhaseStatus.Completed))); });
        var executor = Task.Run(async () => { await start.Task; return await store.UpdateAsync<ExecutorView>(Key, v => v.WithExecute(e => e.WithStatus(PhaseStatus.InProgress))); });
        start.SetResult();
        await Task.WhenAll(planner, executor);

        var document = (await store.ReadAsync(Key)).Document;
        Assert.Equal(PhaseStatus.Completed, document.Phases.Plan.Status);
        Assert.Equal(PhaseStatus.InProgress, document.Phases.Execute.Status);
        Assert.Equal(3, (await StoreFactory.HistoryAsync(store, Key)).Count);
    }

    [Fact]
    public async Task Sixteen_writers_times_one_hundred_updates_lose_nothing()
    {
        const int writers = 16, updatesEach = 100;
        await using var store = await StoreFactory.OpenAsync(nats.Server, new PeerStoreOptions { Bucket = Docs.UniqueBucket(), MaxConflictRetries = 100_000 });
        var created = await store.CreateAsync(Key, Docs.New(Key));

        var tasks = Enumerable.Range(0, writers).Select(writer => Task.Run(async () =>
        {
            for (var n = 0; n < updatesEach; n++)
            {
                var item = $"w{writer}-{n}";
                // Each writer appends to a list its role owns; four writers share each role.
                var result = (writer % 4) switch
                {
                    0 => await store.UpdateAsync<PlannerView>(Key, v => v.WithPlan(p => p.WithOutput(o => o.WithPhases((o.Phases ?? []).Add(item))))),
                    1 => await store.UpdateAsync<ExecutorView>(Key, v => v.WithExecute(e => e.WithOutput(o => o.WithFilesCreated((o.FilesCreated ?? []).Add(item))))),
                    2 => await store.UpdateAsync<ExpressView>(Key, v => v.WithExpress(e => e.WithOutput(o => o.WithDeliverables((o.Deliverables ?? []).Add(item))))),
                    _ => await store.UpdateAsync<ReviewView>(Key, v => v.WithReview(r => r.WithOutput(o => o.WithRecommendations((o.Recommendations ?? []).Add(item))))),
                };
                Assert.True(result.Changed);
            }
        })).ToArray();
        await Task.WhenAll(tasks);

        var latest = await store.ReadAsync(Key);
        var phases = latest.Document.Phases;
        var items = phases.Plan.Output!.Phases!.Concat(phases.Execute.Output!.FilesCreated!).Concat(phases.Express.Output!.Deliverables!).Concat(phases.Review.Output!.Recommendations!).ToList();
        Assert.Equal(writers * updatesEach, items.Count);
        Assert.Equal(writers * updatesEach, items.Distinct().Count());
        // The bucket is this test's alone, so every revision after the create is one of the 1,600 updates.
        Assert.Equal(created.Revision + (ulong)(writers * updatesEach), latest.Revision);
        foreach (var entry in await StoreFactory.HistoryAsync(store, Key))
        {
            Assert.True(PeerCycle.Validate(entry.Value.Span).IsValid, $"revision {entry.Revision} is not schema-valid");
        }
    }

    [Fact]
    public async Task A_conflict_is_re_read_and_re_applied_then_reported_when_the_retries_run_out()
    {
        await using var store = await StoreFactory.OpenAsync(nats.Server, new PeerStoreOptions { Bucket = Docs.UniqueBucket(), MaxConflictRetries = 2 });
        var bucket = store.Options.Bucket;
        await store.CreateAsync(Key, Docs.New(Key));
        var attempts = 0;
        var racer = Docs.New(Key).AsPlanner().WithPlan(p => p.WithOutput(o => o.WithInstructionType("racer"))).Document.ToUtf8Bytes();

        // Every attempt races with a writer that lands between our read and our compare-and-set.
        var error = await Assert.ThrowsAsync<PeerConflictException>(() => store.UpdateJsonAsync(Key, PeerCycleRoles.Planner, async (json, _) =>
        {
            attempts++;
            await RawPublish.PutAsync(nats.Server, bucket, Key, racer);
            return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(json.Span).Replace("\"plan\":{\"status\":\"pending\"", "\"plan\":{\"status\":\"completed\"", StringComparison.Ordinal));
        }));
        Assert.Equal(3, attempts);
        Assert.Equal(PeerErrorKind.Conflict, error.Kind);
        Assert.Contains("revision conflict", error.Message, StringComparison.Ordinal);
        Assert.Equal(PhaseStatus.Pending, (await store.ReadAsync(Key)).Document.Phases.Plan.Status);

        // One lost race is absorbed: the change is re-applied to the newer revision, and the racer's change is kept.
        var raced = false;
        var result = await store.UpdateAsync<PlannerView>(Key, view =>
        {
            if (!raced)
            {
                raced = true;
                RawPublish.PutAsync(nats.Server, bucket, Key, Docs.New(Key).AsPlanner().WithPlan(p => p.WithOutput(o => o.WithInstructionType("second racer"))).Document.ToUtf8Bytes()).GetAwaiter().GetResult();
            }
            return view.WithPlan(p => p.WithStatus(PhaseStatus.Completed));
        });
        Assert.Equal(2, result.Attempts);
        var document = (await store.ReadAsync(Key)).Document;
        Assert.Equal(PhaseStatus.Completed, document.Phases.Plan.Status);
        Assert.Equal("second racer", document.Phases.Plan.Output!.InstructionType);
    }

    [Fact]
    public async Task AddPeerTyped_registers_a_store_that_connects_on_first_use()
    {
        var bucket = Docs.UniqueBucket();
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection()
            .AddPeerTyped(o =>
            {
                o.Connection = new PeerConnectionOptions { Servers = [nats.Server.Url] };
                o.Store = new PeerStoreOptions { Bucket = bucket };
            });
        await using var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services);
        var peer = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<PeerStateStoreProvider>(provider);
        var store = await peer.GetAsync();
        Assert.Same(store, await peer.GetAsync());
        Assert.Equal(bucket, (await store.EnsureBucketAsync()).Bucket);
    }

    [Fact]
    public async Task Unknown_output_fields_survive_an_update_by_another_role()
    {
        await using var store = await StoreFactory.OpenAsync(nats.Server);
        await store.CreateJsonAsync(Docs.LargeKey, Docs.Large());
        await store.UpdateAsync<ReviewView>(Docs.LargeKey, v => v.WithReview(r => r.WithStatus(PhaseStatus.Completed)));

        var stored = StoreFactory.Text((await store.ReadAsync(Docs.LargeKey)).Json);
        Assert.Contains("\"planner_notes\":{\"model\":\"claude\"", stored, StringComparison.Ordinal);
        Assert.Contains("\"execution_log\":[{\"step\":1", stored, StringComparison.Ordinal);
        Assert.Contains("\"reviewer_checklist\":{\"format\":true", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Twenty_concurrent_cycle_allocations_get_twenty_consecutive_numbers()
    {
        await using var store = await StoreFactory.OpenAsync(nats.Server);
        var numbers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => store.NextCycleNumberAsync("peer.spec.demo"))));
        Assert.Equal(Enumerable.Range(1, 20), numbers.Order());
    }

    [Fact]
    public async Task The_change_and_json_are_logged_before_the_write()
    {
        var logger = new CapturingLogger();
        await using var store = await StoreFactory.OpenAsync(nats.Server, logger: logger);
        var created = await store.CreateAsync(Key, Docs.New(Key));
        await store.UpdateAsync<PlannerView>(Key, v => v.WithPlan(p => p.WithStatus(PhaseStatus.InProgress)));

        var lines = logger.Lines.ToList();
        var writing = lines.FindLastIndex(l => l.Contains($"Writing {Key} based on revision {created.Revision}", StringComparison.Ordinal));
        var written = lines.FindLastIndex(l => l.Contains($"Wrote {Key} at revision", StringComparison.Ordinal));
        Assert.True(writing >= 0 && written > writing);
        Assert.Contains(lines, l => l.Contains("/phases/plan/status: \"pending\" -> \"in_progress\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("full JSON: {\"version\":1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bucket_with_other_settings_is_reported_not_changed()
    {
        var bucket = Docs.UniqueBucket();
        await using (await StoreFactory.OpenAsync(nats.Server, new PeerStoreOptions { Bucket = bucket, History = 5 })) { }
        await using var store = await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [nats.Server.Url] }, new PeerStoreOptions { Bucket = bucket });
        var error = await Assert.ThrowsAsync<PeerBucketMismatchException>(() => store.EnsureBucketAsync());
        Assert.Equal(["history 5 (wanted 64)"], error.Differences);
        Assert.Equal(5, (await store.TryGetBucketInfoAsync())!.History);
    }

    [Fact]
    public async Task Bad_keys_are_rejected_before_any_call()
    {
        await using var store = await StoreFactory.OpenAsync(nats.Server);
        foreach (var key in new[] { "peer.spec.demo.cycle.0", "peer.spec.has space.cycle.1", "peer.spec.*.cycle.1", "peer..demo.cycle.1", "peer.spec.demo.cycle.1.", "" })
        {
            var error = await Assert.ThrowsAsync<PeerUsageException>(() => store.CreateAsync(key, Docs.New(Key)));
            Assert.Equal(PeerErrorKind.Usage, error.Kind);
        }
    }

    [Fact]
    public async Task An_unreachable_server_is_one_clear_error_naming_the_url()
    {
        var port = NatsServer.FreePort();
        var error = await Assert.ThrowsAsync<PeerUnavailableException>(() => PeerStateStore.ConnectAsync(
            new PeerConnectionOptions { Servers = [$"nats://agent:s3cret@127.0.0.1:{port}"], ConnectTimeout = TimeSpan.FromSeconds(1) }));
        Assert.StartsWith($"cannot reach NATS at nats://***@127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error.ToString(), StringComparison.Ordinal);
    }
}
