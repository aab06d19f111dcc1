using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using PeerTyped.Client;
using PeerTyped.Contracts;

namespace PeerTyped.Integration.Tests;

/// <summary>
/// The client library's span and instruments, seen the way an OpenTelemetry SDK sees them: through an
/// <see cref="ActivityListener"/> and a <see cref="MeterListener"/> on the source and meter named "PeerTyped". Other
/// tests write in parallel in this process, so everything is filtered by this test's own bucket.
/// </summary>
public class TelemetryTests(NatsServerFixture nats) : IClassFixture<NatsServerFixture>
{
    private const string Key = "peer.spec.telemetry.cycle.1";

    private sealed record Measurement(string Instrument, double Value, Dictionary<string, object?> Tags);

    [Fact]
    public async Task One_write_with_a_conflict_and_one_invalid_write_emit_the_span_and_every_instrument()
    {
        var bucket = Docs.UniqueBucket();
        var activities = new ConcurrentQueue<Activity>();
        var measurements = new ConcurrentQueue<Measurement>();
        using var activityListener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == PeerTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem("peertyped.bucket") as string == bucket) activities.Enqueue(activity);
            },
        };
        ActivitySource.AddActivityListener(activityListener);
        using var meterListener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == PeerTelemetry.Name) listener.EnableMeasurementEvents(instrument);
            },
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, object?>();
            foreach (var (name, tagValue) in tags) copy[name] = tagValue;
            if (copy.GetValueOrDefault("peertyped.bucket") as string == bucket) measurements.Enqueue(new Measurement(instrument.Name, value, copy));
        }
        meterListener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        meterListener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        meterListener.Start();

        await using var store = await StoreFactory.OpenAsync(nats.Server, new PeerStoreOptions { Bucket = bucket });
        await using var other = await StoreFactory.OpenAsync(nats.Server, new PeerStoreOptions { Bucket = bucket });
        var created = await store.CreateAsync(Key, Docs.New(Key));

        // The first attempt's base revision is overtaken by another writer: one conflict, one retry, then the write lands.
        var interfered = false;
        var result = await store.UpdateAsync(Key, PeerCycleRoles.Planner, document =>
        {
            if (!interfered)
            {
                interfered = true;
                other.UpdateAsync(Key, PeerCycleRoles.Planner, d => d with { Metadata = d.Metadata with { Status = CycleStatus.Planning } }).GetAwaiter().GetResult();
            }
            return document with { Phases = document.Phases with { Plan = document.Phases.Plan with { Status = PhaseStatus.InProgress, StartedAt = DateTimeOffset.UtcNow } } };
        });
        Assert.Equal(2, result.Attempts);

        // A write the schema refuses: counted as a validation failure, nothing written.
        await Assert.ThrowsAsync<PeerValidationException>(() => store.UpdateJsonAsync(Key, PeerCycleRoles.Planner,
            (json, _) => ValueTask.FromResult(System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(json.Span).Replace("\"in_progress\"", "\"DONE\"", StringComparison.Ordinal)))));

        meterListener.RecordObservableInstruments();

        // The span of the update that conflicted: named "update <bucket>", with the key, role and revisions.
        var update = Assert.Single(activities, a => a.DisplayName == $"update {bucket}" && a.Status != ActivityStatusCode.Error && (string?)a.GetTagItem("peertyped.role") == PeerCycleRoles.Planner && a.GetTagItem("peertyped.attempts") is 2);
        Assert.Equal(ActivityKind.Client, update.Kind);
        Assert.Equal("nats", update.GetTagItem("messaging.system"));
        Assert.Equal($"$KV.{bucket}.{Key}", update.GetTagItem("messaging.destination.name"));
        Assert.Equal(Key, update.GetTagItem("peertyped.key"));
        Assert.Equal((long)result.Revision, update.GetTagItem("peertyped.revision"));
        Assert.Equal((long)result.Revision - 1, update.GetTagItem("peertyped.base_revision"));
        Assert.Equal(true, update.GetTagItem("peertyped.changed"));
        Assert.Contains(update.Events, e => e.Name == "peertyped.conflict");
        var create = Assert.Single(activities, a => a.DisplayName == $"create {bucket}");
        Assert.Equal((long)created.Revision, create.GetTagItem("peertyped.revision"));
        var invalid = Assert.Single(activities, a => a.Status == ActivityStatusCode.Error);
        Assert.Equal("invalid", invalid.GetTagItem("error.type"));

        double Sum(string instrument, Func<Measurement, bool>? where = null) => measurements.Where(m => m.Instrument == instrument && (where is null || where(m))).Sum(m => m.Value);
        // Three writes by the store under test (create, the update, the invalid one) and one by the interfering store.
        Assert.Equal(1, Sum("peertyped.writes", m => (string?)m.Tags["peertyped.operation"] == "create" && (string?)m.Tags["peertyped.outcome"] == "written"));
        Assert.Equal(2, Sum("peertyped.writes", m => (string?)m.Tags["peertyped.operation"] == "update" && (string?)m.Tags["peertyped.outcome"] == "written"));
        Assert.Equal(1, Sum("peertyped.writes", m => (string?)m.Tags["peertyped.outcome"] == "invalid"));
        Assert.Equal(1, Sum("peertyped.write.conflicts"));
        Assert.Equal(1, Sum("peertyped.write.retries", m => (string?)m.Tags["peertyped.retry.reason"] == "conflict"));
        Assert.Equal(1, Sum("peertyped.validation.failures"));
        var durations = measurements.Where(m => m.Instrument == "peertyped.write.duration").ToList();
        Assert.Equal(4, durations.Count);
        Assert.All(durations, d => Assert.True(d.Value > 0 && d.Value < 60, $"{d.Value} s"));
        Assert.All(measurements.Where(m => (string?)m.Tags["peertyped.operation"] == "update"), m => Assert.Equal(PeerCycleRoles.Planner, m.Tags["peertyped.role"]));
    }

    [Fact]
    public void The_names_follow_the_OpenTelemetry_conventions_the_README_documents()
    {
        Assert.Equal("PeerTyped", PeerTelemetry.Source.Name);
        Assert.Equal("PeerTyped", PeerTelemetry.Meter.Name);
        Assert.Equal("peertyped.writes", PeerTelemetry.Writes.Name);
        Assert.Equal("peertyped.write.conflicts", PeerTelemetry.Conflicts.Name);
        Assert.Equal("peertyped.write.retries", PeerTelemetry.Retries.Name);
        Assert.Equal("peertyped.validation.failures", PeerTelemetry.ValidationFailures.Name);
        Assert.Equal("peertyped.write.duration", PeerTelemetry.WriteDuration.Name);
        Assert.Equal("s", PeerTelemetry.WriteDuration.Unit);
        var readme = File.ReadAllText(Path.Combine(CliRunner.RepoRoot, "README.md"));
        foreach (var name in new[] { "peertyped.writes", "peertyped.write.conflicts", "peertyped.write.retries", "peertyped.validation.failures", "peertyped.write.duration", "OTEL_EXPORTER_OTLP_ENDPOINT" })
        {
            Assert.Contains(name, readme, StringComparison.Ordinal);
        }
    }
}

