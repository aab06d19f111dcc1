using PeerTyped.Contracts;
using PeerTyped.Runtime;

namespace PeerTyped.Client;

/// <summary>
/// What makes a stored value a usable document for its key, checked the same way on every read, on every write and in
/// history/doctor: schema-valid, readable by the generated reader, and about this key — its <c>cycle_id</c>, its
/// <c>metadata.key_prefix</c> and <c>metadata.cycle_number</c> agree with the key it is stored under (cycle 2's document
/// under cycle 1's key would have an agent work on the wrong cycle).
/// </summary>
public static class PeerDocumentCheck
{
    /// <summary>The violations of <paramref name="utf8Json"/> stored under <paramref name="key"/>; empty when it is usable. Never throws.</summary>
    public static ValidationResult Check(string key, ReadOnlySpan<byte> utf8Json) => Check(key, utf8Json, out _);

    /// <summary>As <see cref="Check(string, ReadOnlySpan{byte})"/>, and the parsed document when it is usable.</summary>
    public static ValidationResult Check(string key, ReadOnlySpan<byte> utf8Json, out PeerCycle? document)
    {
        document = null;
        ValidationResult validation;
        try
        {
            validation = PeerCycle.Validate(utf8Json);
        }
#pragma warning disable CA1031 // Any stored bytes at all must end in a verdict, never a crash of history or doctor.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return ValidationResult.Of([new Violation(string.Empty, "json", $"the validator cannot check it ({ex.GetType().Name})")]);
        }
        if (!validation.IsValid) return validation;
        PeerCycle parsed;
        try
        {
            parsed = PeerCycle.Parse(utf8Json);
        }
#pragma warning disable CA1031 // A value the validator accepts but the reader cannot read is reported, not thrown.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return ValidationResult.Of([new Violation(string.Empty, "json", $"schema-valid but the reader cannot read it ({ex.GetType().Name}: {ex.Message})")]);
        }
        var mismatches = KeyMismatches(key, parsed);
        if (mismatches.Count > 0) return ValidationResult.Of(mismatches);
        document = parsed;
        return validation;
    }

    /// <summary>Where <paramref name="document"/> disagrees with <paramref name="key"/>; empty when they agree (or the key is not a cycle key).</summary>
    public static IReadOnlyList<Violation> KeyMismatches(string key, PeerCycle document)
    {
        string prefix;
        int cycleNumber;
        try
        {
            (prefix, cycleNumber) = PeerKey.Parse(key);
        }
        catch (PeerUsageException)
        {
            return [];
        }
        // Made only when there is a mismatch: a document that matches its key (every write checks) allocates nothing.
        List<Violation>? mismatches = null;
        if (document.CycleId != key) (mismatches ??= []).Add(new Violation("/cycle_id", "key", $"\"{document.CycleId}\" must equal the key \"{key}\""));
        if (document.Metadata.KeyPrefix != prefix) (mismatches ??= []).Add(new Violation("/metadata/key_prefix", "key", $"\"{document.Metadata.KeyPrefix}\" must equal the key's prefix \"{prefix}\""));
        if (document.Metadata.CycleNumber != cycleNumber) (mismatches ??= []).Add(new Violation("/metadata/cycle_number", "key", $"{document.Metadata.CycleNumber} must equal the key's cycle number {cycleNumber}"));
        return (IReadOnlyList<Violation>?)mismatches ?? [];
    }
}
