using BenchmarkDotNet.Attributes;
using NATS.Client.Core;
using PeerTyped.Client;
using PeerTyped.Contracts;
using PeerTyped.Integration.Tests;

namespace PeerTyped.Benchmarks;

/// <summary>
/// Connection set-up on its own, as every CLI process pays it: a bare NATS.Net connect and dispose, against PeerTyped's
/// connect, bucket open (its one STREAM.INFO) and dispose, with the one-command settings the CLI uses (no ping timer).
/// </summary>
[MemoryDiagnoser]
public class ConnectBenchmarks
{
    private NatsServer _server = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _server = await NatsServer.StartAsync();
        await using var store = await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [_server.Url] }, new PeerStoreOptions { Bucket = "bench" });
        await store.EnsureBucketAsync();
        await store.CreateJsonAsync(Inputs.Key, Inputs.Document(), PeerCycleRoles.Operator);
    }

    [GlobalCleanup]
    public Task Cleanup() => _server.DisposeAsync().AsTask();

    [Benchmark(Baseline = true, Description = "raw NATS.Net: connect + dispose")]
    public async Task Raw()
    {
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = _server.Url, PingInterval = TimeSpan.Zero });
        await connection.ConnectAsync();
    }

    [Benchmark(Description = "PeerTyped: connect + open the bucket + dispose")]
    public async Task Open()
    {
        await using var store = await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [_server.Url], PingInterval = TimeSpan.Zero }, new PeerStoreOptions { Bucket = "bench" });
        await store.EnsureOpenAsync();
    }

    [Benchmark(Description = "PeerTyped: connect + one read + dispose (peer-typed get, in process)")]
    public async Task<ulong> Get()
    {
        await using var store = await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [_server.Url], PingInterval = TimeSpan.Zero }, new PeerStoreOptions { Bucket = "bench" });
        return (await store.ReadAsync(Inputs.Key)).Revision;
    }
}
