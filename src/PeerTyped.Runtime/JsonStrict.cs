using System.Text;
using System.Text.Json;

namespace PeerTyped.Runtime;

/// <summary>
/// JSON that parses but means two things: an object with the same member name twice. RFC 8259 leaves its meaning to
/// the reader (System.Text.Json's nodes throw, jq keeps the last, a streaming reader sees both), so a document that
/// holds one is refused rather than read differently by different tools.
/// </summary>
public static class JsonStrict
{
    /// <summary>The first repeated member name, as a violation at its object's JSON Pointer; null when there is none or the JSON is malformed.</summary>
    public static Violation? FindDuplicateName(ReadOnlySpan<byte> utf8Json, JsonReaderOptions options)
    {
        var reader = new Utf8JsonReader(utf8Json, options);
        // One frame per open container: the names seen (objects), the last index (arrays), the pointer segment to it.
        var frames = new List<(HashSet<string>? Names, int Index, string Segment)>();
        string? lastName = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        try
                        {
                            lastName = reader.GetString()!;
                        }
                        catch (InvalidOperationException)
                        {
                            return null; // an unpaired surrogate escape: the validator reports that itself
                        }
                        if (!frames[^1].Names!.Add(lastName))
                        {
                            return new Violation(Pointer(frames), "json", $"the member \"{Shorten(lastName)}\" appears twice in this object; JSON readers disagree on which one counts");
                        }
                        break;
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        var segment = frames.Count == 0 ? string.Empty : NextSegment(frames, lastName);
                        frames.Add((reader.TokenType == JsonTokenType.StartObject ? new HashSet<string>(StringComparer.Ordinal) : null, -1, segment));
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        break;
                    default:
                        if (frames.Count > 0) NextSegment(frames, lastName);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }
        return null;
    }

    /// <summary>The pointer segment of the next value in the innermost container (an array's index advances).</summary>
    private static string NextSegment(List<(HashSet<string>? Names, int Index, string Segment)> frames, string? lastName)
    {
        var parent = frames[^1];
        if (parent.Names is not null) return JsonPointer.Escape(lastName ?? string.Empty);
        frames[^1] = parent with { Index = parent.Index + 1 };
        return (parent.Index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Pointer(List<(HashSet<string>? Names, int Index, string Segment)> frames)
    {
        var builder = new StringBuilder();
        for (var i = 1; i < frames.Count; i++) builder.Append('/').Append(frames[i].Segment);
        return builder.ToString();
    }

    private static string Shorten(string name) => name.Length > 60 ? name[..57] + "..." : name;
}
