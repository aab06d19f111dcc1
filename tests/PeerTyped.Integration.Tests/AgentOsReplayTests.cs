using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PeerTyped.Integration.Tests;

/// <summary>
/// Replays every state operation of the Agent OS PEER orchestrator (instructions/core/peer.md) and its four agents
/// (claude-code/agents/peer-{planner,executor,express,review}.md of olpie101/agent-os) through the wrapper scripts, with
/// the fields, values and argument shapes each file writes. The operations are written here from what the files do;
/// the files themselves are not part of the repository.
///
/// Each operation is also rendered as a short instruction snippet in the files' own shape (JQ_FILTER, SET x = {…},
/// WRITE_TOOL, --json-file) and linted, so the test shows through the real tools that:
/// as written, every write the store refuses is one lint flags; lint --fix rewrites the spellings and the fixed values
/// are taken back from the fixed snippet; what lint still reports has a suggestion, and with those applied a cycle goes
/// from create to COMPLETED, a second /peer run gets cycle 2 through the counter, and a --continue run resumes a cycle.
/// </summary>
public partial class AgentOsReplayTests(NatsServerFixture nats) : IClassFixture<NatsServerFixture>
{
    private const string Timestamp = "2026-11-28T10:00:00Z";

    /// <summary>One state operation of one file: a create, or an update-state.sh call with its filter and arguments.</summary>
    private sealed record Operation(string File, string Role, string Step, string? CreateJson, string? Filter, IReadOnlyList<(string Name, JsonNode Json)> JsonFiles, IReadOnlyList<string> Arguments)
    {
        public static Operation Create(string step, JsonObject document) => new("peer.md", "orchestrator", step, document.ToJsonString(), null, [], []);

        public static Operation Update(string file, string role, string step, string filter, IReadOnlyList<(string, JsonNode)>? jsonFiles = null, params string[] arguments) =>
            new(file, role, step, null, filter, jsonFiles ?? [], arguments);
    }

    // ---- what the files write ------------------------------------------------------------------------------------

    /// <summary>peer.md step 5: the unified state object, as its template has it ("current_phase": "planning").</summary>
    private static JsonObject InitialState(string prefix, int cycle, string mode = "new") => new()
    {
        ["version"] = 1,
        ["cycle_id"] = $"{prefix}.cycle.{cycle}",
        ["metadata"] = new JsonObject
        {
            ["instruction_name"] = "create-spec",
            ["spec_name"] = prefix["peer.spec.".Length..],
            ["key_prefix"] = prefix,
            ["cycle_number"] = cycle,
            ["created_at"] = Timestamp,
            ["updated_at"] = Timestamp,
            ["status"] = "INITIALIZED",
            ["current_phase"] = "planning",
        },
        ["context"] = new JsonObject { ["peer_mode"] = mode, ["spec_aware"] = true, ["user_requirements"] = "Create a spec for user authentication with OAuth2" },
        ["phases"] = new JsonObject
        {
            ["plan"] = new JsonObject { ["status"] = "pending" },
            ["execute"] = new JsonObject { ["status"] = "pending" },
            ["express"] = new JsonObject { ["status"] = "pending" },
            ["review"] = new JsonObject { ["status"] = "pending" },
        },
    };

