using System.Text.Json.Nodes;

namespace PeerTyped.Integration.Tests;

/// <summary>
/// The value rules of peer-typed lint on the mistakes the Agent OS agents make (tests/fixtures/agents/mistakes: short
/// files written for these tests): enum spellings in jq, JSON templates and checks (PTL006), fields the schema lacks
/// (PTL007), wrong types (PTL008), the counter put (PTL009); and --fix / --diff.
/// </summary>
public class LintRulesTests
{
    private static readonly CliRunner Cli = new(null);

    private static string Fixture(string name) => Path.Combine(CliRunner.RepoRoot, "tests", "fixtures", "agents", "mistakes", name);

    private static async Task<List<(int Line, string Code, string Message)>> FindingsAsync(string file)
    {
        var result = await Cli.RunAsync("-o", "json", "lint", file);
        Assert.True(result.ExitCode is 0 or 1, result.ToString());
        return JsonNode.Parse(result.Stdout)!.AsArray()
            .Select(f => (f!["line"]!.GetValue<int>(), f["code"]!.GetValue<string>(), f["message"]!.GetValue<string>()))
            .ToList();
    }

    private static string Copy(string name)
    {
        var directory = Directory.CreateTempSubdirectory("peer-lint-").FullName;
        var copy = Path.Combine(directory, name);
        File.Copy(Fixture(name), copy);
        return copy;
    }

    [Fact]
    public async Task The_orchestrators_JSON_template_its_filter_and_its_counter_put_are_flagged()
    {
        var findings = await FindingsAsync(Fixture("peer.md"));
        Assert.Equal([(6, "PTL001"), (18, "PTL006"), (20, "PTL006"), (24, "PTL009"), (28, "PTL006"), (28, "PTL007"), (28, "PTL008")], findings.Select(f => (f.Line, f.Code)));
        Assert.Contains(findings, f => f is (18, "PTL006", _) && f.Message == ".metadata.current_phase = \"planning\": not one of plan, execute, express, review; lint --fix writes \"plan\"");
        Assert.Contains(findings, f => f.Code == "PTL009" && f.Message.Contains("CYCLE_NUMBER=$(peer-typed cycle next [KEY_PREFIX])", StringComparison.Ordinal));
        Assert.Contains(findings, f => f is (28, "PTL007", _) && f.Message.StartsWith(".result: .result is not a field of the schema (root allows version, cycle_id, metadata, context, phases", StringComparison.Ordinal));
        Assert.Contains(findings, f => f is (28, "PTL008", _) && f.Message.StartsWith(".metadata.cycle_number gets \"two\": \"two\" is not an integer", StringComparison.Ordinal));
        // The shell comment mentioning nats kv put (line 23) and the script paths between backticks (line 3) are not calls.
        Assert.DoesNotContain(findings, f => f.Line is 3 or 23);
    }

    [Fact]
    public async Task Error_paths_contracts_and_checks_of_an_agent_are_flagged()
    {
        var findings = await FindingsAsync(Fixture("peer-executor.md"));
        Assert.Equal([(10, "PTL006"), (12, "PTL007"), (15, "PTL006"), (16, "PTL006"), (20, "PTL006"), (21, "PTL006"), (22, "PTL008"), (26, "PTL005")], findings.Select(f => (f.Line, f.Code)));
        Assert.Contains(findings, f => f is (12, "PTL007", _) && f.Message.EndsWith("did you mean .metadata.status?", StringComparison.Ordinal));
        Assert.Contains(findings, f => f is (15, "PTL006", _) && f.Message.StartsWith("current_state.phases.plan.status compares with \"complete\", which the schema never stores", StringComparison.Ordinal));
        Assert.Contains(findings, f => f is (20, "PTL006", _) && f.Message.EndsWith("lint --fix writes \"FAILED\"", StringComparison.Ordinal));
        Assert.Contains(findings, f => f is (21, "PTL006", _) && f.Message.EndsWith("lint --fix writes \"failed\"", StringComparison.Ordinal));
        Assert.Contains(findings, f => f is (22, "PTL008", _) && f.Message.StartsWith(".phases.execute.error gets an object: an object is not a string", StringComparison.Ordinal));
        Assert.Contains(findings, f => f is (26, "PTL005", _) && f.Message == "writes .cycle_summary.success, owned by review; peer-executor.md writes as executor");
    }

