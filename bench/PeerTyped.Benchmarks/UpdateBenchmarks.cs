using BenchmarkDotNet.Attributes;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;
using PeerTyped.Client;
using PeerTyped.Contracts;
using PeerTyped.Integration.Tests;

namespace PeerTyped.Benchmarks;

/// <summary>
/// One update of the 10.7 KB document against the same local nats-server: PeerTyped's whole gate (read, apply,
/// validate, ownership check, CAS) against NATS.Net's bare GetEntryAsync + UpdateAsync of the same bytes.
/// </summary>
[MemoryDiagnoser]
public class UpdateBenchmarks
{
    private NatsServer _server = null!;
    private NatsConnection _connection = null!;
    private INatsKVStore _raw = null!;
    private PeerStateStore _store = null!;
    private int _counter;

    [GlobalSetup]
    public async Task Setup()
    {
        _server = await NatsServer.StartAsync();
        _connection = new NatsConnection(NatsOpts.Default with { Url = _server.Url });
        _store = new PeerStateStore(_connection, new PeerStoreOptions { Bucket = "bench" });
        await _store.EnsureBucketAsync();
        await _store.CreateJsonAsync(Inputs.Key, Inputs.Document(), PeerCycleRoles.Operator);
        _raw = await new NatsKVContext(new NatsJSContext(_connection)).GetStoreAsync("bench");
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _connection.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "raw NATS.Net: GetEntryAsync + UpdateAsync")]
    public async Task<ulong> Raw()
    {
        var entry = await _raw.GetEntryAsync(Inputs.Key, serializer: NatsRawSerializer<byte[]>.Default);
        return await _raw.UpdateAsync(Inputs.Key, entry.Value!, entry.Revision, NatsRawSerializer<byte[]>.Default);
    }

    [Benchmark(Description = "PeerTyped UpdateAsync<PlannerView>")]
    public async Task<ulong> Typed()
    {
        var value = ++_counter;
        var result = await _store.UpdateAsync<PlannerView>(Inputs.Key, v => Inputs.OneFieldChange(v, value));
        return result.Revision;
    }
}