    /// <summary>peer-planner.md step 5 (plan_structure) and step 6 (the filter, --json-file plan_out).</summary>
    private static Operation Plan(string spec) => Operation.Update("peer-planner.md", "planner", "step 6: update_state_with_plan", """

            .metadata.status = "EXECUTING" |
            .metadata.updated_at = (now | todate) |
            .phases.plan.status = "completed" |
            .phases.plan.completed_at = (now | todate) |
            .phases.plan.started_at = (.phases.plan.started_at // (now | todate)) |
            .phases.plan.output = $plan_out[0]

            """,
        [("plan_out", new JsonObject
        {
            ["instruction"] = "create-spec",
            ["type"] = "spec-aware",
            ["spec_name"] = spec,
            ["estimated_duration"] = "Based on instruction complexity",
            ["phases"] = new JsonArray(
                new JsonObject { ["phase"] = "preparation", ["description"] = "Gather context and validate prerequisites", ["steps"] = new JsonArray("Read the roadmap") },
                new JsonObject { ["phase"] = "execution", ["description"] = "Execute the core instruction logic", ["steps"] = new JsonArray("Write spec.md", "Write tasks.md") },
                new JsonObject { ["phase"] = "validation", ["description"] = "Verify outputs and completeness", ["steps"] = new JsonArray("Check every section") }),
            ["risks"] = new JsonArray(new JsonObject { ["risk"] = "OAuth2 provider unknown", ["mitigation"] = "Ask the user", ["likelihood"] = "medium" }),
            ["dependencies"] = new JsonArray("mission.md"),
            ["success_criteria"] = new JsonObject { ["overall"] = "Spec documentation created and validated", ["measurable"] = new JsonArray("spec.md exists", "tasks.md lists every task") },
        })]);

    /// <summary>peer-executor.md step 3: mark execution in progress.</summary>
    private static Operation ExecuteStart() => Operation.Update("peer-executor.md", "executor", "step 3: update_state_to_executing", """

              .metadata.status = "EXECUTING" |
              .metadata.current_phase = "execute" |
              .metadata.updated_at = (now | todate) |
              .phases.execute.status = "in_progress" |
              .phases.execute.started_at = (now | todate)

            """);

    /// <summary>peer-executor.md step 7 (execution_output) and step 8 (the filter, --json-file exec_output).</summary>
    private static Operation ExecuteResults(JsonArray filesCreated, JsonArray tasksCompleted) => Operation.Update("peer-executor.md", "executor", "step 8: update_state_with_results", """

            .metadata.status = "EXPRESSING" |
            .metadata.current_phase = "express" |
            .metadata.updated_at = (now | todate) |
            .phases.execute.status = "completed" |
            .phases.execute.completed_at = (now | todate) |
            .phases.execute.output = $exec_output[0]

            """,
        [("exec_output", new JsonObject
        {
            ["instruction_executed"] = "create-spec",
            ["execution_status"] = "success",
            ["execution_time"] = 184000,
            ["outputs"] = new JsonObject
            {
                ["files_created"] = filesCreated,
                ["files_modified"] = new JsonArray(),
                ["decisions_made"] = new JsonArray("OAuth2 with PKCE"),
                ["user_interactions"] = new JsonArray("Confirmed the spec name"),
                ["tasks_completed"] = tasksCompleted,
            },
            ["validation_context"] = null,
            ["errors"] = new JsonArray(),
            ["notes"] = "",
        })]);

    /// <summary>peer-executor.md "partial_completion": save progress in partial_outputs and mark partial_completion, for a continue run.</summary>
    private static Operation ExecutePartial() => Operation.Update("peer-executor.md", "executor", "error_recovery: partial_completion", """
            .phases.execute.partial_completion = true |
            .phases.execute.partial_outputs = $partial[0] |
            .metadata.updated_at = (now | todate)
            """,
        [("partial", new JsonObject { ["files_created"] = new JsonArray(".agent-os/specs/user-auth/spec.md"), ["tasks_completed"] = new JsonArray("Write spec.md") })]);

    /// <summary>peer-executor.md step 9: the error path (--arg err_msg, --arg err_type, --argjson is_recover).</summary>
    private static Operation ExecuteError() => Operation.Update("peer-executor.md", "executor", "step 9: handle_execution_errors", """

              .metadata.status = "ERROR" |
              .metadata.updated_at = (now | todate) |
              .phases.execute.status = "error" |
              .phases.execute.error = {
                "message": $err_msg,
                "type": $err_type,
                "occurred_at": (now | todate),
                "recoverable": $is_recover
              }

            """, null, "--arg", "err_msg", "create-spec failed: roadmap.md missing", "--arg", "err_type", "missing_prerequisite", "--argjson", "is_recover", "true");

