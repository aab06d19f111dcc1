namespace PeerTyped.Runtime;

/// <summary>RFC 6901 JSON Pointer helpers.</summary>
public static class JsonPointer
{
    public static string Escape(string token) => token.Contains('~') || token.Contains('/') ? token.Replace("~", "~0").Replace("/", "~1") : token;

    public static string Unescape(string token) => token.Replace("~1", "/").Replace("~0", "~");

    /// <summary>Whether <paramref name="pointer"/> is <paramref name="prefix"/> or lies below it (segment-aware).</summary>
    public static bool IsAtOrBelow(string pointer, string prefix) =>
        prefix.Length == 0 || pointer == prefix || (pointer.StartsWith(prefix, StringComparison.Ordinal) && pointer[prefix.Length] == '/');
}
