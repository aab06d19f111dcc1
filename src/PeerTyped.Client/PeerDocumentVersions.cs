using PeerTyped.Contracts;
using PeerTyped.Runtime;

namespace PeerTyped.Client;

/// <summary>
/// "Upgrade in memory": turns stored bytes of any schema version this build can read into the current version. The
/// stored value is never touched; the next compare-and-set write stores the current version.
/// </summary>
public static class PeerDocumentVersions
{
    /// <summary>The schema version this build writes.</summary>
    // Read at run time, not the generated constant (which the compiler would copy into this assembly): the version is
    // the PeerTyped.Contracts assembly's, so a v2 Contracts next to this client makes it a v2 client.
    public static int Current => PeerCycle.Upgrades.CurrentVersion;

    /// <summary>Every schema version this build reads, oldest first.</summary>
    public static IReadOnlyList<int> Readable => PeerCycle.Upgrades.ReadableVersions;

    /// <summary>The schema version that wrote <paramref name="stored"/> (null when its <c>version</c> is missing or not a number).</summary>
    public static int? VersionOf(ReadOnlySpan<byte> stored) => SchemaUpgrades.VersionOf(stored);

    /// <summary>Whether <paramref name="stored"/> was written by a schema version newer than this build knows.</summary>
    public static bool IsNewer(ReadOnlySpan<byte> stored) => VersionOf(stored) is { } version && version > Current;

    /// <summary>
    /// The document as the current schema version. Throws <see cref="PeerNewerVersionException"/> for a newer version;
    /// returns the bytes unchanged when they are current or carry no readable version (validation then explains).
    /// </summary>
    public static ReadOnlyMemory<byte> ToCurrent(string key, ReadOnlyMemory<byte> stored)
    {
        var version = VersionOf(stored.Span);
        if (version is null || version == Current) return stored;
        if (version > Current) throw new PeerNewerVersionException(key, version.Value, Current);
        if (!PeerCycle.Upgrades.CanRead(version.Value)) return stored;
        try
        {
            return PeerCycle.Upgrades.Upgrade(stored.Span, version.Value);
        }
        catch (System.Text.Json.JsonException)
        {
            return stored; // malformed JSON: the validator names the byte
        }
    }

    /// <summary>Validates a stored value after upgrading it, and checks it against its key (a newer-version document is not validated: see <see cref="IsNewer"/>).</summary>
    public static ValidationResult Validate(string key, ReadOnlyMemory<byte> stored) => PeerDocumentCheck.Check(key, ToCurrent(key, stored).Span);
}

/// <summary>The document was written by a newer schema version than this build knows: upgrade the tool, not the data (exit 8).</summary>
public sealed class PeerNewerVersionException(string key, int version, int known)
    : PeerStateException($"{key}: written by schema version {version}; this peer-typed knows up to version {known} (upgrade peer-typed)")
{
    public int Version { get; } = version;

    public override PeerErrorKind Kind => PeerErrorKind.NewerVersion;
}
