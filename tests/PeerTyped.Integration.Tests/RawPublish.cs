using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace PeerTyped.Integration.Tests;

/// <summary>Writes straight into the bucket, bypassing every check: how the seed's incident happened.</summary>
internal static class RawPublish
{
    public static async Task<ulong> PutAsync(NatsServer server, string bucket, string key, byte[] value)
    {
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = server.Url });
        var store = await new NatsKVContext(new NatsJSContext(connection)).GetStoreAsync(bucket);
        return await store.PutAsync(key, value, NatsRawSerializer<byte[]>.Default);
    }
}
