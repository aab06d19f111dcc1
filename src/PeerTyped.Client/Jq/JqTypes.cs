namespace PeerTyped.Client.Jq;

/// <summary>Which jq runs a filter.</summary>
public enum JqEngine
{
    /// <summary>libjq in this process when it loads, else the <c>jq</c> binary.</summary>
    Auto,
    /// <summary>libjq (jq 1.6) in this process; fails when it does not load.</summary>
    InProcess,
    /// <summary>The <c>jq</c> binary as a child process.</summary>
    Process,
}

/// <summary>How a jq argument binds its variable, exactly as jq's own command-line options do.</summary>
public enum JqArgumentKind
{
    /// <summary><c>--arg NAME VALUE</c>: <c>$NAME</c> is the string VALUE.</summary>
    Arg,
    /// <summary><c>--argjson NAME JSON</c>: <c>$NAME</c> is the parsed JSON text.</summary>
    ArgJson,
    /// <summary><c>--slurpfile NAME FILE</c>: <c>$NAME</c> is an array of the JSON texts in FILE.</summary>
    SlurpFile,
}

public sealed record JqArgument(JqArgumentKind Kind, string Name, string Value)
{
    public string Flag => Kind switch
    {
        JqArgumentKind.Arg => "--arg",
        JqArgumentKind.ArgJson => "--argjson",
        _ => "--slurpfile",
    };
}

/// <summary>The bounds every run of a filter is held to, in process and in the fallback alike.</summary>
public sealed record JqOptions
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Longest one run (compilation included) may take.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>Largest result, in bytes of compact JSON (a stored document is at most 1 MiB).</summary>
    public long MaxOutputBytes { get; init; } = 16L << 20;

    /// <summary>Most memory a run may add: the growth of this process's resident set, or the jq child's resident set.</summary>
    public long MaxMemoryBytes { get; init; } = 512L << 20;

    /// <summary>With <see cref="JqEngine.Auto"/>, the shapes agents use run without jq (see FastPathJqFilter) unless this is set.</summary>
    public bool DisableFastPath { get; init; }

    public JqEngine Engine { get; init; } = JqEngine.Auto;

    /// <summary>Environment variable names exposed to the filter as <c>$ENV</c>/<c>env</c> (see <see cref="JqEnvironment"/>).</summary>
    public IReadOnlyList<string> ExposedEnvironment { get; init; } = [];
}

public enum JqOutcome
{
    /// <summary>Exactly one result; <see cref="JqResult.Output"/> holds it as compact JSON (jq -c, no newline).</summary>
    Document,
    NoDocument,
    SeveralDocuments,
    /// <summary>The filter or one of its arguments was rejected before running (the jq binary exits 2 or 3).</summary>
    CompileError,
    /// <summary>The filter raised an error or halted with a non-zero code (the jq binary exits 5, or the halt code).</summary>
    RuntimeError,
    TimedOut,
    OutputTooLarge,
    MemoryExceeded,
}

/// <summary>What one run of a filter gave. <see cref="ExitCode"/> is what the jq binary exits with for the same run.</summary>
public sealed record JqResult(JqOutcome Outcome, byte[]? Output, int ExitCode, string Message)
{
    public static JqResult Document(byte[] output) => new(JqOutcome.Document, output, 0, string.Empty);

    public static JqResult Failed(JqOutcome outcome, int exitCode, string message) => new(outcome, null, exitCode, message);
}
