using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PeerTyped.Client;

/// <summary>Registration for hosted use.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="PeerStateStore"/> that connects on first use with the given options.
    /// Resolve <see cref="PeerStateStoreProvider"/> and await <see cref="PeerStateStoreProvider.GetAsync"/>.
    /// </summary>
    public static IServiceCollection AddPeerTyped(this IServiceCollection services, Action<PeerTypedOptions>? configure = null)
    {
        var options = new PeerTypedOptions();
        configure?.Invoke(options);
        services.AddSingleton(options);
        services.AddSingleton(provider => new PeerStateStoreProvider(options, provider.GetService<ILoggerFactory>()?.CreateLogger<PeerStateStore>()));
        return services;
    }
}

/// <summary>Options for <see cref="ServiceCollectionExtensions.AddPeerTyped"/>.</summary>
public sealed class PeerTypedOptions
{
    public PeerConnectionOptions Connection { get; set; } = new();

    public PeerStoreOptions Store { get; set; } = new();
}

/// <summary>Connects once, lazily, and shares the store; disposing the container closes the connection.</summary>
public sealed class PeerStateStoreProvider(PeerTypedOptions options, ILogger? logger) : IAsyncDisposable
{
    private readonly Lazy<Task<PeerStateStore>> _store = new(() => PeerStateStore.ConnectAsync(options.Connection, options.Store, logger));

    public Task<PeerStateStore> GetAsync(CancellationToken cancellationToken = default) => _store.Value.WaitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_store.IsValueCreated && _store.Value.IsCompletedSuccessfully) await (await _store.Value.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
    }
}
