using PeerTyped.Runtime;

namespace PeerTyped.Client;

/// <summary>
/// Size limits known before a write is sent: the bucket's max value size (its stream's max_msg_size) and the server's
/// max_payload (from INFO). Both count a message's headers as well as its value, so a document has to leave room for
/// the compare-and-set headers. Checked before publishing, so an oversized document is one clear error (exit 4)
/// instead of a refused publish whose error NATS.Net reports as something else.
/// </summary>
public static class PeerLimits
{
    /// <summary>
    /// Bytes kept free for the headers a write carries: the NATS/1.0 line (10), the expected revision or stream
    /// sequence (up to 59), the expected stream name (27 plus the bucket's), and an attempt id as Nats-Msg-Id and as a
    /// header of its own (about 55 each with a 36-character id) — about 210 plus the bucket name's length at most;
    /// 320 leaves room for one more header.
    /// </summary>
    public static int HeaderReserve(string bucket) => 320 + bucket.Length;

    /// <summary>
    /// The longest key accepted, in characters. A key travels in the subject of every publish and request, and the
    /// server's control line (subject, reply inbox and sizes) is limited to 4 KB by default; a longer line is refused
    /// by closing the connection, which would otherwise surface as a time-out.
    /// </summary>
    public const int MaxKeyLength = 1024;

    /// <summary>The largest document a write may carry; null when neither limit is known.</summary>
    public static long? MaxDocumentSize(long bucketMaxValueSize, long serverMaxPayload, string bucket)
    {
        var limits = new[] { bucketMaxValueSize, serverMaxPayload }.Where(l => l > 0).ToList();
        return limits.Count == 0 ? null : Math.Max(0, limits.Min() - HeaderReserve(bucket));
    }

    /// <summary>Throws <see cref="PeerValidationException"/> naming the binding limit when <paramref name="size"/> does not fit.</summary>
    public static void CheckDocumentSize(string key, long size, long bucket, string bucketName, long serverMaxPayload)
    {
        if (MaxDocumentSize(bucket, serverMaxPayload, bucketName) is not { } max || size <= max) return;
        var bucketBinds = bucket > 0 && (serverMaxPayload <= 0 || bucket <= serverMaxPayload);
        var limit = bucketBinds
            ? $"over the bucket's max value size of {bucket} bytes (bucket {bucketName})"
            : $"over the server's max_payload of {serverMaxPayload} bytes";
        throw new PeerValidationException(key, [new Violation(string.Empty, "maxValueSize",
            $"the document is {size} bytes, {limit}; with {HeaderReserve(bucketName)} bytes kept for headers the largest document that fits is {max} bytes")]);
    }
}