    [Fact]
    public async Task JSON_built_in_pseudo_code_is_followed_through_WRITE_TOOL_and_json_file_to_the_field_it_fills()
    {
        var review = await FindingsAsync(Fixture("peer-review.md"));
        Assert.Equal([(11, "PTL008"), (16, "PTL008"), (17, "PTL008"), (25, "PTL006"), (26, "PTL006")], review.Select(f => (f.Line, f.Code)));
        Assert.Contains(review, f => f.Message.StartsWith(".phases.review.output.quality_score gets quality_level (low/medium/high): \"low\" is not", StringComparison.Ordinal));
        Assert.Contains(review, f => f.Message.StartsWith(".cycle_summary.completion gets \"66%\"", StringComparison.Ordinal));
        Assert.Contains(review, f => f.Message.StartsWith(".cycle_summary.highlights gets an array: has 4 items, more than the maximum 3", StringComparison.Ordinal));

        var express = await FindingsAsync(Fixture("peer-express.md"));
        Assert.Equal([(10, "PTL008"), (17, "PTL006")], express.Select(f => (f.Line, f.Code)));
        Assert.StartsWith(".phases.express.output.deliverables gets an object: an object is not an array", express[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fix_rewrites_the_unambiguous_spellings_prints_a_unified_diff_and_leaves_the_rest()
    {
        var copy = Copy("peer-executor.md");
        var before = await File.ReadAllLinesAsync(copy);
        var result = await Cli.RunAsync("lint", "--fix", copy);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"--- a/{copy.TrimStart('/')}\n+++ b/{copy.TrimStart('/')}\n@@ -7,", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("-    - phases.execute.status = \"complete\"\n+    - phases.execute.status = \"completed\"\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("-<check field=\"current_state.metadata.status\" in_values=\"['EXECUTING', 'planning']\">\n+<check field=\"current_state.metadata.status\" in_values=\"['EXECUTING', 'PLANNING']\">\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("-    .metadata.status = \"ERROR\" |\n+    .metadata.status = \"FAILED\" |\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("-    .phases.execute.status = \"error\" |\n+    .phases.execute.status = \"failed\" |\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("INFO: 5 fix(es) applied in 1 file(s)", result.Stderr, StringComparison.Ordinal);

        var after = await File.ReadAllLinesAsync(copy);
        Assert.Equal(before.Length, after.Length);
        Assert.Equal(5, before.Zip(after).Count(pair => pair.First != pair.Second));
        Assert.Contains("    .phases.execute.status = \"failed\" |", after);

        // What is left is reported after the diff, each with its suggestion; nothing fixable remains.
        var remaining = result.Stdout.Split('\n').Where(l => l.StartsWith(copy + ":", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, remaining.Count);
        Assert.Contains(remaining, l => l.Contains("PTL007", StringComparison.Ordinal) && l.EndsWith("did you mean .metadata.status?", StringComparison.Ordinal));
        Assert.Contains(remaining, l => l.Contains("PTL008", StringComparison.Ordinal) && l.Contains("assign the message alone (e.g. $err_msg)", StringComparison.Ordinal));
        Assert.Contains("INFO: 3 error(s), 0 warning(s) in 1 file(s)\n", result.Stderr, StringComparison.Ordinal);

        var again = await Cli.RunAsync("lint", "--fix", copy);
        Assert.Contains("INFO: 0 fix(es) applied in 0 file(s)", again.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("--- a/", again.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fix_rewrites_a_value_inside_a_JSON_template()
    {
        var copy = Copy("peer.md");
        var result = await Cli.RunAsync("lint", "--fix", copy);
        Assert.Contains("-      \"current_phase\": \"planning\"  // first phase\n+      \"current_phase\": \"plan\"  // first phase\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("-    \"phases\": {\"plan\": {\"status\": \"Pending\"}}\n+    \"phases\": {\"plan\": {\"status\": \"pending\"}}\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"current_phase\": \"plan\"", await File.ReadAllTextAsync(copy), StringComparison.Ordinal);
        var left = await FindingsAsync(copy);
        Assert.Equal(["PTL001", "PTL009", "PTL007", "PTL008"], left.Select(f => f.Code));
    }

    [Fact]
    public async Task Diff_shows_the_changes_without_writing()
    {
        var copy = Copy("peer-review.md");
        var before = await File.ReadAllTextAsync(copy);
        var result = await Cli.RunAsync("lint", "--diff", copy);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("-  .metadata.status = \"COMPLETE\" |\n+  .metadata.status = \"COMPLETED\" |\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("-  .phases.review.status = \"Completed\" |\n+  .phases.review.status = \"completed\" |\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("INFO: 2 fix(es) to apply in 1 file(s)", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllTextAsync(copy));
        // One hunk: the two changed lines are next to each other.
        Assert.Single(result.Stdout.Split('\n'), l => l.StartsWith("@@ ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(".phases.plan.status", "Completed", "completed")]
    [InlineData(".phases.plan.status", "complete", "completed")]
    [InlineData(".metadata.status", "COMPLETE", "COMPLETED")]
    [InlineData(".metadata.status", "ERROR", "FAILED")]
    [InlineData(".phases.review.status", "error", "failed")]
    [InlineData(".metadata.current_phase", "planning", "plan")]
    [InlineData(".metadata.current_phase", "executing", "execute")]
    [InlineData(".metadata.current_phase", "expressing", "express")]
    [InlineData(".phases.execute.status", "running", "in_progress")]
    [InlineData(".phases.execute.status", "in progress", "in_progress")]
    [InlineData(".metadata.status", "DONE", "COMPLETED")]
    [InlineData(".context.peer_mode", "NEW", "new")]
    [InlineData(".phases.plan.status", "banana", null)]
    [InlineData(".metadata.current_phase", "p", null)]
    public async Task Respellings_come_from_the_schemas_enum_by_case_stem_or_synonym(string path, string written, string? expected)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("peer-lint-").FullName, "notes.md");
        await File.WriteAllTextAsync(file, $"JQ_FILTER='{path} = \"{written}\"'\n");
        var lint = await Cli.RunAsync("lint", file);
        Assert.Equal(1, lint.ExitCode);
        var finding = Assert.Single(lint.Stdout.Split('\n'), l => l.StartsWith(file + ":1:12: error PTL006", StringComparison.Ordinal));
        var result = await Cli.RunAsync("lint", "--diff", file);
        Assert.Equal(1, result.ExitCode);
        if (expected is null)
        {
            Assert.EndsWith("; no unambiguous respelling, choose one", finding, StringComparison.Ordinal);
            Assert.DoesNotContain("--- a/", result.Stdout, StringComparison.Ordinal);
        }
        else
        {
            Assert.EndsWith($"; lint --fix writes \"{expected}\"", finding, StringComparison.Ordinal);
            Assert.Contains($"+JQ_FILTER='{path} = \"{expected}\"'", result.Stdout, StringComparison.Ordinal);
        }
    }
}