    /// <summary>peer-express.md step 6 (express_output) and step 7 (the filter, --json-file express_out).</summary>
    private static Operation Express() => Operation.Update("peer-express.md", "express", "step 7: update_state_with_expression", """

            .metadata.status = "REVIEWING" |
            .metadata.current_phase = "review" |
            .metadata.updated_at = (now | todate) |
            .phases.express.status = "completed" |
            .phases.express.completed_at = (now | todate) |
            .phases.express.output = $express_out[0]

            """,
        [("express_out", new JsonObject
        {
            ["summary"] = "Created the user-auth spec. Two of three tasks are defined.",
            ["key_points"] = new JsonArray("Spec for OAuth2 login", "Tasks broken down"),
            ["deliverables"] = new JsonObject { ["files_created"] = 3, ["tasks_defined"] = 3, ["decisions_made"] = 1 },
            ["formatted_output"] = "## 🎯 Executive Summary\n\nCreated the user-auth spec.",
            ["instruction_type"] = "create-spec",
            ["has_issues"] = false,
            ["completion_percentage"] = 66.67,
            ["success"] = true,
            ["highlights"] = new JsonArray("Spec for OAuth2 login", "Tasks broken down"),
            ["next_action"] = "Review spec and begin implementation with /execute-tasks",
        })]);

    /// <summary>peer-express.md step 9: the error path.</summary>
    private static Operation ExpressError() => Operation.Update("peer-express.md", "express", "step 9: handle_express_errors", """

              .metadata.status = "ERROR" |
              .metadata.updated_at = (now | todate) |
              .phases.express.status = "error" |
              .phases.express.error = {
                "message": $err_msg,
                "occurred_at": (now | todate)
              }

            """, null, "--arg", "err_msg", "could not format the results");

    /// <summary>peer-review.md step 8 (review_output, insights, cycle_summary) and step 9 (the filter, three --json-file).</summary>
    private static Operation Review() => Operation.Update("peer-review.md", "review", "step 9: update_state_with_review", """

            .metadata.status = "COMPLETE" |
            .metadata.completed_at = (now | todate) |
            .metadata.updated_at = (now | todate) |
            .phases.review.status = "completed" |
            .phases.review.completed_at = (now | todate) |
            .phases.review.output = $review_out[0] |
            .insights = $insights_data[0] |
            .cycle_summary = $summary_data[0]

            """,
        [
            ("review_out", new JsonObject
            {
                // quality_level: determine_level(overall_score), low/medium/high.
                ["quality_score"] = "high",
                ["scores"] = new JsonObject { ["completeness"] = 66.67, ["accuracy"] = 95, ["clarity"] = 100, ["compliance"] = 100, ["usability"] = 100 },
                ["completeness"] = false,
                ["compliance"] = new JsonObject { ["agent_os_standards"] = true, ["best_practices"] = true, ["documentation_standards"] = true },
                ["strengths"] = new JsonArray("Clear scope"),
                ["improvements"] = new JsonArray("Define the third task"),
                ["recommendations"] = new JsonArray("Add sample payloads to the API spec"),
            }),
            ("insights_data", new JsonObject
            {
                ["learnings"] = new JsonArray("Ask for the OAuth2 provider early"),
                ["patterns"] = new JsonObject { ["success"] = new JsonArray("Spec template reused"), ["improvement"] = new JsonArray("Tasks written late") },
                ["issues_encountered"] = new JsonArray(),
                ["questions_for_user"] = new JsonArray("Would you prefer more detailed code examples in technical specifications?"),
                ["recommendations"] = new JsonObject { ["process"] = new JsonArray("Confirm providers first"), ["technical"] = new JsonArray("Use PKCE"), ["efficiency"] = new JsonArray() },
                ["alternative_approaches"] = null,
                ["rationale"] = new JsonObject(),
            }),
            ("summary_data", new JsonObject
            {
                ["success"] = true,
                ["instruction"] = "create-spec",
                ["summary"] = "Created comprehensive spec documentation with 3 tasks defined",
                // extract_top_highlights_from_phases(): express key_points, then "Created N files".
                ["highlights"] = new JsonArray("Spec for OAuth2 login", "Tasks broken down", "Created 3 files"),
                // calculate_overall_completion_percentage(): completed_tasks / total_tasks * 100 = 2 / 3 * 100.
                ["completion"] = 66.67,
                ["next_action"] = "Review spec and proceed with /peer --instruction=execute-tasks",
            }),
        ]);

