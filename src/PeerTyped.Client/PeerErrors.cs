using PeerTyped.Runtime;

namespace PeerTyped.Client;

/// <summary>What went wrong, as a category. The values are the CLI's documented exit codes.</summary>
public enum PeerErrorKind
{
    /// <summary>Anything else (exit 1).</summary>
    Other = 1,
    /// <summary>Bad usage: a malformed key, an unknown path, a bad argument (exit 2).</summary>
    Usage = 2,
    /// <summary>The revision kept changing underneath us and the retries ran out (exit 3).</summary>
    Conflict = 3,
    /// <summary>Malformed JSON or a schema violation (exit 4).</summary>
    Invalid = 4,
    /// <summary>The key (or bucket) does not exist, or already exists (exit 5).</summary>
    NotFound = 5,
    /// <summary>The change touches a section the role does not own (exit 6).</summary>
    Ownership = 6,
    /// <summary>NATS could not be reached or did not answer in time (exit 7).</summary>
    Unavailable = 7,
    /// <summary>The document was written by a newer schema version than this build knows (exit 8): upgrade the tool.</summary>
    NewerVersion = 8,
}

/// <summary>Base of every error the store reports; <see cref="Kind"/> maps to an exit code.</summary>
public abstract class PeerStateException(string message, Exception? inner = null) : Exception(message, inner)
{
    public abstract PeerErrorKind Kind { get; }
}

public sealed class PeerUsageException(string message) : PeerStateException(message)
{
    public override PeerErrorKind Kind => PeerErrorKind.Usage;
}

public sealed class PeerNotFoundException(string message) : PeerStateException(message)
{
    public override PeerErrorKind Kind => PeerErrorKind.NotFound;
}

public sealed class PeerAlreadyExistsException(string key) : PeerStateException($"{key}: already exists; use update, set or patch to change it")
{
    public override PeerErrorKind Kind => PeerErrorKind.NotFound;
}

public sealed class PeerConflictException(string key, int attempts, ulong lastRevision)
    : PeerStateException($"{key}: revision conflict: the document changed underneath {attempts} attempts in a row (last seen revision {lastRevision}); nothing was written")
{
    public override PeerErrorKind Kind => PeerErrorKind.Conflict;
}

/// <summary>The document breaks the schema; <see cref="Violations"/> lists every problem with its JSON Pointer.</summary>
public sealed class PeerValidationException(string key, IReadOnlyList<Violation> violations, string? context = null)
    : PeerStateException($"{key}: {(context is null ? string.Empty : context + ": ")}{violations[0]}{(violations.Count > 1 ? $" (and {violations.Count - 1} more)" : string.Empty)}")
{
    public IReadOnlyList<Violation> Violations { get; } = violations;

    public override PeerErrorKind Kind => PeerErrorKind.Invalid;
}

/// <summary>One changed value the writing role does not own.</summary>
public sealed record OwnershipViolation(string Pointer, IReadOnlyList<string> Owners)
{
    public override string ToString() => $"{Pointer} (owned by {string.Join(", ", Owners)})";
}

public sealed class PeerOwnershipException(string key, string? role, IReadOnlyList<OwnershipViolation> violations)
    : PeerStateException(role is null
        ? $"{key}: with no role (PEER_ROLE unset) a write may change metadata and the sections of one role only; this one changes {string.Join(", ", violations)}; nothing was written"
        : $"{key}: role '{role}' may not change {string.Join(", ", violations)}; nothing was written")
{
    /// <summary>The role that tried the write; null when none was given.</summary>
    public string? Role { get; } = role;

    public IReadOnlyList<OwnershipViolation> Violations { get; } = violations;

    public override PeerErrorKind Kind => PeerErrorKind.Ownership;
}

public sealed class PeerUnavailableException(string message, Exception? inner = null) : PeerStateException(message, inner)
{
    public override PeerErrorKind Kind => PeerErrorKind.Unavailable;
}

/// <summary>The bucket exists with settings other than the ones asked for; it is reported, never changed silently.</summary>
public sealed class PeerBucketMismatchException(string bucket, IReadOnlyList<string> differences)
    : PeerStateException($"bucket {bucket} exists with different settings: {string.Join("; ", differences)}")
{
    public IReadOnlyList<string> Differences { get; } = differences;

    public override PeerErrorKind Kind => PeerErrorKind.Other;
}
