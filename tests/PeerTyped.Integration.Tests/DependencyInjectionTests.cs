using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using PeerTyped.Client;
using PeerTyped.Contracts;
using PeerTyped.Runtime;

namespace PeerTyped.Integration.Tests;

/// <summary>AddPeerTyped against a real nats-server: configuration binding, a host's own connection, retry after a failed connect.</summary>
public class DependencyInjectionTests(NatsServerFixture nats) : IClassFixture<NatsServerFixture>
{
    private const string Key = "peer.spec.my-feature.cycle.1";

    private static IConfiguration Configuration(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    /// <summary>The README's sample, word for word: the planner adds a risk and keeps what the output already holds.</summary>
    private static Task<PeerWriteResult> ReadmeSampleAsync(IPeerStateStore store) =>
        store.UpdateAsync<PlannerView>(Key, view => view
            .WithPlan(plan => plan with
            {
                Status = PhaseStatus.Completed,
                Output = (plan.Output ?? new()) with { Risks = (plan.Output?.Risks ?? []).Add(RawJson.Parse("""{"risk": "fsync ordering", "likelihood": "medium"}""")) },
            })
            .WithMetadata(m => m.WithCurrentPhase(PhaseName.Execute)));

    [Fact]
    public async Task The_PeerTyped_section_binds_the_options_and_the_injected_store_writes_through_them()
    {
        var bucket = Docs.UniqueBucket();
        var configuration = Configuration(new()
        {
            ["PeerTyped:Connection:Servers:0"] = nats.Server.Url,
            ["PeerTyped:Connection:ConnectTimeout"] = "3",
            ["PeerTyped:Connection:RequestTimeout"] = "00:00:04",
            ["PeerTyped:Connection:ClientName"] = "di-test",
            ["PeerTyped:Store:Bucket"] = bucket,
            ["PeerTyped:Store:History"] = "16",
            ["PeerTyped:Store:RetryTimeout"] = "7.5",
            ["PeerTyped:Store:WriteMode"] = "direct",
            ["PeerTyped:Store:CasMode"] = "per-key",
            ["PeerTyped:Store:Storage"] = "memory",
            ["Unrelated:Setting"] = "ignored",
        });
        await using var provider = new ServiceCollection().AddPeerTyped(configuration).BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<PeerTypedOptions>>().Value;
        Assert.Equal([nats.Server.Url], options.Connection.Servers);
        Assert.Equal(TimeSpan.FromSeconds(3), options.Connection.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(4), options.Connection.RequestTimeout);
        Assert.Equal("di-test", options.Connection.ClientName);
        Assert.Equal(bucket, options.Store.Bucket);
        Assert.Equal(16, options.Store.History);
        Assert.Equal(TimeSpan.FromSeconds(7.5), options.Store.RetryTimeout);
        Assert.Equal(PeerCasMode.PerKey, options.Store.CasMode);
        Assert.Equal(PeerBucketStorage.Memory, options.Store.Storage);

        var store = provider.GetRequiredService<IPeerStateStore>();
        Assert.Same(store, provider.GetRequiredService<IPeerStateStore>());
        var info = await store.EnsureBucketAsync();
        Assert.Equal((bucket, 16L, "memory"), (info.Bucket, info.History, info.Storage));

        // What jq wrote before: a risk and a field the schema does not name. The README sample must keep both.
        var document = JsonNode.Parse(Docs.New(Key).ToJson())!;
        document["phases"]!["plan"]!["output"] = JsonNode.Parse("""{"risks": [{"risk": "disk full"}], "custom_thing": {"kept": true}}""");
        await store.CreateJsonAsync(Key, Encoding.UTF8.GetBytes(document.ToJsonString()));
        var result = await ReadmeSampleAsync(store);

        var stored = JsonNode.Parse(Encoding.UTF8.GetString((await store.ReadAsync(Key)).Json.Span))!;
        var output = stored["phases"]!["plan"]!["output"]!;
        Assert.Equal("""[{"risk":"disk full"},{"risk":"fsync ordering","likelihood":"medium"}]""", output["risks"]!.ToJsonString());
        Assert.Equal("""{"kept":true}""", output["custom_thing"]!.ToJsonString());
        Assert.Equal("completed", stored["phases"]!["plan"]!["status"]!.GetValue<string>());
        Assert.Equal(result.Revision, (await store.ReadRawAsync(Key)).Revision);
        var revisions = new List<ulong>();
        await foreach (var entry in store.HistoryAsync(Key)) revisions.Add(entry.Revision);
        Assert.Equal(2, revisions.Count);
    }

    [Theory]
    [InlineData("PeerTyped:Store:Bukcet", "x", "configuration PeerTyped:Store:Bukcet is not a PeerTyped setting")]
    [InlineData("PeerTyped:Store:WriteMode", "sometimes", "configuration PeerTyped:Store:WriteMode: 'sometimes' is not one of direct, gate, auto")]
    [InlineData("PeerTyped:Store:Bucket", "has.dot", "configuration PeerTyped:Store:Bucket: 'has.dot' is not a valid NATS KV bucket name")]
    [InlineData("PeerTyped:Connection:ConnectTimeout", "soon", "configuration PeerTyped:Connection:ConnectTimeout: 'soon' is not a duration")]
    [InlineData("PeerTyped:Connection:Servers", "http://x:1", "configuration PeerTyped:Connection:Servers")]
    [InlineData("PeerTyped:Conection:Servers", "nats://x:1", "configuration PeerTyped:Conection is not a PeerTyped setting")]
    public void A_bad_or_misspelt_setting_is_an_error_naming_its_key(string key, string value, string message)
    {
        using var provider = new ServiceCollection().AddPeerTyped(Configuration(new() { [key] = value })).BuildServiceProvider();
        var error = Assert.Throws<PeerUsageException>(() => provider.GetRequiredService<IOptions<PeerTypedOptions>>().Value);
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Code_configuration_runs_after_the_section()
    {
        var configuration = Configuration(new() { ["PeerTyped:Store:Bucket"] = "from-config", ["PeerTyped:Store:History"] = "8" });
        await using var provider = new ServiceCollection()
            .AddPeerTyped(configuration, o => o.Store = o.Store with { Bucket = "from-code" })
            .BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<PeerTypedOptions>>().Value;
        Assert.Equal(("from-code", 8), (options.Store.Bucket, options.Store.History));
    }

    [Fact]
    public async Task A_hosts_own_connection_is_used_and_left_open_when_the_container_is_disposed()
    {
        var bucket = Docs.UniqueBucket();
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = nats.Server.Url, Name = "host" });
        await connection.ConnectAsync();
        var provider = new ServiceCollection()
            .AddSingleton<INatsConnection>(connection)
            .AddPeerTyped(o =>
            {
                o.NatsConnectionFactory = services => services.GetRequiredService<INatsConnection>();
                o.Store = new PeerStoreOptions { Bucket = bucket };
            })
            .BuildServiceProvider();
        var store = provider.GetRequiredService<IPeerStateStore>();
        await store.EnsureBucketAsync();
        await store.CreateAsync(Key, Docs.New(Key));
        Assert.Equal(Key, (await store.ReadAsync(Key)).Key);
        Assert.Same(connection, (await provider.GetRequiredService<PeerStateStoreProvider>().GetAsync()).Connection);

        await provider.DisposeAsync();
        Assert.Equal(NatsConnectionState.Open, connection.ConnectionState);
        await connection.PingAsync();
    }

