using System.Diagnostics;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;
using PeerTyped.Client;
using PeerTyped.Contracts;
using PeerTyped.Integration.Tests;

namespace PeerTyped.Benchmarks;

/// <summary>
/// <c>loops N [ROUNDS [raw|direct|gate]]</c>: the three writers of <see cref="UpdateBenchmarks"/> and <see cref="GateBenchmarks"/> (raw
/// NATS.Net get+update, the typed update written directly, the same through a gate in this process), N updates each,
/// round after round, so that a change in the machine's load falls on all three. Prints microseconds per update. It is
/// the loop to attach <c>perf record -p</c> to (with DOTNET_PerfMapEnabled=1), and a cross-check of BenchmarkDotNet's
/// in-process figures, whose blocking wait on each async call adds a constant to every writer.
/// </summary>
public static class ProfileLoop
{
    public static async Task<int> RunAsync(string[] args)
    {
        var updates = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2000;
        var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
        // A third argument (raw, direct or gate) runs that writer alone, so that a profile shows its costs only.
        var only = args.Length > 2 ? args[2] : null;
        await using var server = await NatsServer.StartAsync();
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = server.Url });
        await using var gateConnection = new NatsConnection(NatsOpts.Default with { Url = server.Url });
        await using var callerConnection = new NatsConnection(NatsOpts.Default with { Url = server.Url });
        var direct = new PeerStateStore(connection, new PeerStoreOptions { Bucket = "bench" });
        await direct.EnsureBucketAsync();
        await direct.CreateJsonAsync(Inputs.Key, Inputs.Document(), PeerCycleRoles.Operator);
        await using var gate = await PeerGateService.StartAsync(new PeerStateStore(gateConnection, new PeerStoreOptions { Bucket = "bench" }));
        var viaGate = new PeerStateStore(callerConnection, new PeerStoreOptions { Bucket = "bench", WriteMode = PeerWriteMode.Gate });
        var raw = await new NatsKVContext(new NatsJSContext(connection)).GetStoreAsync("bench");
        var serializer = NatsRawSerializer<byte[]>.Default;
        var counter = 0;

        async Task<double> TimeAsync(Func<Task> update)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < updates; i++) await update();
            return clock.Elapsed.TotalMicroseconds / updates;
        }

        Console.WriteLine("round | raw get+update µs | direct µs | gate µs | direct/raw | gate/direct");
        for (var round = 1; round <= rounds; round++)
        {
            var rawMicros = only is null or "raw" ? await TimeAsync(async () =>
            {
                var entry = await raw.GetEntryAsync(Inputs.Key, serializer: serializer);
                await raw.UpdateAsync(Inputs.Key, entry.Value!, entry.Revision, serializer);
            }) : double.NaN;
            var directMicros = only is null or "direct" ? await TimeAsync(() => Typed(direct, ++counter)) : double.NaN;
            var gateMicros = only is null or "gate" ? await TimeAsync(() => Typed(viaGate, ++counter)) : double.NaN;
            Console.WriteLine($"{round} | {rawMicros:F0} | {directMicros:F0} | {gateMicros:F0} | {directMicros / rawMicros:F2} | {gateMicros / directMicros:F2}");
        }
        return 0;
    }

    private static Task Typed(PeerStateStore store, int value) =>
        store.UpdateAsync<PlannerView>(Inputs.Key, v => Inputs.OneFieldChange(v, value));
}
