using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using PeerTyped.Contracts;
using PeerTyped.Runtime;

namespace PeerTyped.Client;

/// <summary>Registration for hosted use.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IPeerStateStore"/> (connects on first use; a failed connect is tried again on the next
    /// call), the <see cref="PeerStateStoreProvider"/> behind it, and <see cref="IOptions{PeerTypedOptions}"/>.
    /// Without <see cref="PeerTypedOptions.NatsConnection"/> or <see cref="PeerTypedOptions.NatsOpts"/> the store opens
    /// and owns its own connection from <see cref="PeerTypedOptions.Connection"/>; disposing the container closes it.
    /// </summary>
    public static IServiceCollection AddPeerTyped(this IServiceCollection services, Action<PeerTypedOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<PeerTypedOptions>();
        if (configure is not null) options.Configure(configure);
        services.TryAddSingleton(provider => new PeerStateStoreProvider(
            provider.GetRequiredService<IOptions<PeerTypedOptions>>().Value,
            provider.GetService<ILoggerFactory>()?.CreateLogger<PeerStateStore>(),
            provider));
        services.TryAddSingleton<IPeerStateStore>(provider => new ProvidedPeerStateStore(provider.GetRequiredService<PeerStateStoreProvider>()));
        return services;
    }

    /// <summary>
    /// As <see cref="AddPeerTyped(IServiceCollection, Action{PeerTypedOptions})"/>, with the options read from the
    /// <c>PeerTyped</c> section of <paramref name="configuration"/> (<c>PeerTyped:Connection:Servers:0</c>,
    /// <c>PeerTyped:Store:Bucket</c>, …; see <see cref="PeerTypedConfiguration"/>), then <paramref name="configure"/>.
    /// </summary>
    public static IServiceCollection AddPeerTyped(this IServiceCollection services, IConfiguration configuration, Action<PeerTypedOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddPeerTyped(options => PeerTypedConfiguration.Bind(configuration.GetSection(PeerTypedOptions.SectionName), options));
        if (configure is not null) services.Configure(configure);
        return services;
    }
}

/// <summary>Options for <see cref="ServiceCollectionExtensions.AddPeerTyped(IServiceCollection, Action{PeerTypedOptions})"/>.</summary>
public sealed class PeerTypedOptions
{
    /// <summary>The configuration section <c>AddPeerTyped(configuration)</c> reads.</summary>
    public const string SectionName = "PeerTyped";

    /// <summary>Where to connect, when the store opens its own connection.</summary>
    public PeerConnectionOptions Connection { get; set; } = new();

    /// <summary>The bucket and the write policy.</summary>
    public PeerStoreOptions Store { get; set; } = new();

    /// <summary>An existing connection to use (the host's); the host keeps ownership and disposes it. Wins over the rest.</summary>
    public INatsConnection? NatsConnection { get; set; }

    /// <summary>
    /// Picks the connection from the container when the store is first used, for example
    /// <c>o.NatsConnectionFactory = sp =&gt; sp.GetRequiredService&lt;INatsConnection&gt;()</c>; the container keeps ownership.
    /// </summary>
    public Func<IServiceProvider, INatsConnection>? NatsConnectionFactory { get; set; }

    /// <summary>NATS.Net options for a connection the store opens and owns, instead of <see cref="Connection"/>.</summary>
    public NatsOpts? NatsOpts { get; set; }
}

/// <summary>
/// Shares one store. The first <see cref="GetAsync"/> connects; callers arriving meanwhile await the same attempt. A
/// failed attempt is not kept: the next call connects again, so a host that started before NATS recovers once NATS is
/// up. Disposing closes a connection the store opened (never one the host handed in).
/// </summary>
public sealed class PeerStateStoreProvider : IAsyncDisposable
{
    private readonly Func<Task<PeerStateStore>> _connect;
    private readonly Lock _lock = new();
    private Task<PeerStateStore>? _store;
    private bool _disposed;

