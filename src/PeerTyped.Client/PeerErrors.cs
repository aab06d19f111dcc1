using PeerTyped.Runtime;

namespace PeerTyped.Client;

/// <summary>
/// What went wrong, as a category. These are error kinds, not exit codes: several kinds share an exit code
/// (<see cref="PeerExitCodes.For"/> maps them), and "already exists" is a kind of its own, distinct from "not found".
/// The first values keep their old numbers only so that code written against the earlier enum still compiles to the
/// same meaning; never cast a kind to an exit code.
/// </summary>
public enum PeerErrorKind
{
    /// <summary>Anything else.</summary>
    Other = 1,
    /// <summary>Bad usage: a malformed key, an unknown path, a bad argument.</summary>
    Usage = 2,
    /// <summary>The revision kept changing underneath us until the retry budget ran out.</summary>
    Conflict = 3,
    /// <summary>Malformed JSON or a schema violation.</summary>
    Invalid = 4,
    /// <summary>The key, revision or bucket does not exist.</summary>
    NotFound = 5,
    /// <summary>The change touches a section the role does not own.</summary>
    Ownership = 6,
    /// <summary>NATS could not be reached or did not answer in time; nothing was sent that could have been written.</summary>
    Unavailable = 7,
    /// <summary>The key already exists (create).</summary>
    AlreadyExists = 100,
    /// <summary>The authenticated identity may not do this: a role that disagrees with the NATS user, a subject the server refused.</summary>
    NotPermitted = 101,
    /// <summary>A write was sent and no answer came back: it may or may not be stored (inspect the named revision).</summary>
    OutcomeUnknown = 102,
    /// <summary>The document was written by a newer schema version than this build knows (exit 8): upgrade the tool.</summary>
    NewerVersion = 103,
}

/// <summary>The CLI's documented exit codes, one mapping from error kinds.</summary>
public static class PeerExitCodes
{
    public const int Ok = 0;
    public const int Other = 1;
    public const int Usage = 2;
    public const int Conflict = 3;
    public const int Invalid = 4;
    public const int NotFound = 5;
    public const int Ownership = 6;
    public const int Unavailable = 7;
    public const int NewerVersion = 8;

    public static int For(PeerErrorKind kind) => kind switch
    {
        PeerErrorKind.Usage => Usage,
        PeerErrorKind.Conflict => Conflict,
        PeerErrorKind.Invalid => Invalid,
        PeerErrorKind.NotFound or PeerErrorKind.AlreadyExists => NotFound,
        PeerErrorKind.Ownership or PeerErrorKind.NotPermitted => Ownership,
        PeerErrorKind.Unavailable or PeerErrorKind.OutcomeUnknown => Unavailable,
        PeerErrorKind.NewerVersion => NewerVersion,
        _ => Other,
    };
}

/// <summary>Base of every error the store reports; <see cref="Kind"/> maps to an exit code.</summary>
public abstract class PeerStateException(string message, Exception? inner = null) : Exception(message, inner)
{
    public abstract PeerErrorKind Kind { get; }

    /// <summary>Further lines after the message (every violation after the first), for the CLI's indented detail lines.</summary>
    public virtual IReadOnlyList<string> Details => [];
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
    public override PeerErrorKind Kind => PeerErrorKind.AlreadyExists;
}

public sealed class PeerConflictException(string key, int attempts, ulong lastRevision, string? budget = null)
    : PeerStateException($"{key}: revision conflict: the document changed underneath {attempts} attempts in a row{(budget is null ? string.Empty : " within " + budget)} (last seen revision {lastRevision}); nothing was written")
{
    public override PeerErrorKind Kind => PeerErrorKind.Conflict;
}

/// <summary>The document breaks the schema; <see cref="Violations"/> lists every problem with its JSON Pointer.</summary>
public sealed class PeerValidationException(string key, IReadOnlyList<Violation> violations, string? context = null)
    : PeerStateException($"{key}: {(context is null ? string.Empty : context + ": ")}{violations[0]}{(violations.Count > 1 ? $" (and {violations.Count - 1} more)" : string.Empty)}")
{
    public IReadOnlyList<Violation> Violations { get; } = violations;

    public override IReadOnlyList<string> Details => Violations.Skip(1).Select(v => v.ToString()).ToList();

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

public sealed class PeerUnavailableException(string message, Exception? inner = null, bool timedOut = false) : PeerStateException(message, inner)
{
    public override PeerErrorKind Kind => PeerErrorKind.Unavailable;

    /// <summary>A request went unanswered within its timeout (as opposed to refused or impossible): worth trying again.</summary>
    public bool TimedOut { get; } = timedOut;
}

/// <summary>The bucket exists with settings other than the ones asked for; it is reported, never changed silently.</summary>
public sealed class PeerBucketMismatchException(string bucket, IReadOnlyList<string> differences)
    : PeerStateException($"bucket {bucket} exists with different settings: {string.Join("; ", differences)}")
{
    public IReadOnlyList<string> Differences { get; } = differences;

    public override PeerErrorKind Kind => PeerErrorKind.Other;
}

/// <summary>The authenticated identity may not do this (exit 6): the server or the gate refused it, whatever role was claimed.</summary>
public sealed class PeerNotPermittedException(string message) : PeerStateException(message)
{
    public override PeerErrorKind Kind => PeerErrorKind.NotPermitted;
}

/// <summary>
/// A write was sent and no answer came back within the retry budget, and reading the key did not show it either way:
/// it may still land. <see cref="BaseRevision"/> is the revision it was based on; the write, if stored, is the key's
/// next revision after it, carrying the attempt id in its <c>Peer-Attempt-Id</c> header.
/// </summary>
public sealed class PeerOutcomeUnknownException(string key, ulong baseRevision, string attemptId, Exception? inner = null)
    : PeerStateException($"{key}: outcome unknown: the write based on revision {baseRevision} was sent but not answered; inspect the key's next revision after {baseRevision} (`peer-typed history {key}`; attempt id {attemptId}) before retrying", inner)
{
    public ulong BaseRevision { get; } = baseRevision;

    public string AttemptId { get; } = attemptId;

    public override PeerErrorKind Kind => PeerErrorKind.OutcomeUnknown;
}

/// <summary>An error the gate reported, rebuilt on the caller's side with the gate's kind and message.</summary>
public sealed class PeerGateException(PeerErrorKind kind, string message, IReadOnlyList<string> details) : PeerStateException(message)
{
    public override PeerErrorKind Kind { get; } = kind;

    public override IReadOnlyList<string> Details { get; } = details;
}
