using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace PeerTyped.Runtime;

/// <summary>
/// The compact bytes of large typed objects already written, reused when the same instance is written again. Typed
/// values are immutable all the way down and a <c>With*</c> change copies only the path to what it changes, so the
/// next version of a document shares every untouched section, by reference, with the one written before: writing it
/// copies those sections' bytes instead of encoding their text again. Bytes are remembered per instance (never per
/// value), only from the compact write of a store's typed change (<see cref="JsonText.WriteRemembering{T}"/>) and only
/// for compact writes of <see cref="JsonText"/>, so an object's bytes are exactly what its own <c>WriteJson</c> wrote
/// there; the tests compare every such write with one that reuses nothing.
/// </summary>
public static class WrittenJson
{
    /// <summary>Objects written shorter than this are not remembered: encoding them costs less than remembering them.</summary>
    public const int MinimumLength = 1024;

    private static readonly ConditionalWeakTable<object, byte[]> s_written = new();

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary>The remembering write in progress on this thread (0: none); marks of any other write are refused.</summary>
    [ThreadStatic]
    private static long t_rememberingWrite;

    private static long s_lastRememberingWrite;

    /// <summary>How many remembered objects this thread has copied: an object that copied one is not remembered itself.</summary>
    [ThreadStatic]
    private static long t_reused;

    /// <summary>The writer and buffer of one compact write, in effect until disposed (restoring the write it is nested in).</summary>
    internal readonly struct Scope : IDisposable
    {
        private readonly Utf8JsonWriter? _writer;
        private readonly ArrayBufferWriter<byte>? _buffer;
        private readonly long _rememberingWrite;

        public Scope(Utf8JsonWriter writer, ArrayBufferWriter<byte> buffer, bool remember)
        {
            (_writer, _buffer, _rememberingWrite) = (t_writer, t_buffer, t_rememberingWrite);
            (t_writer, t_buffer, t_rememberingWrite) = (writer, buffer, remember ? Interlocked.Increment(ref s_lastRememberingWrite) : 0);
        }

        public void Dispose() => (t_writer, t_buffer, t_rememberingWrite) = (_writer, _buffer, _rememberingWrite);
    }

    /// <summary>Writes <paramref name="value"/>'s remembered bytes, when it has some and <paramref name="writer"/> may use them.</summary>
    public static bool TryWrite(Utf8JsonWriter writer, object value)
    {
        if (!ReferenceEquals(writer, t_writer) || !s_written.TryGetValue(value, out var bytes)) return false;
        writer.WriteRawValue(bytes, skipInputValidation: true);
        t_reused++;
        return true;
    }

    /// <summary>
    /// Where an object's bytes begin in the remembering write that is writing it, and how many remembered objects had
    /// been copied by then. Only <see cref="Start"/> makes one that <see cref="Remember"/> accepts.
    /// </summary>
    public readonly struct Mark
    {
        internal Mark(long write, long start, long reusedBefore) => (Write, Start, ReusedBefore) = (write, start, reusedBefore);

        internal long Write { get; }

        internal long Start { get; }

        internal long ReusedBefore { get; }
    }

    /// <summary>Called right after <c>WriteStartObject</c>: where the object's bytes begin, when they are to be remembered.</summary>
    public static Mark Start(Utf8JsonWriter writer) =>
        t_rememberingWrite != 0 && ReferenceEquals(writer, t_writer) ? new(t_rememberingWrite, writer.BytesCommitted + writer.BytesPending - 1, t_reused) : default;

    /// <summary>
    /// Called right after <c>WriteEndObject</c>: remembers the object's bytes when they are long enough to be worth it,
    /// and it copied no remembered object. One that did is a new version around sections already remembered: the next
    /// change typically replaces it again, and its untouched sections are copied either way.
    /// </summary>
    public static void Remember(Utf8JsonWriter writer, object value, Mark mark)
    {
        if (mark.Write == 0 || mark.Write != t_rememberingWrite || mark.ReusedBefore != t_reused || !ReferenceEquals(writer, t_writer)) return;
        var end = writer.BytesCommitted + writer.BytesPending;
        if (end - mark.Start < MinimumLength) return;
        writer.Flush();
        // The byte counts are the writer's; they are positions in the buffer only while the writer has written to it
        // alone, from its start, without a reset.
        if (writer.BytesCommitted != t_buffer!.WrittenCount) return;
        var written = t_buffer.WrittenSpan[(int)mark.Start..(int)end];
        // Compact output puts nothing between an object's braces and its neighbours' separators; anything else is not
        // this object's bytes, and is not remembered.
        if (written[0] != (byte)'{' || written[^1] != (byte)'}') return;
        s_written.AddOrUpdate(value, written.ToArray());
    }
}