    /// <summary>peer-review.md step 11: the error path.</summary>
    private static Operation ReviewError() => Operation.Update("peer-review.md", "review", "step 11: handle_review_errors", """

              .metadata.status = "ERROR" |
              .metadata.updated_at = (now | todate) |
              .phases.review.status = "error" |
              .phases.review.error = {
                "message": $err_msg,
                "occurred_at": (now | todate)
              }

            """, null, "--arg", "err_msg", "review failed");

    /// <summary>peer.md step 11: cycle_finalization.</summary>
    private static Operation Finalize() => Operation.Update("peer.md", "orchestrator", "step 11: cycle_finalization", """

                .metadata.status = "COMPLETED" |
                .metadata.completed_at = (now | todate)

            """);

    /// <summary>The suggestions lint gives for what --fix leaves, applied by hand: (which lint code, which field, the value lint asks for).</summary>
    private static readonly (string Code, string File, string JsonFile, string Pointer, JsonNode Value)[] ManualFixes =
    [
        ("PTL008", "peer-planner.md", "plan_out", "/estimated_duration", JsonValue.Create(300000)),
        ("PTL008", "peer-planner.md", "plan_out", "/phases", new JsonArray("preparation", "execution", "validation")),
        ("PTL008", "peer-planner.md", "plan_out", "/success_criteria", JsonValue.Create("Spec documentation created and validated")),
        ("PTL008", "peer-express.md", "express_out", "/deliverables", new JsonArray(".agent-os/specs/user-auth/spec.md", ".agent-os/specs/user-auth/tasks.md", ".agent-os/specs/user-auth/sub-specs/api-spec.md")),
        // weighted_average(quality_scores) with 30/25/20/15/10 % weights.
        ("PTL008", "peer-review.md", "review_out", "/quality_score", JsonValue.Create(88.75)),
    ];

    // ---- rendering, linting, fixing ------------------------------------------------------------------------------

    [GeneratedRegex(@"JQ_FILTER='([^']*)'")]
    private static partial Regex FilterInSnippet();

    /// <summary>The operation as an instruction snippet in the agent files' shape, in a file of the agent's name.</summary>
    private static string Render(Operation operation)
    {
        var text = new StringBuilder();
        text.Append("# ").Append(operation.File).Append(": ").Append(operation.Step).Append("\n\n");
        text.Append("<pre_flight_check>\n  EXECUTE: @~/.agent-os/instructions/meta/pre-flight.md\n  ALSO_EXECUTE: @~/.agent-os/instructions/meta/nats-kv-operations.md\n</pre_flight_check>\n\n");
        if (operation.CreateJson is { } json)
        {
            text.Append("CREATE unified state object:\n").Append(JsonNode.Parse(json)!.ToJsonString(new() { WriteIndented = true })).Append("\n\n");
            text.Append("~/.agent-os/scripts/peer/create-state.sh \"${STATE_KEY}\" \"{unified_state}\"\n");
            return text.ToString();
        }
        foreach (var (name, value) in operation.JsonFiles)
        {
            text.Append("SET ").Append(name).Append("_json = ").Append(value.ToJsonString(new() { WriteIndented = true })).Append('\n');
            text.Append("WRITE_TOOL ./tmp/").Append(name).Append(".json WITH: ${").Append(name).Append("_json}\n");
            text.Append(name.ToUpperInvariant()).Append("_FILE=\"./tmp/").Append(name).Append(".json\"\n\n");
        }
        text.Append("JQ_FILTER='").Append(operation.Filter).Append("'\n");
        text.Append("result=$(~/.agent-os/scripts/peer/update-state.sh \"${STATE_KEY}\" \"${JQ_FILTER}\"");
        foreach (var (name, _) in operation.JsonFiles) text.Append(" --json-file \"").Append(name).Append("=${").Append(name.ToUpperInvariant()).Append("_FILE}\"");
        text.Append(")\n");
        return text.ToString();
    }

