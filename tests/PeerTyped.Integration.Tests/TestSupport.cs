using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;
using PeerTyped.Client;
using PeerTyped.Contracts;

namespace PeerTyped.Integration.Tests;

internal static class Docs
{
    public const string LargeKey = "peer.spec.walcommitter-operation-support.cycle.1";

    public static byte[] Large() => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fixtures", LargeKey + ".json"));

    /// <summary>A new cycle document for <paramref name="key"/>, every phase pending.</summary>
    public static PeerCycle New(string key) =>
        PeerCycles.New(key, "create-spec", spec: null, "Write the spec.", now: new DateTimeOffset(2025, 8, 6, 9, 12, 44, TimeSpan.Zero)) with
        {
            Context = new Context { PeerMode = PeerMode.New, SpecAware = true, UserRequirements = "Write the spec." },
        };

    private static int s_bucket;

    public static string UniqueBucket() => "peer-test-" + Interlocked.Increment(ref s_bucket) + "-" + Environment.ProcessId;
}

/// <summary>Collects log lines so tests can assert what was logged before a write.</summary>
internal sealed class CapturingLogger : ILogger
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue(logLevel + ": " + formatter(state, exception));

    public string All => string.Join("\n", Lines);
}

internal static class StoreFactory
{
    public static async Task<PeerStateStore> OpenAsync(NatsServer server, PeerStoreOptions? options = null, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        var store = await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [server.Url] }, options ?? new PeerStoreOptions { Bucket = Docs.UniqueBucket() }, logger);
        await store.EnsureBucketAsync();
        return store;
    }

    public static async Task<List<PeerRawEntry>> HistoryAsync(PeerStateStore store, string key)
    {
        var entries = new List<PeerRawEntry>();
        await foreach (var entry in store.HistoryAsync(key)) entries.Add(entry);
        return entries;
    }

    public static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);
}