    /// <summary>A provider for <paramref name="options"/>; <paramref name="services"/> resolves <see cref="PeerTypedOptions.NatsConnectionFactory"/>.</summary>
    public PeerStateStoreProvider(PeerTypedOptions options, ILogger? logger, IServiceProvider? services = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        StoreOptions = options.Store;
        _connect = () =>
        {
            if (options.NatsConnection is { } connection) return Task.FromResult(new PeerStateStore(connection, options.Store, logger));
            if (options.NatsConnectionFactory is { } factory)
            {
                var resolved = factory(services ?? throw new InvalidOperationException("PeerTypedOptions.NatsConnectionFactory needs the service provider; register with AddPeerTyped"));
                return Task.FromResult(new PeerStateStore(resolved, options.Store, logger));
            }
            return options.NatsOpts is { } natsOpts
                ? PeerStateStore.ConnectAsync(natsOpts, options.Store, logger)
                : PeerStateStore.ConnectAsync(options.Connection, options.Store, logger);
        };
    }

    /// <summary>The bucket and write policy the store is opened with.</summary>
    public PeerStoreOptions StoreOptions { get; }

    /// <summary>
    /// The shared store, connecting if no attempt succeeded yet. <paramref name="cancellationToken"/> stops this caller's
    /// wait, not the attempt other callers share (it is bounded by the connect timeout).
    /// </summary>
    public Task<PeerStateStore> GetAsync(CancellationToken cancellationToken = default)
    {
        Task<PeerStateStore> attempt;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_store is null || _store.IsFaulted || _store.IsCanceled) _store = Attempt();
            attempt = _store;
        }
        return attempt.WaitAsync(cancellationToken);
    }

    private Task<PeerStateStore> Attempt()
    {
        try
        {
            return _connect();
        }
        catch (Exception ex)
        {
            // A synchronous failure (bad settings, a factory that threw) is a failed attempt like any other.
            return Task.FromException<PeerStateStore>(ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task<PeerStateStore>? store;
        lock (_lock)
        {
            _disposed = true;
            store = _store;
        }
        if (store is null) return;
        try
        {
            await (await store.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception) when (store.IsFaulted || store.IsCanceled)
        {
            // The last attempt failed: there is no connection to close, and disposing is not the place to report it.
        }
    }
}

/// <summary>The <see cref="IPeerStateStore"/> the container hands out: each call waits for the shared store.</summary>
internal sealed class ProvidedPeerStateStore(PeerStateStoreProvider provider, PeerStoreOptions options) : IPeerStateStore
{
    public ProvidedPeerStateStore(PeerStateStoreProvider provider) : this(provider, provider.StoreOptions)
    {
    }

    public PeerStoreOptions Options => options;

    private Task<PeerStateStore> Store(CancellationToken cancellationToken) => provider.GetAsync(cancellationToken);

    public async Task<PeerEntry> ReadAsync(string key, CancellationToken cancellationToken = default) =>
        await (await Store(cancellationToken).ConfigureAwait(false)).ReadAsync(key, cancellationToken).ConfigureAwait(false);

    public async Task<PeerEntry> ReadAsync(string key, ulong revision, CancellationToken cancellationToken = default) =>
        await (await Store(cancellationToken).ConfigureAwait(false)).ReadAsync(key, revision, cancellationToken).ConfigureAwait(false);

    public async Task<PeerRawEntry> ReadRawAsync(string key, ulong revision = 0, CancellationToken cancellationToken = default) =>
        await (await Store(cancellationToken).ConfigureAwait(false)).ReadRawAsync(key, revision, cancellationToken).ConfigureAwait(false);

    public async IAsyncEnumerable<PeerRawEntry> HistoryAsync(string key, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var store = await Store(cancellationToken).ConfigureAwait(false);
        await foreach (var entry in store.HistoryAsync(key, cancellationToken).ConfigureAwait(false)) yield return entry;
    }

    public async IAsyncEnumerable<PeerRawEntry> WatchAsync(string key, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var store = await Store(cancellationToken).ConfigureAwait(false);
        await foreach (var entry in store.WatchAsync(key, cancellationToken).ConfigureAwait(false)) yield return entry;
    }

    public async IAsyncEnumerable<PeerRawEntry> ListAsync(string filter = ">", [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var store = await Store(cancellationToken).ConfigureAwait(false);
        await foreach (var entry in store.ListAsync(filter, cancellationToken).ConfigureAwait(false)) yield return entry;
    }

    public async IAsyncEnumerable<string> KeysAsync(string filter = ">", [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var store = await Store(cancellationToken).ConfigureAwait(false);
        await foreach (var key in store.KeysAsync(filter, cancellationToken).ConfigureAwait(false)) yield return key;
    }

    public async IAsyncEnumerable<PeerRawEntry> WatchFilterAsync(string filter, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var store = await Store(cancellationToken).ConfigureAwait(false);
        await foreach (var entry in store.WatchFilterAsync(filter, cancellationToken).ConfigureAwait(false)) yield return entry;
    }

    public async Task<PeerWriteResult> CreateAsync(string key, PeerCycle document, string? role = PeerCycleRoles.Orchestrator, CancellationToken cancellationToken = default) =>
        await (await Store(cancellationToken).ConfigureAwait(false)).CreateAsync(key, document, role, cancellationToken).ConfigureAwait(false);

    public async Task<PeerWriteResult> CreateJsonAsync(string key, ReadOnlyMemory<byte> json, string? role = PeerCycleRoles.Orchestrator, CancellationToken cancellationToken = default) =>
        await (await Store(cancellationToken).ConfigureAwait(false)).CreateJsonAsync(key, json, role, cancellationToken).ConfigureAwait(false);

    public async Task<PeerWriteResult> UpdateAsync<TView>(string key, Func<TView, TView> change, CancellationToken cancellationToken = default)
        where TView : IRoleView<TView, PeerCycle> =>
        await (await Store(cancellationToken).ConfigureAwait(false)).UpdateAsync(key, change, cancellationToken).ConfigureAwait(false);

    public async Task<PeerWriteResult> UpdateAsync(string key, string? role, Func<PeerCycle, PeerCycle> change, CancellationToken cancellationToken = default) =>
        await (await Store(cancellationToken).ConfigureAwait(false)).UpdateAsync(key, role, change, cancellationToken).ConfigureAwait(false);

    public async Task<PeerWriteResult> UpdateJsonAsync(string key, string? role, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask<byte[]>> transform, CancellationToken cancellationToken = default) =>
        await (await Store(cancellationToken).ConfigureAwait(false)).UpdateJsonAsync(key, role, transform, cancellationToken).ConfigureAwait(false);

    public async Task<PeerWriteResult> RestoreAsync(string key, ulong revision, string role, bool force = false, CancellationToken cancellationToken = default) =>
        await (await Store(cancellationToken).ConfigureAwait(false)).RestoreAsync(key, revision, role, force, cancellationToken).ConfigureAwait(false);

    public async Task<int> NextCycleNumberAsync(string prefix, CancellationToken cancellationToken = default) =>
        await (await Store(cancellationToken).ConfigureAwait(false)).NextCycleNumberAsync(prefix, cancellationToken).ConfigureAwait(false);

    public async Task<int?> CurrentCycleNumberAsync(string prefix, CancellationToken cancellationToken = default) =>
        await (await Store(cancellationToken).ConfigureAwait(false)).CurrentCycleNumberAsync(prefix, cancellationToken).ConfigureAwait(false);

    public async Task<PeerBucketInfo> EnsureBucketAsync(CancellationToken cancellationToken = default) =>
        await (await Store(cancellationToken).ConfigureAwait(false)).EnsureBucketAsync(cancellationToken).ConfigureAwait(false);

    public async Task<PeerBucketInfo?> TryGetBucketInfoAsync(CancellationToken cancellationToken = default) =>
        await (await Store(cancellationToken).ConfigureAwait(false)).TryGetBucketInfoAsync(cancellationToken).ConfigureAwait(false);
}
