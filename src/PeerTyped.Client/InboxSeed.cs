using System.Runtime.CompilerServices;
using NATS.Client.Core;

namespace PeerTyped.Client;

/// <summary>
/// Names a short-lived connection's inbox without OpenSSL. NATS.Net's <see cref="Nuid"/> draws its prefix from
/// <see cref="System.Security.Cryptography.RandomNumberGenerator"/>, which on Linux loads and initialises OpenSSL: about
/// 4 ms of every CLI call in NativeAOT, for a plain <c>nats://</c> connection that never uses it. The connection
/// constructor asks the calling thread's generator for its inbox name, so this thread's generator is made here, with
/// the same alphabet and ranges, its prefix taken from <see cref="Guid.NewGuid"/> (the kernel's random source).
/// </summary>
internal static class InboxSeed
{
    private const string Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const int PrefixLength = 12;
    private const long MaxSequential = 839299365868340224; // 62^10, as Nuid counts

    [UnsafeAccessor(UnsafeAccessorKind.StaticField, Name = "_writer")]
    private static extern ref Nuid? ThreadWriter(Nuid? declaringType);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_prefix")]
    private static extern ref char[] Prefix(Nuid nuid);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_increment")]
    private static extern ref ulong Increment(Nuid nuid);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_sequential")]
    private static extern ref ulong Sequential(Nuid nuid);

    /// <summary>
    /// Gives this thread a NUID generator if it has none; the prefix it got, or null when NATS.Net's internals are not
    /// the ones this was written against (then NATS.Net makes its own, as it always would).
    /// </summary>
    public static string? SeedThisThread()
    {
        try
        {
            if (ThreadWriter(null) is { } existing) return new string(Prefix(existing));
            var nuid = (Nuid)RuntimeHelpers.GetUninitializedObject(typeof(Nuid));
            Span<byte> random = stackalloc byte[16];
            Guid.NewGuid().TryWriteBytes(random);
            var prefix = new char[PrefixLength];
            for (var i = 0; i < PrefixLength; i++) prefix[i] = Digits[random[i] % Digits.Length];
            Prefix(nuid) = prefix;
            Increment(nuid) = (ulong)Random.Shared.Next(33, 334);
            Sequential(nuid) = (ulong)Random.Shared.NextInt64(0, MaxSequential + 1);
            ThreadWriter(null) = nuid;
            return new string(prefix);
        }
        catch (Exception ex) when (ex is MissingMemberException or InvalidCastException)
        {
            return null;
        }
    }
}
