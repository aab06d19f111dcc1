using System.Globalization;
using System.Text.RegularExpressions;

namespace PeerTyped.Client;

/// <summary>
/// Connection and bucket settings checked before anything is sent: a bad URL, bucket name or timeout is one
/// <see cref="PeerUsageException"/> that says what is wrong (exit 2), never an exception from deep inside NATS.Net,
/// and never a silent fall-back to another server.
/// </summary>
public static partial class PeerSettings
{
    /// <summary>The URL schemes NATS.Net connects with.</summary>
    public static readonly IReadOnlyList<string> Schemes = ["nats", "tls", "ws", "wss"];

    /// <summary>Longest timeout accepted, in seconds: anything longer is a typo, and TimeSpan overflows far above it.</summary>
    public const double MaxTimeoutSeconds = 3600;

    [GeneratedRegex(@"^[a-zA-Z0-9_-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex BucketName();

    /// <summary>
    /// Splits a comma-separated server list (as NATS_URL holds it) and checks every URL; <paramref name="source"/> names
    /// where the text came from (--server/NATS_URL, a context) for the message. Passwords in URLs never appear in it.
    /// </summary>
    public static IReadOnlyList<string> ParseServers(string text, string source)
    {
        var servers = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (servers.Length == 0) throw new PeerUsageException($"{source} holds no server URL ('{text}'); expected nats://HOST:PORT, comma separated for a cluster");
        CheckServers(servers, source);
        return servers;
    }

    /// <summary>Checks each server URL: a scheme NATS.Net speaks (or none: nats://), a host, a port in range.</summary>
    public static void CheckServers(IReadOnlyList<string> servers, string source = "server URL")
    {
        if (servers.Count == 0) throw new PeerUsageException($"{source}: no server URL given");
        foreach (var server in servers)
        {
            var shown = PeerConnectionOptions.RedactUrl(server);
            var withScheme = server.Contains("://", StringComparison.Ordinal) ? server : "nats://" + server;
            if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri))
            {
                throw new PeerUsageException($"{source}: '{shown}' is not a valid URL; expected nats://HOST:PORT");
            }
            if (!Schemes.Contains(uri.Scheme))
            {
                throw new PeerUsageException($"{source}: '{shown}' uses the scheme {uri.Scheme}; NATS URLs use {string.Join(", ", Schemes.Select(s => s + "://"))}");
            }
            if (string.IsNullOrEmpty(uri.Host)) throw new PeerUsageException($"{source}: '{shown}' names no host; expected nats://HOST:PORT");
            if (uri.AbsolutePath is not ("/" or "") || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            {
                throw new PeerUsageException($"{source}: '{shown}' has a path, query or fragment; expected nats://HOST:PORT");
            }
        }
    }

    /// <summary>NATS KV bucket names: letters, digits, '-' and '_' (no dots, wildcards, spaces, nor empty).</summary>
    public static string CheckBucket(string? bucket, string source = "bucket")
    {
        if (string.IsNullOrEmpty(bucket)) throw new PeerUsageException($"{source} is empty; a bucket name is letters, digits, '-' and '_' (default {PeerStoreOptions.DefaultBucket})");
        if (!BucketName().IsMatch(bucket))
        {
            throw new PeerUsageException($"{source}: '{bucket}' is not a valid NATS KV bucket name; it may contain only letters, digits, '-' and '_'");
        }
        return bucket;
    }

    /// <summary>Seconds as the nats CLI writes them ("5", "2.5", "5s"); finite, above zero, at most an hour.</summary>
    public static TimeSpan ParseTimeout(string text, string source)
    {
        var trimmed = text.Trim();
        if (trimmed.EndsWith('s')) trimmed = trimmed[..^1];
        if (!double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            throw new PeerUsageException($"{source}: '{text}' is not a number of seconds");
        }
        return Timeout(seconds, source);
    }

    /// <summary>Checks a timeout in seconds: finite, above zero, at most <see cref="MaxTimeoutSeconds"/>.</summary>
    public static TimeSpan Timeout(double seconds, string source)
    {
        if (!double.IsFinite(seconds) || seconds <= 0 || seconds > MaxTimeoutSeconds)
        {
            throw new PeerUsageException($"{source}: {seconds.ToString(CultureInfo.InvariantCulture)} is not a timeout; expected seconds above 0 and at most {MaxTimeoutSeconds.ToString(CultureInfo.InvariantCulture)}");
        }
        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>Checks options built in code the same way the CLI's are checked.</summary>
    public static void Check(PeerConnectionOptions connection, PeerStoreOptions? store = null)
    {
        CheckServers(connection.Servers);
        Timeout(connection.ConnectTimeout.TotalSeconds, "connect timeout");
        Timeout(connection.RequestTimeout.TotalSeconds, "request timeout");
        if (store is not null) CheckBucket(store.Bucket);
    }
}
