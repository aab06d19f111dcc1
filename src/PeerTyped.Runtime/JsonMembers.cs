using System.Text.Json;

namespace PeerTyped.Runtime;

/// <summary>Which of an object's declared members a property name is, for the generated reader and validator.</summary>
public static class JsonMembers
{
    /// <summary>
    /// The index in <paramref name="names"/> of the member name the reader is on, or -1. <paramref name="next"/> (the
    /// index after the last match) is tried first, since written documents list members in schema order; an escaped
    /// name is compared as the text it stands for.
    /// </summary>
    public static int Match(ref Utf8JsonReader reader, ref int next, byte[][] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            var name = reader.ValueSpan;
            if ((uint)next < (uint)names.Length && name.SequenceEqual(names[next])) return next++;
            for (var i = 0; i < names.Length; i++)
            {
                if (name.SequenceEqual(names[i]))
                {
                    next = i + 1;
                    return i;
                }
            }
            return -1;
        }
        for (var i = 0; i < names.Length; i++)
        {
            if (reader.ValueTextEquals(names[i]))
            {
                next = i + 1;
                return i;
            }
        }
        return -1;
    }
}
