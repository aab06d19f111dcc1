using System.Diagnostics;

namespace PeerTyped.Cli.Commands;

/// <summary>
/// <c>schema check</c> in the lean NativeAOT binary. Judging documents against a schema this build was not generated
/// from needs JsonSchema.Net, whose module initializer loads every meta-schema at process start: about 5 ms in every
/// command of a binary that contains it, <c>--version</c> included. So setup.sh publishes <c>peer-typed</c> without it
/// and, beside it, <c>peer-typed-schema</c> (the same CLI, built with it); here the command runs there, with the same
/// arguments, environment and standard streams. Builds that contain JsonSchema.Net (Debug, the dotnet tool) run it in process.
/// </summary>
internal static class SchemaCheckProcess
{
    public const string BinaryName = "peer-typed-schema";

    public static async Task<int> RunAsync(Invocation invocation)
    {
        var sibling = Path.Combine(Path.GetDirectoryName(Environment.ProcessPath ?? AppContext.BaseDirectory) ?? ".", BinaryName);
        if (!File.Exists(sibling))
        {
            invocation.Terminal.Error($"schema check runs in {BinaryName}, which is not installed next to this peer-typed ({sibling}); run setup.sh");
            return 1;
        }
        var start = new ProcessStartInfo(sibling) { UseShellExecute = false };
        foreach (var argument in Environment.GetCommandLineArgs().Skip(1)) start.ArgumentList.Add(argument);
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {sibling}");
        try
        {
            await child.WaitForExitAsync(invocation.CancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            child.Kill(entireProcessTree: true);
            throw;
        }
        return child.ExitCode;
    }
}
