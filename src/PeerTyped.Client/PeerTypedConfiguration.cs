using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace PeerTyped.Client;

/// <summary>
/// Reads <see cref="PeerTypedOptions"/> from configuration by hand: no reflection (the client stays NativeAOT-safe), and
/// a misspelt key or a value that does not parse is an error naming the key instead of a setting silently ignored.
/// Keys follow the options' property names:
/// <c>Connection:Servers</c> (an array, or one comma-separated string), <c>Connection:CredsFile</c>, <c>User</c>,
/// <c>Password</c>, <c>Token</c>, <c>NKeyFile</c>, <c>TlsCaFile</c>, <c>TlsCertFile</c>, <c>TlsKeyFile</c>,
/// <c>ConnectTimeout</c>, <c>RequestTimeout</c>, <c>ClientName</c>; <c>Store:Bucket</c>, <c>History</c>,
/// <c>Replicas</c>, <c>Storage</c> (file|memory), <c>MaxValueSize</c>, <c>RetryTimeout</c>, <c>MaxConflictRetries</c>,
/// <c>WriteMode</c> (direct|gate|auto), <c>CasMode</c> (auto|perkey|stream), <c>ConflictBackoff</c>. Durations are
/// seconds (<c>2.5</c>) or a TimeSpan (<c>00:00:02.5</c>).
/// </summary>
public static class PeerTypedConfiguration
{
    private static readonly string[] ConnectionKeys =
        ["Servers", "CredsFile", "User", "Password", "Token", "NKeyFile", "TlsCaFile", "TlsCertFile", "TlsKeyFile", "ConnectTimeout", "RequestTimeout", "ClientName"];

    private static readonly string[] StoreKeys =
        ["Bucket", "History", "Replicas", "Storage", "MaxValueSize", "RetryTimeout", "MaxConflictRetries", "WriteMode", "CasMode", "ConflictBackoff"];

    /// <summary>Applies the values present in <paramref name="section"/> (the <c>PeerTyped</c> section) to <paramref name="options"/>.</summary>
    public static void Bind(IConfiguration section, PeerTypedOptions options)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(options);
        var where = section is IConfigurationSection named ? named.Path : PeerTypedOptions.SectionName;
        CheckKeys(section, where, ["Connection", "Store"]);
        var connection = section.GetSection("Connection");
        CheckKeys(connection, connection.Path, ConnectionKeys);
        var c = options.Connection;
        options.Connection = c with
        {
            Servers = Servers(connection.GetSection("Servers")) ?? c.Servers,
            CredsFile = connection["CredsFile"] ?? c.CredsFile,
            User = connection["User"] ?? c.User,
            Password = connection["Password"] ?? c.Password,
            Token = connection["Token"] ?? c.Token,
            NKeyFile = connection["NKeyFile"] ?? c.NKeyFile,
            TlsCaFile = connection["TlsCaFile"] ?? c.TlsCaFile,
            TlsCertFile = connection["TlsCertFile"] ?? c.TlsCertFile,
            TlsKeyFile = connection["TlsKeyFile"] ?? c.TlsKeyFile,
            ConnectTimeout = Duration(connection.GetSection("ConnectTimeout")) ?? c.ConnectTimeout,
            RequestTimeout = Duration(connection.GetSection("RequestTimeout")) ?? c.RequestTimeout,
            ClientName = connection["ClientName"] ?? c.ClientName,
        };
        var store = section.GetSection("Store");
        CheckKeys(store, store.Path, StoreKeys);
        var s = options.Store;
        options.Store = s with
        {
            Bucket = store["Bucket"] is { } bucket ? PeerSettings.CheckBucket(bucket, "configuration " + store.GetSection("Bucket").Path) : s.Bucket,
            History = Integer(store.GetSection("History")) ?? s.History,
            Replicas = Integer(store.GetSection("Replicas")) ?? s.Replicas,
            Storage = Enum<PeerBucketStorage>(store.GetSection("Storage")) ?? s.Storage,
            MaxValueSize = Integer(store.GetSection("MaxValueSize")) ?? s.MaxValueSize,
            RetryTimeout = Duration(store.GetSection("RetryTimeout")) ?? s.RetryTimeout,
            MaxConflictRetries = Integer(store.GetSection("MaxConflictRetries")) ?? s.MaxConflictRetries,
            WriteMode = Enum<PeerWriteMode>(store.GetSection("WriteMode")) ?? s.WriteMode,
            CasMode = Enum<PeerCasMode>(store.GetSection("CasMode")) ?? s.CasMode,
            ConflictBackoff = Duration(store.GetSection("ConflictBackoff")) ?? s.ConflictBackoff,
        };
    }

    private static void CheckKeys(IConfiguration section, string where, string[] known)
    {
        foreach (var child in section.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw new PeerUsageException($"configuration {where}:{child.Key} is not a PeerTyped setting (known: {string.Join(", ", known)})");
            }
        }
    }

    private static IReadOnlyList<string>? Servers(IConfigurationSection section)
    {
        // An array binds as Servers:0, Servers:1, …; a single value (an environment variable) may list several.
        var items = section.GetChildren().Select(child => child.Value).Where(value => value is not null).Select(value => value!).ToList();
        if (section.Value is { } text) items.Add(text);
        if (items.Count == 0) return null;
        return PeerSettings.ParseServers(string.Join(",", items), "configuration " + section.Path);
    }

    private static TimeSpan? Duration(IConfigurationSection section)
    {
        if (section.Value is not { } text) return null;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return PeerSettings.Timeout(seconds, "configuration " + section.Path);
        }
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero)
        {
            return PeerSettings.Timeout(span.TotalSeconds, "configuration " + section.Path);
        }
        throw new PeerUsageException($"configuration {section.Path}: '{text}' is not a duration (seconds, such as 2.5, or hh:mm:ss)");
    }

    private static int? Integer(IConfigurationSection section)
    {
        if (section.Value is not { } text) return null;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new PeerUsageException($"configuration {section.Path}: '{text}' is not a whole number of at least 0");
    }

    private static T? Enum<T>(IConfigurationSection section) where T : struct, Enum
    {
        if (section.Value is not { } text) return null;
        // Names only: Enum.TryParse would also take "7" and store an undefined value.
        foreach (var name in System.Enum.GetNames<T>())
        {
            if (string.Equals(name, text.Replace("-", string.Empty, StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase)) return System.Enum.Parse<T>(name);
        }
        throw new PeerUsageException($"configuration {section.Path}: '{text}' is not one of {string.Join(", ", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");
    }
}