/// <summary>
/// The CLI exports over OTLP/HTTP (protobuf) when OTEL_EXPORTER_OTLP_ENDPOINT is set: a tiny HTTP listener stands in
/// for the collector and receives the POSTs of one `set`. Protobuf keeps strings as raw UTF-8, so the names can be
/// found in the bodies without decoding them.
/// </summary>
public class OtlpExportTests(NatsServerFixture nats) : IClassFixture<NatsServerFixture>
{
    [Fact]
    public async Task Set_with_OTEL_EXPORTER_OTLP_ENDPOINT_posts_its_span_and_metrics_to_the_collector()
    {
        const string Key = "peer.spec.otlp.cycle.1";
        var port = NatsServer.FreePort();
        using var listener = new System.Net.HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var bodies = new System.Collections.Concurrent.ConcurrentDictionary<string, List<byte[]>>();
        var receiving = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                System.Net.HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is System.Net.HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                lock (bodies) bodies.GetOrAdd(context.Request.Url!.AbsolutePath + " " + context.Request.ContentType, _ => []).Add(body.ToArray());
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        });

        var cli = new CliRunner(nats.Server);
        Assert.Equal(0, (await cli.RunAsync("bucket", "init")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("create", Key, "--instruction", "create-spec")).ExitCode);
        var exported = await cli.RunAsync(["set", Key, "plan.status", "in_progress"], new Dictionary<string, string?>
        {
            ["PEER_ROLE"] = "planner",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        }, null);
        Assert.True(exported.ExitCode == 0, exported.ToString());
        Assert.Equal("OK\n", exported.Stdout);
        listener.Stop();
        await receiving;

        static string Text(IEnumerable<byte[]> posts) => string.Join("\n", posts.Select(b => System.Text.Encoding.UTF8.GetString(b)));
        var traces = Text(bodies.Where(b => b.Key == "/v1/traces application/x-protobuf").SelectMany(b => b.Value));
        var metrics = Text(bodies.Where(b => b.Key == "/v1/metrics application/x-protobuf").SelectMany(b => b.Value));
        Assert.True(traces.Length > 0, "no OTLP trace POST; received: " + string.Join(", ", bodies.Keys));
        Assert.Contains($"update {cli.Bucket}", traces, StringComparison.Ordinal);
        Assert.Contains(Key, traces, StringComparison.Ordinal);
        Assert.Contains("messaging.system", traces, StringComparison.Ordinal);
        Assert.Contains("peer-typed", traces, StringComparison.Ordinal);
        foreach (var instrument in new[] { "peertyped.writes", "peertyped.write.duration" }) Assert.Contains(instrument, metrics, StringComparison.Ordinal);
    }
}
