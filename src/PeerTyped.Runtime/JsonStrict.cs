using System.Text.Json;

namespace PeerTyped.Runtime;

/// <summary>
/// JSON that parses but means two things: an object with the same member name twice. RFC 8259 leaves its meaning to
/// the reader (System.Text.Json's nodes throw, jq keeps the last, a streaming reader sees both), so a document that
/// holds one is refused rather than read differently by different tools.
/// </summary>
public static class JsonStrict
{
    /// <summary>The first repeated member name, as a violation at its object's JSON Pointer; null when there is none or the JSON is malformed before one.</summary>
    public static Violation? FindDuplicateName(ReadOnlySpan<byte> utf8Json, JsonReaderOptions options)
    {
        // The generated validators' own check, applied to JSON of any shape: one definition of a repeated name.
        var context = new ValidationContext();
        var reader = new Utf8JsonReader(utf8Json, options);
        try
        {
            if (reader.Read()) context.SkipCheckingNames(ref reader);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Malformed JSON, or an unpaired surrogate escape in a name: the callers report those themselves.
        }
        return context.Duplicate;
    }
}