    /// <summary>The operation as the (possibly fixed) snippet now says.</summary>
    private static Operation Parse(Operation operation, string snippet)
    {
        if (operation.CreateJson is not null)
        {
            var start = snippet.IndexOf("CREATE unified state object:\n", StringComparison.Ordinal) + "CREATE unified state object:\n".Length;
            var end = snippet.IndexOf("\n\n~/.agent-os", start, StringComparison.Ordinal);
            return operation with { CreateJson = JsonNode.Parse(snippet[start..end])!.ToJsonString() };
        }
        var files = operation.JsonFiles.Select(file =>
        {
            var head = $"SET {file.Name}_json = ";
            var start = snippet.IndexOf(head, StringComparison.Ordinal) + head.Length;
            var end = snippet.IndexOf("\nWRITE_TOOL ./tmp/" + file.Name + ".json", start, StringComparison.Ordinal);
            return (file.Name, JsonNode.Parse(snippet[start..end])!);
        }).ToList();
        return operation with { Filter = FilterInSnippet().Match(snippet).Groups[1].Value, JsonFiles = files };
    }

    private static string Write(Operation operation)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("peer-replay-").FullName, operation.File);
        File.WriteAllText(file, Render(operation));
        return file;
    }

    // The same snippet lints the same way: each distinct text is linted (and fixed) once per test run.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task<List<(string Code, string Message, bool Fixable)>>> Linted = new();
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task<(Operation Fixed, List<(string Code, string Message, bool Fixable)> Left)>> FixedOnce = new();

    private static Task<List<(string Code, string Message, bool Fixable)>> LintAsync(CliRunner cli, Operation operation) =>
        Linted.GetOrAdd(operation.File + "\n" + Render(operation), _ => LintAsync(cli, Write(operation)));

    private static Task<(Operation Fixed, List<(string Code, string Message, bool Fixable)> Left)> LintFixAsync(CliRunner cli, Operation operation) =>
        FixedOnce.GetOrAdd(operation.File + "\n" + Render(operation), _ => LintFixOnceAsync(cli, operation));

    private static async Task<List<(string Code, string Message, bool Fixable)>> LintAsync(CliRunner cli, string file)
    {
        var result = await cli.RunAsync("-o", "json", "lint", file);
        Assert.True(result.ExitCode is 0 or 1, result.ToString());
        return JsonNode.Parse(result.Stdout)!.AsArray()
            .Where(f => f!["severity"]!.GetValue<string>() == "error")
            .Select(f => (f!["code"]!.GetValue<string>(), f["message"]!.GetValue<string>(), f["fixable"]!.GetValue<bool>()))
            .ToList();
    }

    /// <summary>lint --fix on the operation's snippet, and the operation as the fixed snippet says.</summary>
    private static async Task<(Operation Fixed, List<(string Code, string Message, bool Fixable)> Left)> LintFixOnceAsync(CliRunner cli, Operation operation)
    {
        var file = Write(operation);
        var result = await cli.RunAsync("lint", "--fix", file);
        Assert.True(result.ExitCode is 0 or 1, result.ToString());
        return (Parse(operation, await File.ReadAllTextAsync(file)), await LintAsync(cli, file));
    }

    private static Operation ApplySuggestions(Operation operation) => operation with
    {
        JsonFiles = operation.JsonFiles.Select(file =>
        {
            var json = file.Json.DeepClone().AsObject();
            foreach (var fix in ManualFixes.Where(f => f.File == operation.File && f.JsonFile == file.Name)) json[fix.Pointer[1..]] = fix.Value.DeepClone();
            return (file.Name, (JsonNode)json);
        }).ToList(),
        Filter = operation.Filter is { } filter && filter.Contains(".error = {", StringComparison.Ordinal)
            ? Regex.Replace(filter, @"\.error = \{[^}]*\}", ".error = $err_msg")
            : operation.Filter,
    };

    // ---- running through the wrappers ----------------------------------------------------------------------------

    private async Task<CliResult> RunAsync(CliRunner cli, string key, Operation operation, bool roleSet)
    {
        var environment = new Dictionary<string, string?> { ["PEER_ROLE"] = roleSet ? operation.Role : null };
        if (operation.CreateJson is { } json) return await cli.ScriptAsync("create-state.sh", [key, json], environment);
        var arguments = new List<string> { key, operation.Filter! };
        foreach (var (name, value) in operation.JsonFiles)
        {
            var path = Path.Combine(cli.Home, $"{name}_{Guid.NewGuid():N}.json");
            await File.WriteAllTextAsync(path, value.ToJsonString());
            arguments.AddRange(["--json-file", $"{name}={path}"]);
        }
        arguments.AddRange(operation.Arguments);
        return await cli.ScriptAsync("update-state.sh", [.. arguments], environment);
    }

    private async Task<CliRunner> ReadyAsync()
    {
        var cli = new CliRunner(nats.Server);
        Assert.Equal(0, (await cli.RunAsync("bucket", "init")).ExitCode);
        return cli;
    }

    private static async Task<JsonNode> ReadAsync(CliRunner cli, string key)
    {
        var read = await cli.ScriptAsync("read-state.sh", [key]);
        Assert.True(read.ExitCode == 0, read.ToString());
        return JsonNode.Parse(read.Stdout)!;
    }

    /// <summary>peer.md step 5 as written: read the counter through read-state.sh (empty on failure), +1, check the key is free.</summary>
    private static async Task<int> NextNumberAsWrittenAsync(CliRunner cli, string prefix)
    {
        var read = await cli.ScriptAsync("read-state.sh", [prefix + ".cycle.current"]);
        var current = read.ExitCode == 0 ? read.Stdout.Trim() : string.Empty;
        var number = current.Length == 0 || current == "null" ? 1 : int.Parse(current, CultureInfo.InvariantCulture) + 1;
        var existing = await cli.ScriptAsync("read-state.sh", [$"{prefix}.cycle.{number}"]);
        Assert.True(existing.ExitCode == 5, $"cycle {number} already exists: {existing}");
        return number;
    }

    // ---- the tests -----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task As_written_every_refused_write_is_one_lint_flags_and_the_fixed_write_goes_through(bool roleSet)
    {
        var cli = await ReadyAsync();
        var prefix = "peer.spec.user-auth" + (roleSet ? "-role" : "-norole");
        var log = new List<string>();
        var number = await NextNumberAsWrittenAsync(cli, prefix);
        var key = $"{prefix}.cycle.{number}";
        var happyPath = new[] { Operation.Create("step 5: cycle_initialization", InitialState(prefix, number)), Plan("user-auth"), ExecuteStart(), ExecuteResults(new JsonArray("spec.md", "tasks.md", "api-spec.md"), new JsonArray("Write spec.md", "Write tasks.md")), Express(), Review(), Finalize() };
        foreach (var written in happyPath)
        {
            var flagged = await LintAsync(cli, written);
            var asWritten = await RunAsync(cli, key, written, roleSet);
            log.Add($"{written.File} {written.Step}: exit {asWritten.ExitCode}, lint {string.Join(",", flagged.Select(f => f.Code))}");
            // Refused exactly where lint flags: a refusal lint did not see, or a finding the store accepted, fails the test.
            Assert.True((asWritten.ExitCode != 0) == (flagged.Count > 0), $"{written.File} {written.Step}: exit {asWritten.ExitCode} but lint found [{string.Join("; ", flagged.Select(f => f.Message))}]\n{asWritten}");
            if (asWritten.ExitCode == 0) continue;
            Assert.Equal(4, asWritten.ExitCode);
            var (fixedOperation, left) = await LintFixAsync(cli, written);
            var operation = left.Count == 0 ? fixedOperation : ApplySuggestions(fixedOperation);
            Assert.All(left, f => Assert.Equal("PTL008", f.Code));
            Assert.Empty(await LintAsync(cli, operation));
            var retried = await RunAsync(cli, key, operation, roleSet);
            Assert.True(retried.ExitCode == 0, $"{written.File} {written.Step} after lint --fix{(left.Count > 0 ? " and the suggestions" : string.Empty)}:\n{retried}");
        }
        // Upstream's counter write, exactly as peer.md does it: echo "$CYCLE_NUMBER" | nats kv put.
        await RawPublish.PutAsync(nats.Server, cli.Bucket, prefix + ".cycle.current", Encoding.ASCII.GetBytes(number + "\n"));

        var document = await ReadAsync(cli, key);
        Assert.Equal("COMPLETED", document["metadata"]!["status"]!.GetValue<string>());
        Assert.Equal(88.75, document["phases"]!["review"]!["output"]!["quality_score"]!.GetValue<double>());
        Assert.Equal("66.67", document["cycle_summary"]!["completion"]!.ToJsonString());
        Assert.Equal("Use PKCE", document["insights"]!["recommendations"]!["technical"]![0]!.GetValue<string>());

        // Exactly these were refused as written (and flagged): the template's "planning", the planner's plan,
        // the express deliverables object, the review's "COMPLETE" and quality_score "high".
        Assert.Equal(
            [
                "peer.md step 5: cycle_initialization: exit 4, lint PTL006",
                "peer-planner.md step 6: update_state_with_plan: exit 4, lint PTL008,PTL008,PTL008",
                "peer-executor.md step 3: update_state_to_executing: exit 0, lint ",
                "peer-executor.md step 8: update_state_with_results: exit 0, lint ",
                "peer-express.md step 7: update_state_with_expression: exit 4, lint PTL008",
                "peer-review.md step 9: update_state_with_review: exit 4, lint PTL008,PTL006",
                "peer.md step 11: cycle_finalization: exit 0, lint ",
            ], log);

        // A second /peer run: the counter read through read-state.sh gives cycle 2.
        var second = await NextNumberAsWrittenAsync(cli, prefix);
        Assert.Equal(2, second);
        var fixedCreate = (await LintFixAsync(cli, Operation.Create("step 5", InitialState(prefix, second)))).Fixed;
        var created = await RunAsync(cli, $"{prefix}.cycle.2", fixedCreate, roleSet);
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Equal("plan", (await ReadAsync(cli, $"{prefix}.cycle.2"))["metadata"]!["current_phase"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_error_paths_are_refused_as_written_and_after_fix_and_accepted_with_the_suggestion(bool roleSet)
    {
        var cli = await ReadyAsync();
        foreach (var (written, index) in new[] { ExecuteError(), ExpressError(), ReviewError() }.Select((o, i) => (o, i)))
        {
            var key = $"peer.spec.errors-{(roleSet ? "role" : "norole")}.cycle.{index + 1}";
            var fixedCreate = (await LintFixAsync(cli, Operation.Create("step 5", InitialState(key[..key.IndexOf(".cycle.", StringComparison.Ordinal)], index + 1)))).Fixed;
            Assert.Equal(0, (await RunAsync(cli, key, fixedCreate, roleSet)).ExitCode);

            var flagged = await LintAsync(cli, written);
            Assert.Equal(["PTL006", "PTL006", "PTL008"], flagged.Select(f => f.Code));
            Assert.Equal(4, (await RunAsync(cli, key, written, roleSet)).ExitCode);

            var (afterFix, left) = await LintFixAsync(cli, written);
            Assert.Contains(".metadata.status = \"FAILED\"", afterFix.Filter, StringComparison.Ordinal);
            Assert.Contains("status = \"failed\"", afterFix.Filter, StringComparison.Ordinal);
            Assert.Equal("PTL008", Assert.Single(left).Code);
            Assert.Contains("assign the message alone (e.g. $err_msg)", left[0].Message, StringComparison.Ordinal);
            Assert.Equal(4, (await RunAsync(cli, key, afterFix, roleSet)).ExitCode);

            var suggested = ApplySuggestions(afterFix);
            Assert.Empty(await LintAsync(cli, suggested));
            var accepted = await RunAsync(cli, key, suggested, roleSet);
            Assert.True(accepted.ExitCode == 0, accepted.ToString());
            var document = await ReadAsync(cli, key);
            Assert.Equal("FAILED", document["metadata"]!["status"]!.GetValue<string>());
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task After_the_fixes_cycles_run_to_COMPLETED_with_cycle_next_and_a_continue_run_resumes(bool roleSet)
    {
        var cli = await ReadyAsync();
        var prefix = "peer.spec.resume-" + (roleSet ? "role" : "norole");
        async Task<Operation> Fixed(Operation written)
        {
            var (operation, left) = await LintFixAsync(cli, written);
            return left.Count == 0 ? operation : ApplySuggestions(operation);
        }
        async Task RunAllAsync(string key, params Operation[] operations)
        {
            foreach (var operation in operations)
            {
                var result = await RunAsync(cli, key, await Fixed(operation), roleSet);
                Assert.True(result.ExitCode == 0, $"{operation.File} {operation.Step}:\n{result}");
            }
        }

        // Run 1 and 2: the counter through `peer-typed cycle next` (lint's PTL009 replacement for the read, +1 and put).
        for (var run = 1; run <= 2; run++)
        {
            var next = await cli.RunAsync("cycle", "next", prefix);
            Assert.Equal($"{run}\n", next.Stdout);
            var key = $"{prefix}.cycle.{run}";
            await RunAllAsync(key, Operation.Create("step 5", InitialState(prefix, run)), Plan("resume"), ExecuteStart(), ExecuteResults(new JsonArray("spec.md"), new JsonArray("Write spec.md")), Express(), Review(), Finalize());
            Assert.Equal("COMPLETED", (await ReadAsync(cli, key))["metadata"]!["status"]!.GetValue<string>());
        }

        // Run 3 stops part-way through execution: the executor saves partial outputs.
        Assert.Equal("3\n", (await cli.RunAsync("cycle", "next", prefix)).Stdout);
        var third = $"{prefix}.cycle.3";
        await RunAllAsync(third, Operation.Create("step 5", InitialState(prefix, 3)), Plan("resume"), ExecuteStart(), ExecutePartial());

        // /peer --continue: find the last incomplete cycle (the latest, without allocating), load it, resume after the last completed phase.
        var latest = await cli.RunAsync("cycle", "current", prefix);
        Assert.Equal("3\n", latest.Stdout);
        var loaded = await ReadAsync(cli, $"{prefix}.cycle.{latest.Stdout.Trim()}");
        Assert.NotEqual("COMPLETED", loaded["metadata"]!["status"]!.GetValue<string>());
        Assert.Equal("completed", loaded["phases"]!["plan"]!["status"]!.GetValue<string>());
        Assert.True(loaded["phases"]!["execute"]!["partial_completion"]!.GetValue<bool>());
        var previous = loaded["phases"]!["execute"]!["partial_outputs"]!;
        // The executor merges previous_outputs with the new results (files_created and tasks_completed combined).
        var files = new JsonArray([.. previous["files_created"]!.AsArray().Select(f => f!.DeepClone()), JsonValue.Create("tasks.md")]);
        var tasks = new JsonArray([.. previous["tasks_completed"]!.AsArray().Select(t => t!.DeepClone()), JsonValue.Create("Write tasks.md")]);
        await RunAllAsync(third, ExecuteResults(files, tasks), Express(), Review(), Finalize());

        var resumed = await ReadAsync(cli, third);
        Assert.Equal("COMPLETED", resumed["metadata"]!["status"]!.GetValue<string>());
        Assert.Equal(["\".agent-os/specs/user-auth/spec.md\"", "\"tasks.md\""], resumed["phases"]!["execute"]!["output"]!["outputs"]!["files_created"]!.AsArray().Select(f => f!.ToJsonString()));
        // Resuming allocated nothing: the next new run gets 4.
        Assert.Equal("3\n", (await cli.RunAsync("cycle", "current", prefix)).Stdout);
        Assert.Equal("4\n", (await cli.RunAsync("cycle", "next", prefix)).Stdout);
    }
}
