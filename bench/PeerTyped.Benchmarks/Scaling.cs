using System.Collections.Concurrent;
using System.Diagnostics;
using PeerTyped.Client;
using PeerTyped.Contracts;
using PeerTyped.Integration.Tests;

namespace PeerTyped.Benchmarks;

/// <summary>
/// Throughput and latency of typed updates with 1, 4, 16 and 64 concurrent writers, all on one key and spread over
/// 1,000 keys, against a local nats-server. Every writer appends unique ids; afterwards the ids are counted, so a lost
/// update shows as a number, not an impression.
/// </summary>
internal static class Scaling
{
    public static async Task<int> RunAsync(string[] args)
    {
        var updatesPerWriter = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 50;
        await using var server = await NatsServer.StartAsync();
        Console.WriteLine("| writers | keys | updates | updates/s | p50 ms | p99 ms | conflicts retried | lost |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        var failed = false;
        foreach (var keys in new[] { 1, 1000 })
        {
            foreach (var writers in new[] { 1, 4, 16, 64 })
            {
                var row = await MeasureAsync(server, writers, keys, updatesPerWriter);
                failed |= row.Lost != 0;
                Console.WriteLine($"| {writers} | {keys} | {row.Updates} | {row.PerSecond:F0} | {row.P50:F2} | {row.P99:F2} | {row.Retries} | {row.Lost} |");
            }
        }
        return failed ? 1 : 0;
    }

    private sealed record Row(int Updates, double PerSecond, double P50, double P99, long Retries, int Lost);

    private static async Task<Row> MeasureAsync(NatsServer server, int writers, int keyCount, int updatesPerWriter)
    {
        var bucket = $"scale-{writers}-{keyCount}";
        await using var store = await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [server.Url] }, new PeerStoreOptions { Bucket = bucket, MaxConflictRetries = 100_000 });
        await store.EnsureBucketAsync();
        var keys = Enumerable.Range(1, keyCount).Select(n => $"peer.spec.scale.cycle.{n}").ToArray();
        foreach (var key in keys) await store.CreateAsync(key, PeerCycles.New(key, "create-spec", "scale", "measure"));

        var latencies = new ConcurrentBag<double>();
        long retries = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(writer => Task.Run(async () =>
        {
            for (var n = 0; n < updatesPerWriter; n++)
            {
                var id = $"w{writer}-{n}";
                var key = keys[(writer * updatesPerWriter + n) % keys.Length];
                var started = Stopwatch.GetTimestamp();
                var result = await store.UpdateAsync<PlannerView>(key, v => v.WithPlan(p => p.WithOutput(o => o.WithPhases((o.Phases ?? []).Add(id)))));
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Interlocked.Add(ref retries, result.Attempts - 1);
            }
        })));
        clock.Stop();

        var stored = 0;
        foreach (var key in keys) stored += (await store.ReadAsync(key)).Document.Phases.Plan.Output?.Phases?.Count ?? 0;
        var sorted = latencies.Order().ToArray();
        var total = writers * updatesPerWriter;
        return new Row(total, total / clock.Elapsed.TotalSeconds, sorted[sorted.Length / 2], sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.99))], retries, total - stored);
    }
}
