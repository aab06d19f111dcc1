using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using PeerTyped.Client;
using PeerTyped.Runtime;

namespace PeerTyped.Cli.Commands;

/// <summary>Runs the real jq on the current document, inside the compare-and-set loop, and insists on one result.</summary>
internal static class Jq
{
    public static IReadOnlyList<string> Arguments(ParseResult parse, Option<string[]> arg, Option<string[]> argjson, Option<string[]> slurpfile)
    {
        var arguments = new List<string>();
        void Add(string flag, string[]? values)
        {
            if (values is null) return;
            for (var i = 0; i + 1 < values.Length; i += 2) arguments.AddRange([flag, values[i], values[i + 1]]);
        }
        Add("--arg", parse.GetValue(arg));
        Add("--argjson", parse.GetValue(argjson));
        Add("--slurpfile", parse.GetValue(slurpfile));
        return arguments;
    }

    public static async ValueTask<byte[]> RunAsync(string key, string filter, IReadOnlyList<string> arguments, ReadOnlyMemory<byte> input, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("jq") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.ArgumentList.Add(filter);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new PeerUnavailableException("jq is not installed (./setup.sh installs it)");
        }
        using (process)
        {
            var stdout = new MemoryStream();
            var copyOut = process.StandardOutput.BaseStream.CopyToAsync(stdout, cancellationToken);
            var readError = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await process.StandardInput.BaseStream.WriteAsync(input, cancellationToken).ConfigureAwait(false);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // jq stopped reading (a filter that does not compile exits at once); its exit code and message say why.
            }
            await Task.WhenAll(copyOut, readError).ConfigureAwait(false);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            var error = (await readError.ConfigureAwait(false)).Trim();
            if (process.ExitCode != 0)
            {
                var firstLine = error.Split('\n')[0];
                // jq exits 2 on bad usage and 3 on a filter that does not compile; anything else failed while running.
                throw process.ExitCode is 2 or 3
                    ? new PeerUsageException($"{key}: the jq filter does not compile: {firstLine}")
                    : new PeerValidationException(key, [new Violation(string.Empty, "jq", $"the jq filter failed (exit {process.ExitCode}): {firstLine}")]);
            }
            var output = stdout.ToArray();
            var count = CountDocuments(output);
            if (count != 1)
            {
                throw new PeerValidationException(key, [new Violation(string.Empty, "jq", count == 0
                    ? "the jq filter produced no document; it must produce exactly one"
                    : $"the jq filter produced {count} documents; it must produce exactly one")]);
            }
            return output;
        }
    }

    private static int CountDocuments(byte[] output)
    {
        var reader = new Utf8JsonReader(output, new JsonReaderOptions { AllowMultipleValues = true, MaxDepth = JsonText.ReaderOptions.MaxDepth });
        var count = 0;
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth == 0) count++;
                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // Not JSON at all: validation of the result reports it with its position.
            return 1;
        }
        return count;
    }
}
