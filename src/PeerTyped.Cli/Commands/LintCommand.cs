using System.CommandLine;
using System.Text.RegularExpressions;
using PeerTyped.Cli.Console;
using PeerTyped.Contracts;

namespace PeerTyped.Cli.Commands;

/// <summary>One problem in an agent instruction file.</summary>
internal sealed record LintFinding(string File, int Line, int Column, string Severity, string Code, string Message)
{
    public override string ToString() => $"{File}:{Line}:{Column}: {Severity} {Code}: {Message}";
}

/// <summary>
/// Checks Agent OS instruction files (Markdown) against the seed's migration rules: no direct nats kv calls outside
/// operator recovery, no stream references, both pre-flight includes in every peer-*.md agent, wrappers from the
/// installed location, and jq filters that write only the agent's own phase with values the schema allows.
/// </summary>
internal static partial class AgentLinter
{
    [GeneratedRegex(@"^(#{1,6})\s+(.*)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"operator recovery|manual recovery|recovery operations", RegexOptions.IgnoreCase)]
    private static partial Regex RecoveryHeading();

    [GeneratedRegex(@"\bnats\s+kv\s+([a-z]+)")]
    private static partial Regex NatsKv();

    [GeneratedRegex(@"<to_stream>|agent-os-peer-events|\bnats\s+stream\b|peer\.events\.")]
    private static partial Regex StreamReference();

    [GeneratedRegex(@"([^\s""'(=]*?)((?:read|update|create)-state\.sh)")]
    private static partial Regex WrapperCall();

    [GeneratedRegex(@"\.phases\.([A-Za-z_][A-Za-z0-9_]*)[A-Za-z0-9_.\[\]]*\s*(?:\|=|\+=|-=|\*=|/=|//=|=(?!=))")]
    private static partial Regex PhaseAssignment();

    [GeneratedRegex(@"((?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*=\s*""([^""]*)""")]
    private static partial Regex StringAssignment();

    private static readonly string[] InstalledPrefixes = ["~/.agent-os/scripts/peer/", "$HOME/.agent-os/scripts/peer/", "${HOME}/.agent-os/scripts/peer/"];

    /// <summary>The role an agent file writes as, from its name (peer-planner.md → planner); null when it is not an agent.</summary>
    public static string? RoleOf(string path) => Path.GetFileName(path) switch
    {
        "peer-planner.md" => PeerCycleRoles.Planner,
        "peer-executor.md" => PeerCycleRoles.Executor,
        "peer-express.md" => PeerCycleRoles.Express,
        "peer-review.md" => PeerCycleRoles.Review,
        "peer.md" => PeerCycleRoles.Orchestrator,
        _ => null,
    };

    public static List<LintFinding> Lint(string path, string text)
    {
        var findings = new List<LintFinding>();
        var lines = text.Split('\n');
        var role = RoleOf(path);
        int? recoveryLevel = null;
        for (var index = 0; index < lines.Length; index++)
        {
            var line = lines[index].TrimEnd('\r');
            var number = index + 1;
            if (Heading().Match(line) is { Success: true } heading)
            {
                var level = heading.Groups[1].Length;
                if (recoveryLevel is { } open && level <= open) recoveryLevel = null;
                if (RecoveryHeading().IsMatch(heading.Groups[2].Value)) recoveryLevel = level;
            }
            void Add(int column, string severity, string code, string message) => findings.Add(new LintFinding(path, number, column + 1, severity, code, message));

            if (recoveryLevel is null)
            {
                foreach (Match match in NatsKv().Matches(line))
                {
                    Add(match.Index, "error", "PTL001", $"direct `nats kv {match.Groups[1].Value}`: agents read and write state only through ~/.agent-os/scripts/peer/ (nats is for sections headed 'Operator recovery')");
                }
            }
            if (StreamReference().Match(line) is { Success: true } stream)
            {
                Add(stream.Index, "error", "PTL002", $"stream reference '{stream.Value}': v1 keeps PEER state in KV only; remove it");
            }
            foreach (Match call in WrapperCall().Matches(line))
            {
                var prefix = call.Groups[1].Value;
                if (prefix.Length > 0 && !InstalledPrefixes.Contains(prefix))
                {
                    Add(call.Index, "warning", "PTL004", $"'{prefix}{call.Groups[2].Value}' runs a project-local copy; call ~/.agent-os/scripts/peer/{call.Groups[2].Value}");
                }
            }
            if (role is not null)
            {
                foreach (Match assignment in PhaseAssignment().Matches(line))
                {
                    var phase = assignment.Groups[1].Value;
                    var pointer = "/phases/" + phase;
                    var field = PeerCycleFields.All.FirstOrDefault(f => f.Pointer == pointer);
                    if (field is null)
                    {
                        Add(assignment.Index, "error", "PTL005", $".phases.{phase} is not a phase of the schema (phases: plan, execute, express, review)");
                    }
                    else if (!PeerCycle.MayWrite(role, pointer))
                    {
                        Add(assignment.Index, "error", "PTL005", $"writes .phases.{phase}, owned by {string.Join(", ", field.Owners)}; {Path.GetFileName(path)} writes as {role}");
                    }
                }
            }
            foreach (Match assignment in StringAssignment().Matches(line))
            {
                var pointer = assignment.Groups[1].Value.Replace('.', '/');
                var field = PeerCycleFields.All.FirstOrDefault(f => f.Pointer == pointer);
                var value = assignment.Groups[2].Value;
                if (field is { AllowedValues.Count: > 0 } && !field.AllowedValues.Contains(value))
                {
                    Add(assignment.Index, "error", "PTL006", $"{assignment.Groups[1].Value} = \"{value}\": not one of {string.Join(", ", field.AllowedValues)}");
                }
            }
        }
        if (Path.GetFileName(path).StartsWith("peer-", StringComparison.Ordinal))
        {
            var missing = new[] { "pre-flight.md", "nats-kv-operations.md" }.Where(include => !text.Contains(include, StringComparison.Ordinal)).ToList();
            if (missing.Count > 0)
            {
                findings.Add(new LintFinding(path, 1, 1, "error", "PTL003", $"agent file lacks the pre-flight include(s) {string.Join(" and ", missing.Select(m => "@~/.agent-os/instructions/meta/" + m))}"));
            }
        }
        return [.. findings.OrderBy(f => f.Line).ThenBy(f => f.Column)];
    }
}

internal sealed partial class CommandFactory
{
    private Command Lint()
    {
        var paths = new Argument<string[]>("path") { Description = "Agent instruction files or folders (*.md)", Arity = ArgumentArity.OneOrMore };
        var format = new Option<string>("--format") { Description = "text (file:line:col: severity CODE: message) or github (workflow annotations); -o json prints JSON", DefaultValueFactory = _ => "text" }.AcceptOnlyFromAmong("text", "github");
        return Define("lint", "Check agent instruction files: no direct nats kv, no streams, pre-flight includes, installed wrappers, own-phase jq filters, allowed enum values. Exits 1 when it finds errors", async invocation =>
        {
            var files = new List<string>();
            foreach (var path in invocation.Get(paths)!)
            {
                if (Directory.Exists(path)) files.AddRange(Directory.EnumerateFiles(path, "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
                else if (File.Exists(path)) files.Add(path);
                else throw new Client.PeerUsageException($"{path}: no such file or folder");
            }
            var findings = new List<LintFinding>();
            foreach (var file in files) findings.AddRange(AgentLinter.Lint(file, await File.ReadAllTextAsync(file, invocation.CancellationToken).ConfigureAwait(false)));
            if (invocation.JsonOutput)
            {
                invocation.Terminal.Data(Json.Array(findings, (w, f) =>
                {
                    w.WriteString("file", f.File);
                    w.WriteNumber("line", f.Line);
                    w.WriteNumber("column", f.Column);
                    w.WriteString("severity", f.Severity);
                    w.WriteString("code", f.Code);
                    w.WriteString("message", f.Message);
                }));
            }
            else
            {
                foreach (var finding in findings)
                {
                    invocation.Terminal.Data(invocation.Get(format) == "github"
                        ? $"::{finding.Severity} file={finding.File},line={finding.Line},col={finding.Column},title={finding.Code}::{finding.Message}"
                        : finding.ToString());
                }
            }
            var errors = findings.Count(f => f.Severity == "error");
            invocation.Terminal.Info($"{errors} error(s), {findings.Count - errors} warning(s) in {files.Count} file(s)");
            return errors > 0 ? 1 : 0;
        }, paths, format);
    }
}
