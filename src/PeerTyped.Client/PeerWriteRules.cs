using PeerTyped.Contracts;
using PeerTyped.Runtime;

namespace PeerTyped.Client;

/// <summary>
/// The document as stored (upgraded in memory when older); <see cref="Invalid"/> says why it is not valid.
/// <see cref="Stored"/> is set when the stored bytes are an older schema version that <see cref="Json"/> upgrades.
/// </summary>
internal readonly record struct Current(ReadOnlyMemory<byte> Json, PeerCycle? Document, PeerValidationException? Invalid, ReadOnlyMemory<byte>? Stored = null);

/// <summary>The new document: typed (already in canonical form once written) or raw JSON from an untyped transform.</summary>
internal readonly record struct Proposal(PeerCycle? Typed, ReadOnlyMemory<byte>? Json);

/// <summary>The limits a document must fit: the bucket's max value size and the server's max_payload (0: unknown).</summary>
internal readonly record struct PeerSizeLimit(long BucketMaxValueSize, long ServerMaxPayload, string Bucket);

/// <summary>
/// What a write would store: <see cref="Next"/> is null when the change alters nothing. <see cref="Document"/> is
/// <see cref="Next"/> read as the typed document, when the rules had it at hand.
/// </summary>
internal readonly record struct WritePlan(byte[]? Next, IReadOnlyList<JsonChange> Changes, PeerCycle? Document = null);

/// <summary>The changes between two documents, computed when first asked for (a gate-mode caller rarely asks).</summary>
internal sealed class DeferredChanges(Func<IReadOnlyList<JsonChange>> diff) : IReadOnlyList<JsonChange>
{
    private IReadOnlyList<JsonChange>? _changes;

    private IReadOnlyList<JsonChange> Changes => _changes ??= diff();

    public JsonChange this[int index] => Changes[index];

    public int Count => Changes.Count;

    public IEnumerator<JsonChange> GetEnumerator() => Changes.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// The rules every write passes, in one place, with no I/O: validate the whole document, check it against its key,
/// diff it against the current one, check the writing role owns every change, check the size. Direct mode runs them in
/// the caller's process; the gate runs the same code with the role it took from the request's subject (a gate-mode
/// caller sends a typed change unchecked, <see cref="PlanForGate"/>: the gate's verdict is the one that counts).
/// </summary>
internal static class PeerWriteRules
{
    public static Current Load(PeerRawEntry entry)
    {
        if (entry.Operation != PeerOperation.Put) throw new PeerNotFoundException($"{entry.Key}: not found (the key was deleted)");
        // An older schema version is upgraded in memory (the write stores the current version); a newer one throws (exit 8).
        var stored = PeerDocumentVersions.ToCurrent(entry.Key, entry.Value);
        var validation = PeerDocumentCheck.Check(entry.Key, stored.Span, out var document);
        if (document is null)
        {
            return new Current(stored, null, new PeerValidationException(entry.Key, validation.Violations,
                $"stored revision {entry.Revision} is not schema-valid, so it cannot be changed (an operator can restore a good revision: `peer-typed doctor {entry.Key}`)"));
        }
        // The stored bytes as they are: the diff compares typed values (JSON values), so formatting and key order are
        // never "changes", and re-writing the stored revision in canonical form would cost every update.
        var upgraded = PeerDocumentVersions.VersionOf(entry.Value.Span) is { } version && version < PeerDocumentVersions.Current;
        return new Current(stored, document, null, upgraded ? entry.Value : null);
    }

