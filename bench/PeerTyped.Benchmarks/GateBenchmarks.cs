using BenchmarkDotNet.Attributes;
using NATS.Client.Core;
using PeerTyped.Client;
using PeerTyped.Contracts;
using PeerTyped.Integration.Tests;

namespace PeerTyped.Benchmarks;

/// <summary>
/// One typed update of the 10.7 KB document, written directly (rules and compare-and-set in this process) against the
/// same update sent through a gate service running in this process on its own connection (rules here, then again in
/// the gate, which writes). Same local nats-server, same bucket and key, one writer: no conflicts.
/// </summary>
[MemoryDiagnoser]
public class GateBenchmarks
{
    private NatsServer _server = null!;
    private NatsConnection _directConnection = null!;
    private NatsConnection _gateConnection = null!;
    private NatsConnection _callerConnection = null!;
    private PeerStateStore _direct = null!;
    private PeerStateStore _gateStore = null!;
    private PeerStateStore _viaGate = null!;
    private PeerGateService _gate = null!;
    private int _counter;

    [GlobalSetup]
    public async Task Setup()
    {
        _server = await NatsServer.StartAsync();
        _directConnection = new NatsConnection(NatsOpts.Default with { Url = _server.Url });
        _gateConnection = new NatsConnection(NatsOpts.Default with { Url = _server.Url });
        _callerConnection = new NatsConnection(NatsOpts.Default with { Url = _server.Url });
        _direct = new PeerStateStore(_directConnection, new PeerStoreOptions { Bucket = "bench-gate" });
        await _direct.EnsureBucketAsync();
        await _direct.CreateJsonAsync(Inputs.Key, Inputs.Document(), PeerCycleRoles.Operator);
        _gateStore = new PeerStateStore(_gateConnection, new PeerStoreOptions { Bucket = "bench-gate" });
        _gate = await PeerGateService.StartAsync(_gateStore);
        _viaGate = new PeerStateStore(_callerConnection, new PeerStoreOptions { Bucket = "bench-gate", WriteMode = PeerWriteMode.Gate });
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _gate.DisposeAsync();
        await _callerConnection.DisposeAsync();
        await _gateConnection.DisposeAsync();
        await _directConnection.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "direct: UpdateAsync<PlannerView>")]
    public async Task<ulong> Direct()
    {
        var value = ++_counter;
        return (await _direct.UpdateAsync<PlannerView>(Inputs.Key, v => Inputs.OneFieldChange(v, value))).Revision;
    }

    [Benchmark(Description = "through the gate: UpdateAsync<PlannerView>")]
    public async Task<ulong> ThroughGate()
    {
        var value = ++_counter;
        return (await _viaGate.UpdateAsync<PlannerView>(Inputs.Key, v => Inputs.OneFieldChange(v, value))).Revision;
    }
}
