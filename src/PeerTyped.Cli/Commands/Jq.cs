using System.CommandLine;
using System.Globalization;
using PeerTyped.Client;
using PeerTyped.Client.Jq;
using PeerTyped.Runtime;

namespace PeerTyped.Cli.Commands;

/// <summary>
/// The jq side of <c>update</c>: the filter is prepared once (libjq in process, else the jq binary) and run on the
/// current document on every compare-and-set attempt, within a time limit, an output cap and a memory cap.
/// </summary>
internal static class Jq
{
    public const string TimeoutVariable = "PEER_JQ_TIMEOUT";
    public const string EngineVariable = "PEER_JQ_ENGINE";

    public static Option<string> TimeoutOption() => new("--jq-timeout")
    {
        Description = $"Seconds one run of the jq filter may take (default: ${TimeoutVariable}, else {JqOptions.DefaultTimeout.TotalSeconds:0})",
    };

    public static IReadOnlyList<JqArgument> Arguments(ParseResult parse, Option<string[]> arg, Option<string[]> argjson, Option<string[]> slurpfile)
    {
        var arguments = new List<JqArgument>();
        // jq binds in command-line order and the first binding of a name wins; the options are read flag by flag, so
        // the order across flags is their order of appearance.
        var pairs = new List<(int Position, JqArgument Argument)>();
        void Add(Option<string[]> option, JqArgumentKind kind)
        {
            if (parse.GetResult(option) is not { } result) return;
            var values = parse.GetValue(option) ?? [];
            var position = result.IdentifierToken is { } token ? parse.Tokens.ToList().IndexOf(token) : int.MaxValue;
            for (var i = 0; i + 1 < values.Length; i += 2) pairs.Add((position * 1000 + i, new JqArgument(kind, values[i], values[i + 1])));
        }
        Add(arg, JqArgumentKind.Arg);
        Add(argjson, JqArgumentKind.ArgJson);
        Add(slurpfile, JqArgumentKind.SlurpFile);
        arguments.AddRange(pairs.OrderBy(p => p.Position).Select(p => p.Argument));
        return arguments;
    }

    /// <summary>Bounds and engine from <c>--jq-timeout</c>, <c>PEER_JQ_TIMEOUT</c>, <c>PEER_JQ_ENGINE</c> and <c>PEER_JQ_ENV</c>.</summary>
    public static JqOptions Options(string? timeoutOption)
    {
        var timeoutText = timeoutOption ?? Environment.GetEnvironmentVariable(TimeoutVariable);
        var timeout = JqOptions.DefaultTimeout;
        if (!string.IsNullOrWhiteSpace(timeoutText))
        {
            if (!double.TryParse(timeoutText, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || !double.IsFinite(seconds) || seconds <= 0 || seconds > 86_400)
            {
                throw new PeerUsageException($"{(timeoutOption is null ? TimeoutVariable : "--jq-timeout")}: expected a number of seconds greater than 0 and at most 86400, got '{timeoutText}'");
            }
            timeout = TimeSpan.FromSeconds(seconds);
        }
        var engine = (Environment.GetEnvironmentVariable(EngineVariable) ?? string.Empty).Trim().ToLowerInvariant() switch
        {
            "" or "auto" => JqEngine.Auto,
            "libjq" => JqEngine.InProcess,
            "process" => JqEngine.Process,
            var other => throw new PeerUsageException($"{EngineVariable}: expected auto, libjq or process, got '{other}'"),
        };
        return new JqOptions { Timeout = timeout, Engine = engine, ExposedEnvironment = JqEnvironment.FromEnvironment() };
    }

    /// <summary>Runs the prepared filter; anything but exactly one document becomes the error the CLI reports.</summary>
    public static async ValueTask<byte[]> RunAsync(string key, JqFilter filter, ReadOnlyMemory<byte> input, CancellationToken cancellationToken)
    {
        var result = await filter.RunAsync(input, cancellationToken).ConfigureAwait(false);
        return result.Outcome switch
        {
            JqOutcome.Document => result.Output!,
            JqOutcome.CompileError => throw new PeerUsageException($"{key}: the jq filter does not compile: {result.Message}"),
            JqOutcome.RuntimeError => throw Invalid(key, $"the jq filter failed (exit {result.ExitCode}): {result.Message}"),
            JqOutcome.NoDocument => throw Invalid(key, "the jq filter produced no document; it must produce exactly one"),
            JqOutcome.SeveralDocuments => throw Invalid(key, "the jq filter produced 2 or more documents; it must produce exactly one"),
            JqOutcome.TimedOut => throw Invalid(key, result.Message + " (--jq-timeout, $" + TimeoutVariable + "); nothing was written"),
            _ => throw Invalid(key, result.Message + "; nothing was written"),
        };
    }

    private static PeerValidationException Invalid(string key, string message) => new(key, [new Violation(string.Empty, "jq", message)]);
}
