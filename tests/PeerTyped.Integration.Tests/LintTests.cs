using System.Text.Json.Nodes;

namespace PeerTyped.Integration.Tests;

/// <summary>peer-typed lint on agent instruction fixtures: clean ones pass, each problem is reported where it is.</summary>
public class LintTests
{
    private static readonly CliRunner Cli = new(null);

    private static string Fixture(string path) => Path.Combine(CliRunner.RepoRoot, "tests", "fixtures", "agents", path);

    [Fact]
    public async Task Clean_agent_files_pass()
    {
        var result = await Cli.RunAsync("lint", Fixture("clean"));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Contains("0 error(s), 0 warning(s) in 2 file(s)", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_problem_is_reported_compiler_style_at_its_line()
    {
        var file = Fixture("bad/peer-executor.md");
        var result = await Cli.RunAsync("lint", file);
        Assert.Equal(1, result.ExitCode);
        var findings = result.Stdout.Trim().Split('\n');
        Assert.Equal(
            [
                (1, "PTL003"), (10, "PTL001"), (16, "PTL005"), (16, "PTL006"), (17, "PTL004"),
                (20, "PTL002"), (21, "PTL002"), (22, "PTL002"), (35, "PTL001"),
            ],
            findings.Select(f => (int.Parse(f[(file.Length + 1)..].Split(':')[0]), f.Split(' ')[2].TrimEnd(':'))));
        Assert.Contains($"{file}:10:9: error PTL001: direct `nats kv get`", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"{file}:16:51: error PTL005: writes .phases.review, owned by review; peer-executor.md writes as executor", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"{file}:16:91: error PTL006: .metadata.status = \"DONE\": not one of INITIALIZED, PLANNING, EXECUTING, EXPRESSING, REVIEWING, COMPLETED, FAILED", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"{file}:17:1: warning PTL004: './scripts/peer/update-state.sh' runs a project-local copy", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"{file}:1:1: error PTL003: agent file lacks the pre-flight include(s) @~/.agent-os/instructions/meta/nats-kv-operations.md", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(":29:", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Phase_typos_and_enum_spellings_are_caught_in_filters()
    {
        var file = Fixture("bad/peer-planner.md");
        var result = await Cli.RunAsync("lint", file);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{file}:1:1: error PTL003: agent file lacks the pre-flight include(s) @~/.agent-os/instructions/meta/pre-flight.md and @~/.agent-os/instructions/meta/nats-kv-operations.md", result.Stdout, StringComparison.Ordinal);
        Assert.Contains(".phases.plan.status = \"Completed\": not one of pending, in_progress, completed, failed", result.Stdout, StringComparison.Ordinal);
        Assert.Contains(".phases.paln is not a phase of the schema", result.Stdout, StringComparison.Ordinal);
        var lines = result.Stdout.Trim().Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Contains(":6:12: error PTL006", lines[1], StringComparison.Ordinal);
        Assert.Contains(":6:48: error PTL005", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_and_github_formats()
    {
        var file = Fixture("bad/peer-planner.md");
        var json = JsonNode.Parse((await Cli.RunAsync("-o", "json", "lint", file)).Stdout)!.AsArray();
        Assert.Equal(3, json.Count);
        Assert.Equal("PTL003", json[0]!["code"]!.GetValue<string>());
        Assert.Equal("error", json[0]!["severity"]!.GetValue<string>());

        var github = await Cli.RunAsync("lint", "--format", "github", file);
        Assert.StartsWith($"::error file={file},line=1,col=1,title=PTL003::agent file lacks", github.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_path_is_a_usage_error()
    {
        var result = await Cli.RunAsync("lint", "/nonexistent/agents");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("/nonexistent/agents: no such file or folder", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }
}
