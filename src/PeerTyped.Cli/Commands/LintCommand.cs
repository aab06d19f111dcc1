using System.CommandLine;
using System.Text.RegularExpressions;
using PeerTyped.Cli.Console;
using PeerTyped.Contracts;

namespace PeerTyped.Cli.Commands;

/// <summary>One problem in an agent instruction file.</summary>
internal sealed record LintFinding(string File, int Line, int Column, string Severity, string Code, string Message)
{
    /// <summary>The rewrite lint --fix makes for it; null when the fix is not unambiguous.</summary>
    public LintFix? Fix { get; init; }

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

    [GeneratedRegex(@"([^\s""'(=`]*?)((?:read|update|create)-state\.sh)")]
    private static partial Regex WrapperCall();

    [GeneratedRegex(@"\.phases\.([A-Za-z_][A-Za-z0-9_]*)[A-Za-z0-9_.\[\]]*\s*(?:\|=|\+=|-=|\*=|/=|//=|=(?!=))")]
    private static partial Regex PhaseAssignment();

    private const string CycleCounterSuffix = ".cycle.current";

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

            // A shell comment or a heading that mentions nats is not a call.
            if (recoveryLevel is null && !line.TrimStart().StartsWith('#'))
            {
                foreach (Match match in NatsKv().Matches(line))
                {
                    var operation = match.Groups[1].Value;
                    if (operation == "put" && line.Contains(CycleCounterSuffix, StringComparison.Ordinal))
                    {
                        Add(match.Index, "error", "PTL009", "direct `nats kv put` of the cycle counter: allocate the number with CYCLE_NUMBER=$(peer-typed cycle next [KEY_PREFIX]) instead of reading the counter, adding 1 and putting it back (cycle next is atomic and never returns a cycle that exists)");
                        continue;
                    }
                    var instead = operation switch
                    {
                        "add" => "; create the bucket with `peer-typed bucket init`",
                        "ls" or "info" or "status" => "; check NATS and the bucket with `peer-typed bucket info`",
                        "get" => "; read with ~/.agent-os/scripts/peer/read-state.sh",
                        "put" or "update" or "create" => "; write with ~/.agent-os/scripts/peer/update-state.sh or create-state.sh",
                        "history" => "; inspect with `peer-typed history`",
                        _ => string.Empty,
                    };
                    Add(match.Index, "error", "PTL001", $"direct `nats kv {operation}`: agents read and write state only through ~/.agent-os/scripts/peer/ (nats is for sections headed 'Operator recovery'){instead}");
                }
            }
            if (StreamReference().Match(line) is { Success: true } stream)
            {
                Add(stream.Index, "error", "PTL002", $"stream reference '{stream.Value}': v1 keeps PEER state in KV only; remove it");
            }
            foreach (Match call in WrapperCall().Matches(line))
            {
                // A path between backticks is prose naming the script, not a call.
                if (line.AsSpan(0, call.Index).Count('`') % 2 == 1) continue;
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
        }
        var lineStarts = new List<int> { 0 };
        for (var i = 0; i < text.Length; i++) if (text[i] == '\n') lineStarts.Add(i + 1);
        (int, int) Locate(int offset)
        {
            var line = lineStarts.BinarySearch(offset);
            if (line < 0) line = ~line - 1;
            return (line + 1, offset - lineStarts[line] + 1);
        }
        CheckValues(path, text, role, Locate, findings);
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

/// <summary>Applies lint's fixes to a text and shows them as a unified diff.</summary>
internal static class LintFixes
{
    /// <summary>The text with every fix applied (they never overlap: each rewrites one quoted value).</summary>
    public static string Apply(string text, IEnumerable<LintFix> fixes)
    {
        var builder = new System.Text.StringBuilder(text);
        foreach (var fix in fixes.DistinctBy(f => f.Offset).OrderByDescending(f => f.Offset))
        {
            builder.Remove(fix.Offset, fix.Length).Insert(fix.Offset, fix.Replacement);
        }
        return builder.ToString();
    }

