using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace PeerTyped.Client.Jq;

/// <summary>
/// The <c>jq</c> binary as a child process, for machines without libjq. The child dies with us: it is started through
/// <c>setpriv --pdeathsig KILL</c> (the kernel kills it when the thread that started it ends, and that thread waits for
/// it), and children still running at exit (SIGTERM, Ctrl-C) are killed by a ProcessExit handler. Its environment holds
/// only <c>TZ</c> (time functions match libjq's, no <c>~/.jq</c> is loaded, no credential is visible).
/// </summary>
internal sealed partial class ProcessJqFilter : JqFilter
{
    private static readonly ConcurrentDictionary<int, Process> Running = new();
    private static int _exitHookInstalled;

    public ProcessJqFilter(string filter, IReadOnlyList<JqArgument> arguments, JqOptions options)
        : base(filter, arguments, options)
    {
        if (Interlocked.Exchange(ref _exitHookInstalled, 1) == 0)
        {
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                foreach (var child in Running.Values) Kill(child);
            };
        }
    }

    public override string EngineName => "jq process";

    private protected override int StackSize => 256 << 10;

    private protected override long MemoryInUse(Run run) =>
        run.ChildId is { } pid ? ResidentBytes($"/proc/{pid}/statm") : 0;

    private protected override void Stop(Run run)
    {
        if (run.Child is { } child) Kill(child);
    }

    private static void Kill(Process child)
    {
        try
        {
            child.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Already gone, or not ours to signal any more.
        }
    }

    /// <summary>Finds an executable on PATH, as the shell would.</summary>
    private static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);

    private protected override JqResult Evaluate(Run run)
    {
        var jq = Which("jq") ?? throw new PeerUnavailableException("jq is not installed and libjq cannot be loaded (./setup.sh installs both)");
        var setpriv = File.Exists("/usr/bin/setpriv") ? "/usr/bin/setpriv" : null;
        var start = new ProcessStartInfo(setpriv ?? jq)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (setpriv is not null)
        {
            start.ArgumentList.Add("--pdeathsig");
            start.ArgumentList.Add("KILL");
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(jq);
        }
        start.ArgumentList.Add("-c");
        foreach (var argument in Arguments)
        {
            start.ArgumentList.Add(argument.Flag);
            start.ArgumentList.Add(argument.Name);
            start.ArgumentList.Add(argument.Value);
        }
        start.ArgumentList.Add(Program);
        start.Environment.Clear();
        if (Environment.GetEnvironmentVariable("TZ") is { } tz) start.Environment["TZ"] = tz;

        using var child = Process.Start(start)!;
        Running[child.Id] = child;
        run.Child = child;
        run.ChildId = child.Id;
        try
        {
            if (run.Stopped) Kill(child); // stopped while starting
            var input = run.Input.ToArray();
            var feed = Task.Run(() =>
            {
                try
                {
                    child.StandardInput.BaseStream.Write(input);
                    child.StandardInput.Close();
                }
                catch (IOException)
                {
                    // jq stopped reading (a filter that does not compile exits at once); its exit code says why.
                }
            });
            var errors = Task.Run(() => ReadCapped(child.StandardError.BaseStream, 64 << 10));
            var (output, outcome) = ReadOutput(child);
            if (outcome is not null) Kill(child);
            child.WaitForExit();
            feed.Wait();
            var stderr = errors.Result;
            if (outcome is not null) return outcome;
            if (child.ExitCode != 0)
            {
                var message = Clean(JqErrorLine(stderr));
                return child.ExitCode is 2 or 3
                    ? JqResult.Failed(JqOutcome.CompileError, child.ExitCode, message)
                    : JqResult.Failed(JqOutcome.RuntimeError, child.ExitCode, message);
            }
            return output.Length == 0
                ? JqResult.Failed(JqOutcome.NoDocument, 0, "the jq filter produced no document")
                : JqResult.Document(output[..^1]); // jq -c ends each result with a newline
        }
        finally
        {
            Running.TryRemove(child.Id, out _);
            run.ChildId = null;
            run.Child = null;
        }
    }

    /// <summary>
    /// Reads jq -c's output (one result per line) until the end, a second result, or the output cap — the first two
    /// decide the outcome the same way the in-process engine does.
    /// </summary>
    private (byte[] Output, JqResult? Outcome) ReadOutput(Process child)
    {
        var stream = child.StandardOutput.BaseStream;
        var buffer = new MemoryStream();
        var chunk = new byte[64 << 10];
        var newlines = 0;
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            newlines += chunk.AsSpan(0, read).Count((byte)'\n');
            buffer.Write(chunk, 0, read);
            if (newlines >= 2)
            {
                return ([], JqResult.Failed(JqOutcome.SeveralDocuments, 0, "the jq filter produced more than one document"));
            }
            if (buffer.Length > Options.MaxOutputBytes + 1)
            {
                return ([], JqResult.Failed(JqOutcome.OutputTooLarge, 0, $"the jq filter's result is larger than {Options.MaxOutputBytes >> 20} MiB"));
            }
        }
        return (buffer.ToArray(), null);
    }

    private static string ReadCapped(Stream stream, int cap)
    {
        var kept = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (kept.Length < cap) kept.Write(chunk, 0, Math.Min(read, cap - (int)kept.Length));
        }
        return Encoding.UTF8.GetString(kept.ToArray());
    }

    /// <summary>
    /// The line that says what went wrong: jq's "jq: error …" (after any `debug`/`stderr` output on the same stream), or
    /// else the first line (halt_error prints its message bare). The input position is pinned to line 0, as the
    /// in-process engine reports it, since documents are fed as one line.
    /// </summary>
    private static string JqErrorLine(string stderr)
    {
        var lines = stderr.Split('\n');
        foreach (var line in lines)
        {
            var at = line.IndexOf("jq: ", StringComparison.Ordinal);
            if (at >= 0) return Position().Replace(line[at..], "(at <stdin>:0)", 1);
        }
        if (lines.FirstOrDefault(l => l.StartsWith("parse error: ", StringComparison.Ordinal)) is { } parse) return parse;
        return lines[0];
    }

    [GeneratedRegex(@"\(at (<stdin>:\d+|<unknown>)\)")]
    private static partial Regex Position();
}