    /// <summary>Validation, key check, diff, ownership and size for an update of <paramref name="current"/>.</summary>
    public static WritePlan PlanUpdate(string key, string? role, Current current, Proposal proposed, PeerSizeLimit sizeLimit)
    {
        if (proposed.Typed is not null && proposed.Typed.Equals(current.Document)) return new WritePlan(null, []);
        PeerCycle document;
        var next = proposed.Typed is { } typed ? Canonical(key, document = typed, "the changed document", current.Document) : Normalize(key, proposed.Json!.Value, "the changed document", out document);
        // Both sides are typed (a typed change, or the proposal as Normalize read it), so the diff compares members and
        // walks only those that differ, finding the changes a diff of the JSON texts would find.
        IReadOnlyList<JsonChange> changes = current.Document is null
            ? [new JsonChange(string.Empty, "(invalid document)", "(valid document)")]
            : JsonChanges.Between(current.Document, document);
        if (changes.Count == 0)
        {
            // The operator's unchanged document over an older stored version is `migrate`: it stores the current
            // version, and the changes logged are the upgrade's. Any other role's no-op stays a no-op.
            if (current.Stored is not { } stored || role != PeerCycle.Superuser) return new WritePlan(null, changes);
            changes = JsonChanges.Between(stored, next);
        }
        CheckOwnership(key, role, changes);
        CheckSize(key, next, sizeLimit);
        return new WritePlan(next, changes, document);
    }

    /// <summary>
    /// A typed change a gate-mode caller sends: written in canonical form, nothing more. The gate runs every rule (and
    /// must: it cannot trust a caller), answers with the same typed errors, and the caller does not pay for them twice;
    /// the changes are diffed only if someone reads them.
    /// </summary>
    public static WritePlan PlanForGate(string? role, Current current, PeerCycle proposed)
    {
        var unchanged = proposed.Equals(current.Document);
        // The operator's unchanged document over an older stored version is `migrate`, which stores the current version.
        if (unchanged && (current.Stored is null || role != PeerCycle.Superuser)) return new WritePlan(null, []);
        var next = WriteTyped(proposed);
        var changes = unchanged
            ? new DeferredChanges(() => JsonChanges.Between(current.Stored!.Value, next))
            : new DeferredChanges(() => JsonChanges.Between(current.Document!, proposed));
        return new WritePlan(next, changes, proposed);
    }

    /// <summary>Validation, key check, ownership and size for a new document.</summary>
    public static byte[] PlanCreate(string key, string? role, ReadOnlyMemory<byte> json, PeerSizeLimit sizeLimit)
    {
        if (role is not null && role != PeerCycle.Superuser && !PeerCycle.MayWrite(role, string.Empty))
        {
            throw new PeerOwnershipException(key, role, [new OwnershipViolation("(document)", PeerCycle.OwnersOf(string.Empty))]);
        }
        var bytes = Normalize(key, json, "the new document");
        CheckSize(key, bytes, sizeLimit);
        return bytes;
    }

    /// <summary>The bytes of a revision to restore, after the operator-only and validity checks.</summary>
    public static byte[] PlanRestore(string key, string role, PeerRawEntry target, bool force)
    {
        if (role != PeerCycle.Superuser)
        {
            throw new PeerOwnershipException(key, role, [new OwnershipViolation("(restore)", [PeerCycle.Superuser ?? "(none)"])]);
        }
        if (target.Operation != PeerOperation.Put || target.Value.IsEmpty)
        {
            throw new PeerValidationException(key, [new Violation(string.Empty, "json", $"revision {target.Revision} is {(target.Operation != PeerOperation.Put ? "a " + target.Operation.ToString().ToLowerInvariant() + " marker" : "empty")}; there is nothing to restore")]);
        }
        // A newer-version revision cannot be restored by a build that does not know its version (exit 8);
        // an older one is checked as it reads after its upgrade, and restored as stored.
        var validation = PeerDocumentCheck.Check(key, PeerDocumentVersions.ToCurrent(key, target.Value).Span);
        if (!validation.IsValid && !force)
        {
            throw new PeerValidationException(key, validation.Violations, $"revision {target.Revision} is not schema-valid (restore it anyway with --force)");
        }
        return target.Value.ToArray();
    }

    /// <summary>Validates, checks the key, and returns the document in the one canonical form every write stores.</summary>
    public static byte[] Normalize(string key, ReadOnlyMemory<byte> json, string what) => Normalize(key, json, what, out _);

