using System.Diagnostics;

namespace PeerTyped.Cli;

/// <summary>
/// A test seam, inert unless PEER_TYPED_FAULT is set: the process kills itself with SIGKILL at exactly one point of a
/// write, so tests can assert what a crash there leaves behind without racing a random timer. Points:
/// <c>after-read</c> (the current document was read), <c>after-jq</c> (the filter ran), <c>before-publish</c> (the JSON
/// was logged, nothing sent) and <c>after-publish</c> (the server stored it, nothing printed). The write path itself is
/// not touched: the publish points are recognised from the store's log lines, the others from the CLI's transform.
/// </summary>
internal static class FaultInjection
{
    public const string Variable = "PEER_TYPED_FAULT";

    private static readonly string? Point = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } point ? point : null;

    public static bool Active => Point is not null;

    public static void At(string point)
    {
        if (Point != point) return;
        System.Console.Error.Flush();
        System.Console.Out.Flush();
        using var self = Process.GetCurrentProcess();
        self.Kill();
        Thread.Sleep(Timeout.Infinite);
    }

    /// <summary>The store logs the JSON right before it publishes and "Wrote KEY at revision N" right after.</summary>
    public static void FromLog(string message)
    {
        if (Point is null) return;
        if (message.Contains(" full JSON: ", StringComparison.Ordinal) || message.Contains(" JSON preview (", StringComparison.Ordinal)) At("before-publish");
        else if (message.StartsWith("Wrote ", StringComparison.Ordinal)) At("after-publish");
    }
}
