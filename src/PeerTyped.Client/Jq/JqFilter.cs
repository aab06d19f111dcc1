using System.Diagnostics;

namespace PeerTyped.Client.Jq;

/// <summary>
/// A jq filter with its arguments, prepared once and run on every compare-and-set attempt. Each run happens on its own
/// thread while the caller watches the clock, the memory and the cancellation token; a run that passes a bound is
/// stopped (the jq child is killed) or, in process, abandoned — libjq 1.6 has no interrupt, so the thread is left
/// running on a jq state nobody touches again and the caller gets its answer at once. Abandoning is safe because
/// nothing waits for that thread, it shares no data with the rest of the process, and the CLI exits right after
/// reporting; a long-lived host that cannot afford a spinning thread should choose <see cref="JqEngine.Process"/>.
/// Runs of one filter must not overlap.
/// </summary>
public abstract class JqFilter : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);
    private int _running;

    private protected JqFilter(string filter, IReadOnlyList<JqArgument> arguments, JqOptions options)
    {
        Filter = filter;
        Arguments = arguments;
        Options = options;
        Prefix = JqEnvironment.Prefix(options.ExposedEnvironment);
        Program = Prefix + filter;
    }

    /// <summary>The filter as the caller wrote it.</summary>
    public string Filter { get; }

    public IReadOnlyList<JqArgument> Arguments { get; }

    public JqOptions Options { get; }

    /// <summary>Runs answered without jq by the fast path (see FastPathJqFilter); the rest ran in jq.</summary>
    public virtual int FastPathRuns => 0;

    /// <summary>"libjq", "jq process" or "fast path".</summary>
    public abstract string EngineName { get; }

    /// <summary>What jq compiles: the environment prefix, then the filter.</summary>
    private protected string Program { get; }

    private protected string Prefix { get; }

    /// <summary>Prepares <paramref name="filter"/> for the engine <paramref name="options"/> asks for.</summary>
    public static JqFilter Create(string filter, IReadOnlyList<JqArgument> arguments, JqOptions? options = null)
    {
        options ??= new JqOptions();
        if (options.Engine == JqEngine.Auto && !options.DisableFastPath
            && FastPathJqFilter.TryCreate(filter, arguments, options, () => CreateEngine(filter, arguments, options)) is { } fast)
        {
            return fast;
        }
        return CreateEngine(filter, arguments, options);
    }

    private static JqFilter CreateEngine(string filter, IReadOnlyList<JqArgument> arguments, JqOptions options) =>
        options.Engine switch
        {
            JqEngine.Process => new ProcessJqFilter(filter, arguments, options),
            JqEngine.InProcess => LibJq.TryLoad()
                ? new InProcessJqFilter(filter, arguments, options)
                : throw new PeerUnavailableException($"libjq ({LibJq.LibraryName}) cannot be loaded; install libjq1 or use the jq process"),
            _ => LibJq.TryLoad() ? new InProcessJqFilter(filter, arguments, options) : new ProcessJqFilter(filter, arguments, options),
        };

    /// <summary>Runs the filter on one JSON document within the bounds of <see cref="Options"/>.</summary>
    public virtual async ValueTask<JqResult> RunAsync(ReadOnlyMemory<byte> input, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _running, 1) == 1) throw new InvalidOperationException("runs of one jq filter must not overlap");
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            var run = new Run(input);
            var thread = new Thread(() =>
            {
                try
                {
                    run.Completion.TrySetResult(Evaluate(run));
                }
                catch (Exception exception)
                {
                    run.Completion.TrySetException(exception);
                }
            }, StackSize) { IsBackground = true, Name = "jq " + EngineName };
            var started = Stopwatch.GetTimestamp();
            thread.Start();
            while (!run.Completion.Task.IsCompleted)
            {
                await Task.WhenAny(run.Completion.Task, Task.Delay(PollInterval, CancellationToken.None)).ConfigureAwait(false);
                if (run.Completion.Task.IsCompleted) break;
                JqResult? limit = null;
                if (cancellationToken.IsCancellationRequested)
                {
                    if (run.Completion.TrySetCanceled(cancellationToken)) Stop(run);
                    break;
                }
                if (Stopwatch.GetElapsedTime(started) > Options.Timeout)
                {
                    limit = JqResult.Failed(JqOutcome.TimedOut, 124, $"the jq filter ran longer than {Options.Timeout.TotalSeconds:0.###} s");
                }
                else if (MemoryInUse(run) > Options.MaxMemoryBytes)
                {
                    limit = JqResult.Failed(JqOutcome.MemoryExceeded, 137, $"the jq filter used more than {Options.MaxMemoryBytes >> 20} MiB of memory");
                }
                if (limit is not null && run.Completion.TrySetResult(limit)) Stop(run);
            }
            return await run.Completion.Task.ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    /// <summary>Stack for the evaluating thread: libjq prints and frees nested values recursively.</summary>
    private protected abstract int StackSize { get; }

    /// <summary>Evaluates on the run's own thread; the result is ignored once the run has been stopped.</summary>
    private protected abstract JqResult Evaluate(Run run);

    /// <summary>Ends or abandons a run that passed a bound or was cancelled; must not block.</summary>
    private protected abstract void Stop(Run run);

    /// <summary>Memory the run has added so far, in bytes.</summary>
    private protected abstract long MemoryInUse(Run run);

    /// <summary>The first line of a jq message, without the environment prefix the program carries.</summary>
    private protected string Clean(string message)
    {
        var text = message.Replace(Prefix, string.Empty, StringComparison.Ordinal).Trim();
        var newline = text.IndexOf('\n');
        return newline < 0 ? text : text[..newline].TrimEnd();
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>One run: its input, its outcome, and whether it was given up on.</summary>
    private protected sealed class Run(ReadOnlyMemory<byte> input)
    {
        public ReadOnlyMemory<byte> Input { get; } = input;

        public TaskCompletionSource<JqResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Stopped => Completion.Task.IsCompleted;

        /// <summary>Resident set of this process when the run began (in-process engine).</summary>
        public long BaselineResidentBytes { get; set; }

        /// <summary>The jq child (process engine), while it runs.</summary>
        public Process? Child { get; set; }

        /// <summary>Its process id, read by the watchdog without touching the Process object.</summary>
        public int? ChildId { get; set; }
    }

    /// <summary>Resident set size of a process from /proc, in bytes; 0 when it cannot be read.</summary>
    private protected static long ResidentBytes(string statm)
    {
        try
        {
            var text = File.ReadAllText(statm);
            var fields = text.Split(' ');
            return fields.Length > 1 && long.TryParse(fields[1], out var pages) ? pages * Environment.SystemPageSize : 0;
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