    /// <summary>A unified diff (3 lines of context) between two texts that have the same number of lines.</summary>
    public static string Diff(string path, string before, string after)
    {
        var old = before.Split('\n');
        var @new = after.Split('\n');
        var changed = Enumerable.Range(0, old.Length).Where(i => old[i] != @new[i]).ToList();
        if (changed.Count == 0) return string.Empty;
        var output = new System.Text.StringBuilder();
        var shown = path.TrimStart('/');
        output.Append("--- a/").Append(shown).Append('\n').Append("+++ b/").Append(shown).Append('\n');
        var index = 0;
        while (index < changed.Count)
        {
            var first = Math.Max(0, changed[index] - 3);
            var last = Math.Min(old.Length - 1, changed[index] + 3);
            while (index + 1 < changed.Count && changed[index + 1] - 3 <= last + 1)
            {
                index++;
                last = Math.Min(old.Length - 1, changed[index] + 3);
            }
            index++;
            var count = last - first + 1;
            output.Append(System.Globalization.CultureInfo.InvariantCulture, $"@@ -{first + 1},{count} +{first + 1},{count} @@\n");
            for (var i = first; i <= last; i++)
            {
                if (old[i] == @new[i]) output.Append(' ').Append(old[i]).Append('\n');
                else output.Append('-').Append(old[i]).Append('\n').Append('+').Append(@new[i]).Append('\n');
            }
        }
        return output.ToString();
    }
}

internal sealed partial class CommandFactory
{
    private Command Lint()
    {
        var paths = new Argument<string[]>("path") { Description = "Agent instruction files or folders (*.md)", Arity = ArgumentArity.OneOrMore };
        var format = new Option<string>("--format") { Description = "text (file:line:col: severity CODE: message) or github (workflow annotations); -o json prints JSON", DefaultValueFactory = _ => "text" }.AcceptOnlyFromAmong("text", "github");
        var fix = new Option<bool>("--fix") { Description = "Rewrite unambiguous misspellings of enum values in place (COMPLETE → COMPLETED, planning → plan, error → failed), print the changes as a unified diff, then report what is left" };
        var diff = new Option<bool>("--diff") { Description = "Print the changes --fix would make as a unified diff, without writing; then report what would be left" };
        return Define("lint", "Check agent instruction files: no direct nats kv, no streams, pre-flight includes, installed wrappers, own-phase writes, fields, types and enum values as the schema has them. Exits 1 when errors are left", async invocation =>
        {
            var files = new List<string>();
            foreach (var path in invocation.Get(paths)!)
            {
                if (Directory.Exists(path)) files.AddRange(Directory.EnumerateFiles(path, "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
                else if (File.Exists(path)) files.Add(path);
                else throw new Client.PeerUsageException($"{path}: no such file or folder");
            }
            var rewrite = invocation.Get(fix);
            var preview = invocation.Get(diff);
            var findings = new List<LintFinding>();
            var fixedCount = 0;
            var fixedFiles = 0;
            var unfixedErrors = 0;
            foreach (var file in files)
            {
                var text = await File.ReadAllTextAsync(file, invocation.CancellationToken).ConfigureAwait(false);
                var found = AgentLinter.Lint(file, text);
                unfixedErrors += found.Count(f => f.Severity == "error");
                if ((rewrite || preview) && found.Where(f => f.Fix is not null).Select(f => f.Fix!).ToList() is { Count: > 0 } fixes)
                {
                    var after = LintFixes.Apply(text, fixes);
                    if (!invocation.JsonOutput) invocation.Terminal.Data(LintFixes.Diff(file, text, after).TrimEnd('\n'));
                    if (rewrite) await File.WriteAllTextAsync(file, after, invocation.CancellationToken).ConfigureAwait(false);
                    fixedCount += fixes.DistinctBy(f => f.Offset).Count();
                    fixedFiles++;
                    found = AgentLinter.Lint(file, after);
                }
                findings.AddRange(found);
            }
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
                    w.WriteBoolean("fixable", f.Fix is not null);
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
            if (rewrite || preview) invocation.Terminal.Info($"{fixedCount} fix(es) {(rewrite ? "applied" : "to apply")} in {fixedFiles} file(s)");
            var fixable = findings.Count(f => f.Fix is not null);
            invocation.Terminal.Info($"{errors} error(s), {findings.Count - errors} warning(s) in {files.Count} file(s)" + (fixable > 0 ? $"; {fixable} fixable with --fix" : string.Empty));
            // --diff changes nothing: the files still hold every error found, fixable or not.
            return (preview && !rewrite ? unfixedErrors : errors) > 0 ? 1 : 0;
        }, paths, format, fix, diff);
    }
}
