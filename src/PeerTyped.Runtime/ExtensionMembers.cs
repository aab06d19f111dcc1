using System.Collections;
using System.Text.Json;

namespace PeerTyped.Runtime;

/// <summary>
/// Properties an open object carries beyond the ones its schema names, in the order they were read. They are written
/// back unchanged, so fields a newer agent adds survive every read-modify-write by an older one. Equality ignores order.
/// </summary>
public sealed class ExtensionMembers : IReadOnlyList<KeyValuePair<string, RawJson>>, IEquatable<ExtensionMembers>
{
    private readonly KeyValuePair<string, RawJson>[] _members;

    private ExtensionMembers(KeyValuePair<string, RawJson>[] members) => _members = members;

    public static ExtensionMembers Empty { get; } = new([]);

    public int Count => _members.Length;

    public KeyValuePair<string, RawJson> this[int index] => _members[index];

    /// <summary>The value of <paramref name="name"/>, or null.</summary>
    public RawJson? this[string name]
    {
        get
        {
            foreach (var member in _members)
            {
                if (member.Key == name) return member.Value;
            }
            return null;
        }
    }

    /// <summary>A copy with <paramref name="name"/> set to <paramref name="value"/> (replaced in place, or appended).</summary>
    public ExtensionMembers With(string name, RawJson value)
    {
        var list = new List<KeyValuePair<string, RawJson>>(_members);
        var index = list.FindIndex(m => m.Key == name);
        if (index >= 0) list[index] = new(name, value);
        else list.Add(new(name, value));
        return new ExtensionMembers([.. list]);
    }

    /// <summary>A copy without <paramref name="name"/>.</summary>
    public ExtensionMembers Without(string name) => new(_members.Where(m => m.Key != name).ToArray());

    public static ExtensionMembers From(IEnumerable<KeyValuePair<string, RawJson>> members)
    {
        var array = members.ToArray();
        return array.Length == 0 ? Empty : new ExtensionMembers(array);
    }

    /// <summary>Writes every member as a property of the object being written.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        foreach (var member in _members)
        {
            writer.WritePropertyName(member.Key);
            member.Value.WriteTo(writer);
        }
    }

    /// <summary>
    /// Whether every member is one <paramref name="before"/> holds with the same value, each name once: a valid
    /// object's extension members, some removed, are still valid (they are free-form; a name written twice is not).
    /// </summary>
    public bool IsSubsetOf(ExtensionMembers? before)
    {
        if (ReferenceEquals(this, before) || Count == 0) return true;
        if (before is null || Count > before.Count) return false;
        for (var i = 0; i < _members.Length; i++)
        {
            if (!Equals(before[_members[i].Key], _members[i].Value)) return false;
            for (var j = 0; j < i; j++)
            {
                if (_members[j].Key == _members[i].Key) return false;
            }
        }
        return true;
    }

    /// <summary>Whether any member has one of <paramref name="names"/> (the names an object's schema declares).</summary>
    public bool HasAnyName(scoped ReadOnlySpan<string> names)
    {
        foreach (var member in _members)
        {
            if (names.Contains(member.Key)) return true;
        }
        return false;
    }

    public bool Equals(ExtensionMembers? other)
    {
        if (other is null || other.Count != Count) return false;
        foreach (var member in _members)
        {
            if (!Equals(other[member.Key], member.Value)) return false;
        }
        return true;
    }

    public override bool Equals(object? obj) => obj is ExtensionMembers other && Equals(other);

    public override int GetHashCode()
    {
        var hash = 0;
        foreach (var member in _members) hash ^= HashCode.Combine(member.Key, member.Value);
        return hash;
    }

    public IEnumerator<KeyValuePair<string, RawJson>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, RawJson>>)_members).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Collects members while an object is read; allocates nothing until the first unknown property.</summary>
    public struct Builder
    {
        private List<KeyValuePair<string, RawJson>>? _members;

        public void Add(string name, RawJson value) => (_members ??= []).Add(new(name, value));

        public readonly ExtensionMembers Build() => _members is null ? Empty : new ExtensionMembers([.. _members]);
    }
}