    /// <inheritdoc cref="Normalize(string, ReadOnlyMemory{byte}, string)"/>
    public static byte[] Normalize(string key, ReadOnlyMemory<byte> json, string what, out PeerCycle document)
    {
        var validation = PeerCycle.Validate(json.Span);
        if (!validation.IsValid) throw new PeerValidationException(key, validation.Violations, what + " is invalid");
        document = PeerCycle.Parse(json.Span);
        var bytes = document.ToUtf8Bytes();
        // Input already in canonical form (what every PeerTyped client sends the gate) was validated as these very
        // bytes; anything else is validated again as written.
        if (!bytes.AsSpan().SequenceEqual(json.Span))
        {
            validation = PeerCycle.Validate(bytes);
            if (!validation.IsValid) throw new PeerValidationException(key, validation.Violations, what + " is invalid");
        }
        CheckKey(key, document, what);
        return bytes;
    }

    /// <summary>
    /// Writes a typed document, validates it (typed values can still break minimum, pattern or maxItems) and checks it
    /// against its key. The writer's output is the canonical form, so it is stored as it is. A change of a valid
    /// <paramref name="before"/> is shown valid on the typed values, checking only what the change did not share with
    /// it (<c>IsValidChange</c>); what that cannot show is decided, and explained, by validating the written bytes.
    /// </summary>
    public static byte[] Canonical(string key, PeerCycle document, string what, PeerCycle? before = null)
    {
        var bytes = WriteTyped(document);
        if (!PeerCycle.IsValidChange(before, document))
        {
            var validation = PeerCycle.Validate(bytes);
            if (!validation.IsValid) throw new PeerValidationException(key, validation.Violations, what + " is invalid");
        }
        CheckKey(key, document, what);
        return bytes;
    }

    /// <summary>
    /// A typed change's document in canonical form. Its sections are remembered (<see cref="WrittenJson"/>): the same
    /// process's next change of it shares, and so copies, every section that change does not touch.
    /// </summary>
    private static byte[] WriteTyped(PeerCycle document) => JsonText.WriteRemembering(document, static (d, writer) => d.WriteJson(writer));

    private static void CheckKey(string key, PeerCycle document, string what)
    {
        PeerKey.Parse(key);
        var mismatches = PeerDocumentCheck.KeyMismatches(key, document);
        if (mismatches.Count > 0) throw new PeerValidationException(key, mismatches, what + " does not match its key");
    }

    public static void CheckOwnership(string key, string? role, IReadOnlyList<JsonChange> changes)
    {
        if (role is not null && role == PeerCycle.Superuser) return;
        if (role is not null)
        {
            var denied = changes.Where(c => !PeerCycle.MayWrite(role, c.Pointer)).Select(c => new OwnershipViolation(c.Pointer, PeerCycle.OwnersOf(c.Pointer))).ToList();
            if (denied.Count > 0) throw new PeerOwnershipException(key, role, denied);
            return;
        }
        // No role given: metadata (owned by every role) plus the sections of at most one role.
        var owners = changes.Select(c => (Change: c, Owners: PeerCycle.OwnersOf(c.Pointer)))
            .Where(c => !c.Owners.Contains("*"))
            .GroupBy(c => string.Join(",", c.Owners))
            .ToList();
        if (owners.Count > 1)
        {
            throw new PeerOwnershipException(key, null, owners.SelectMany(g => g).OrderBy(c => c.Change.Pointer, StringComparer.Ordinal).Select(c => new OwnershipViolation(c.Change.Pointer, c.Owners)).ToList());
        }
    }

    public static void CheckSize(string key, byte[] document, PeerSizeLimit limit) =>
        PeerLimits.CheckDocumentSize(key, document.Length, limit.BucketMaxValueSize, limit.Bucket, limit.ServerMaxPayload);

    public static void CheckRole(string? role)
    {
        if (role is not null && !PeerCycle.Roles.Contains(role))
        {
            throw new PeerUsageException($"unknown role '{role}'; expected one of {string.Join(", ", PeerCycle.Roles)}");
        }
    }
}
