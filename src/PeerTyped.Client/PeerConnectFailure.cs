namespace PeerTyped.Client;

/// <summary>
/// Why a connection failed, in words: a server that refused the credentials is not a server that cannot be reached.
/// Both are <see cref="PeerErrorKind.Unavailable"/> (exit 7): the command could not talk to NATS.
/// </summary>
internal static class PeerConnectFailure
{
    public static PeerUnavailableException From(PeerConnectionOptions connection, string redactedMessage)
    {
        if (redactedMessage.Contains("Authorization Violation", StringComparison.OrdinalIgnoreCase)
            || redactedMessage.Contains("Authentication", StringComparison.OrdinalIgnoreCase)
            || redactedMessage.Contains("authorization", StringComparison.OrdinalIgnoreCase))
        {
            return new PeerUnavailableException($"NATS at {connection.DisplayServers} refused the credentials ({Credentials(connection)}): authentication failed: {redactedMessage}");
        }
        return new PeerUnavailableException($"cannot reach NATS at {connection.DisplayServers}: {redactedMessage}");
    }

    /// <summary>Which kind of credentials were offered, never their values.</summary>
    private static string Credentials(PeerConnectionOptions connection)
    {
        var kinds = new List<string>();
        if (connection.CredsFile is not null) kinds.Add("creds file " + connection.CredsFile);
        if (connection.NKeyFile is not null) kinds.Add("nkey file " + connection.NKeyFile);
        if (connection.User is not null) kinds.Add("user " + connection.User + " with a password");
        if (connection.Token is not null) kinds.Add("a token");
        if (connection.Servers.Any(s => s.Contains('@', StringComparison.Ordinal))) kinds.Add("credentials in the URL");
        return kinds.Count == 0 ? "none were given: set NATS_CREDS, NATS_NKEY, NATS_USER/NATS_PASSWORD or NATS_TOKEN, or use a nats context" : string.Join(", ", kinds);
    }
}
