using PeerTyped.Contracts;
using PeerTyped.Runtime;

namespace PeerTyped.Client;

/// <summary>One value that differs between two documents; null JSON means absent.</summary>
public sealed record JsonChange(string Pointer, string? OldJson, string? NewJson)
{
    public override string ToString() => $"{(Pointer.Length == 0 ? "(document)" : Pointer)}: {OldJson ?? "(absent)"} -> {NewJson ?? "(absent)"}";
}

/// <summary>
/// The differences between two documents as JSON Pointers, descending into objects. Arrays of different length count
/// as one change of the whole array, since an inserted item is one change, not a change to every later index.
/// </summary>
public static class JsonChanges
{
    /// <summary>The differences between two JSON texts (<see cref="JsonDiff.Between"/>).</summary>
    public static IReadOnlyList<JsonChange> Between(ReadOnlyMemory<byte> before, ReadOnlyMemory<byte> after) => Of(JsonDiff.Between(before, after));

    /// <summary>
    /// The differences between two typed documents: the same changes as between their JSON texts, found by walking only
    /// the members whose values differ (an unchanged section that a <c>With*</c> call shared is not even looked at).
    /// </summary>
    public static IReadOnlyList<JsonChange> Between(PeerCycle before, PeerCycle after)
    {
        var diff = new JsonDiff();
        PeerCycle.DiffJson(before, after, string.Empty, diff);
        return Of(diff.Changes);
    }

    private static IReadOnlyList<JsonChange> Of(IReadOnlyList<JsonDifference> differences)
    {
        if (differences.Count == 0) return [];
        var changes = new JsonChange[differences.Count];
        for (var i = 0; i < changes.Length; i++) changes[i] = new JsonChange(differences[i].Pointer, differences[i].OldJson, differences[i].NewJson);
        return changes;
    }
}
