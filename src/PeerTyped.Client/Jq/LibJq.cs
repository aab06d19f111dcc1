using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PeerTyped.Client.Jq;

/// <summary>
/// jq 1.6's <c>jv</c>: 16 bytes passed by value. The C union of a pointer and a double is declared as one pointer-sized
/// integer, which is how the System V x86-64 ABI classifies it (both eightbytes go in integer registers).
/// Every <c>jv_*</c> function consumes its <c>jv</c> arguments except <c>jv_copy</c>, <c>jv_get_kind</c>,
/// <c>jv_string_value</c> and <c>jv_number_value</c>, and every returned <c>jv</c> is owned by the caller.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Jv
{
    public byte KindFlags;
    public byte Padding;
    public ushort Offset;
    public int Size;
    public nint Payload;
}

internal enum JvKind
{
    Invalid = 0,
    Null = 1,
    False = 2,
    True = 3,
    Number = 4,
    String = 5,
    Array = 6,
    Object = 7,
}

/// <summary>The subset of Debian's libjq1 (jq 1.6, <c>libjq.so.1</c>) that the in-process engine calls.</summary>
internal static unsafe partial class LibJq
{
    public const string LibraryName = "libjq.so.1";

    private static readonly object Gate = new();
    private static bool _probed;
    private static nint _handle;

    /// <summary>
    /// Loads libjq once; false when it is missing (then the caller runs the <c>jq</c> binary instead).
    /// <c>PEER_JQ_LIBRARY</c> names another file to load, which is how the fallback is exercised on a machine that has libjq.
    /// </summary>
    public static bool TryLoad()
    {
        lock (Gate)
        {
            if (_probed) return _handle != 0;
            _probed = true;
            var name = Environment.GetEnvironmentVariable("PEER_JQ_LIBRARY") is { Length: > 0 } custom ? custom : LibraryName;
            if (!NativeLibrary.TryLoad(name, out _handle)) return false;
            // The source-generated imports below resolve through this handle, so they bind to the file just probed.
            NativeLibrary.SetDllImportResolver(typeof(LibJq).Assembly, (library, _, _) => library == LibraryName ? _handle : 0);
            return true;
        }
    }

    [LibraryImport(LibraryName)] public static partial nint jq_init();
    [LibraryImport(LibraryName)] public static partial void jq_teardown(nint* state);
    [LibraryImport(LibraryName)] public static partial void jq_set_error_cb(nint state, delegate* unmanaged[Cdecl]<nint, Jv, void> callback, nint data);
    [LibraryImport(LibraryName)] public static partial void jq_set_debug_cb(nint state, delegate* unmanaged[Cdecl]<nint, Jv, void> callback, nint data);
    [LibraryImport(LibraryName)] public static partial void jq_set_input_cb(nint state, nint callback, nint data);
    [LibraryImport(LibraryName)] public static partial void jq_set_nomem_handler(nint state, nint handler, nint data);
    [LibraryImport(LibraryName)] public static partial int jq_compile_args(nint state, byte* program, Jv arguments);
    [LibraryImport(LibraryName)] public static partial void jq_start(nint state, Jv value, int flags);
    [LibraryImport(LibraryName)] public static partial Jv jq_next(nint state);
    [LibraryImport(LibraryName)] public static partial int jq_halted(nint state);
    [LibraryImport(LibraryName)] public static partial Jv jq_get_exit_code(nint state);
    [LibraryImport(LibraryName)] public static partial Jv jq_get_error_message(nint state);
    [LibraryImport(LibraryName)] public static partial Jv jq_format_error(Jv message);

    [LibraryImport(LibraryName)] public static partial JvKind jv_get_kind(Jv value);
    [LibraryImport(LibraryName)] public static partial Jv jv_copy(Jv value);
    [LibraryImport(LibraryName)] public static partial void jv_free(Jv value);
    [LibraryImport(LibraryName)] public static partial int jv_get_refcnt(Jv value);
    [LibraryImport(LibraryName)] public static partial Jv jv_null();
    [LibraryImport(LibraryName)] public static partial Jv jv_object();
    [LibraryImport(LibraryName)] public static partial Jv jv_array();
    [LibraryImport(LibraryName)] public static partial int jv_object_has(Jv obj, Jv key);
    [LibraryImport(LibraryName)] public static partial Jv jv_object_set(Jv obj, Jv key, Jv value);
    [LibraryImport(LibraryName)] public static partial Jv jv_string_sized(byte* utf8, int length);
    [LibraryImport(LibraryName)] public static partial byte* jv_string_value(Jv value);
    [LibraryImport(LibraryName)] public static partial int jv_string_length_bytes(Jv value);
    [LibraryImport(LibraryName)] public static partial double jv_number_value(Jv value);
    [LibraryImport(LibraryName)] public static partial int jv_invalid_has_msg(Jv value);
    [LibraryImport(LibraryName)] public static partial Jv jv_invalid_get_msg(Jv value);
    [LibraryImport(LibraryName)] public static partial Jv jv_parse_sized(byte* utf8, int length);
    [LibraryImport(LibraryName)] public static partial Jv jv_dump_string(Jv value, int flags);
    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)] public static partial Jv jv_load_file(string path, int raw);

    /// <summary>A new jv string holding <paramref name="utf8"/>.</summary>
    public static Jv String(ReadOnlySpan<byte> utf8)
    {
        fixed (byte* bytes = utf8) return jv_string_sized(bytes, utf8.Length);
    }

    public static Jv String(string text) => String(System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>The bytes of a jv string, copied out; does not consume <paramref name="value"/>.</summary>
    public static byte[] Bytes(Jv value)
    {
        var length = jv_string_length_bytes(jv_copy(value));
        return new ReadOnlySpan<byte>(jv_string_value(value), length).ToArray();
    }

    /// <summary>The text of a jv string; consumes <paramref name="value"/>.</summary>
    public static string TakeString(Jv value)
    {
        try
        {
            return System.Text.Encoding.UTF8.GetString(Bytes(value));
        }
        finally
        {
            jv_free(value);
        }
    }

    /// <summary>A readable text for any jv (strings as they are, anything else as compact JSON); consumes it.</summary>
    public static string TakeText(Jv value) =>
        jv_get_kind(value) == JvKind.String ? TakeString(value) : TakeString(jv_dump_string(value, 0));
}