    [Fact]
    public async Task A_connection_instance_or_NatsOpts_can_be_handed_in()
    {
        var bucket = Docs.UniqueBucket();
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = nats.Server.Url });
        await using (var provider = new ServiceCollection().AddPeerTyped(o => { o.NatsConnection = connection; o.Store = new PeerStoreOptions { Bucket = bucket }; }).BuildServiceProvider())
        {
            await provider.GetRequiredService<IPeerStateStore>().EnsureBucketAsync();
            Assert.Same(connection, (await provider.GetRequiredService<PeerStateStoreProvider>().GetAsync()).Connection);
        }
        Assert.Equal(NatsConnectionState.Open, connection.ConnectionState);

        PeerStateStore owned;
        await using (var provider = new ServiceCollection().AddPeerTyped(o => { o.NatsOpts = NatsOpts.Default with { Url = nats.Server.Url }; o.Store = new PeerStoreOptions { Bucket = bucket }; }).BuildServiceProvider())
        {
            Assert.Equal(bucket, (await provider.GetRequiredService<IPeerStateStore>().TryGetBucketInfoAsync())!.Bucket);
            owned = await provider.GetRequiredService<PeerStateStoreProvider>().GetAsync();
            Assert.NotSame(connection, owned.Connection);
        }
        // A connection the store opened from NatsOpts is the store's: the container closed it.
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await owned.Connection.PingAsync());
    }

    [Fact]
    public async Task A_failed_connect_is_tried_again_on_the_next_call()
    {
        var port = NatsServer.FreePort();
        var url = $"nats://127.0.0.1:{port}";
        await using var provider = new ServiceCollection()
            .AddPeerTyped(o =>
            {
                o.Connection = new PeerConnectionOptions { Servers = [url], ConnectTimeout = TimeSpan.FromSeconds(1) };
                o.Store = new PeerStoreOptions { Bucket = Docs.UniqueBucket() };
            })
            .BuildServiceProvider();
        var store = provider.GetRequiredService<IPeerStateStore>();

        var down = await Assert.ThrowsAsync<PeerUnavailableException>(() => store.EnsureBucketAsync());
        Assert.StartsWith($"cannot reach NATS at {url}", down.Message, StringComparison.Ordinal);

        await using var server = await NatsServer.StartAsync(port: port);
        var info = await store.EnsureBucketAsync();
        Assert.Equal(store.Options.Bucket, info.Bucket);
    }
}
