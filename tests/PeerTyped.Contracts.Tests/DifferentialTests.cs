using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using PeerTyped.Runtime;

namespace PeerTyped.Contracts.Tests;

/// <summary>
/// The generated validator and JsonSchema.Net, an independent 2020-12 implementation with format validation on,
/// must agree on every document: random valid variants, hand-picked valid edge values, hand-written single faults,
/// and one wrong-typed value for every field of the generated path table.
/// </summary>
public class DifferentialTests
{
    private static readonly JsonSchema Reference = JsonSchema.FromText(Documents.SchemaText());
    private static readonly EvaluationOptions Options = new() { RequireFormatValidation = true, OutputFormat = OutputFormat.Flag };
    // As deep as the generated reader goes (JsonText.ReaderOptions), so deep extension data reaches both validators.
    private static readonly JsonDocumentOptions ReferenceParsing = new() { MaxDepth = JsonText.ReaderOptions.MaxDepth };

    public static IEnumerable<object[]> Cases()
    {
        var random = new Random(20250806);
        var cases = new List<object[]>();
        for (var i = 0; i < 120; i++)
        {
            var valid = ValidVariant(random, i);
            cases.Add(["valid #" + i, valid.ToJsonString()]);
            var (name, mutate) = Mutations[i % Mutations.Length];
            var invalid = valid.DeepClone();
            mutate(invalid);
            cases.Add([name + " #" + i, invalid.ToJsonString()]);
        }
        foreach (var (name, json) in EdgeValues()) cases.Add(["valid edge: " + name, json]);
        foreach (var (name, json) in FieldMutations()) cases.Add([name, json]);
        return cases;
    }

    [Fact]
    public void There_are_enough_cases_and_both_verdicts_occur()
    {
        var cases = Cases().ToList();
        Assert.True(cases.Count >= 330, cases.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains(cases, c => ((string)c[0]).StartsWith("valid", StringComparison.Ordinal));
        Assert.Contains(cases, c => !((string)c[0]).StartsWith("valid", StringComparison.Ordinal));
        // Every field of the path table is mutated (any-JSON fields get valid variants instead).
        Assert.Equal(PeerCycleFields.All.Count, cases.Count(c => ((string)c[0]).StartsWith("field ", StringComparison.Ordinal) || ((string)c[0]).StartsWith("valid any-JSON field ", StringComparison.Ordinal)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_validator_agrees_with_JsonSchemaNet(string name, string json)
    {
        using var parsed = JsonDocument.Parse(json, ReferenceParsing);
        var expected = Reference.Evaluate(parsed.RootElement, Options).IsValid;
        var actual = PeerCycle.Validate(Encoding.UTF8.GetBytes(json));
        Assert.True(expected == actual.IsValid, $"{name}: JsonSchema.Net says {(expected ? "valid" : "invalid")}, generated validator says {actual}");
        Assert.True(name.StartsWith("valid", StringComparison.Ordinal) == actual.IsValid, $"{name}: {actual}");
        // What the validator accepts, the reader reads, and writes back as the same JSON value (a leap second and
        // 9 fraction digits included: PeerTimestamp keeps the text it was read from).
        if (actual.IsValid)
        {
            var document = PeerCycle.Parse(Encoding.UTF8.GetBytes(json));
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json, documentOptions: ReferenceParsing), JsonNode.Parse(document.ToUtf8Bytes(), documentOptions: ReferenceParsing)), name + ": not written back as read");
        }
    }

    // ---- random valid variants ---------------------------------------------------------------------------------

    private static readonly string[] CycleStatuses = ["INITIALIZED", "PLANNING", "EXECUTING", "EXPRESSING", "REVIEWING", "COMPLETED", "FAILED"];
    private static readonly string[] PhaseStatuses = ["pending", "in_progress", "completed", "failed"];
    private static readonly string[] PhaseNames = ["plan", "execute", "express", "review"];
    private static readonly string[] Timestamps = ["2025-08-06T09:12:44Z", "2025-08-06T09:12:44.123Z", "2025-12-31T23:59:59+05:30", "2024-02-29T00:00:00-08:00"];
    private static readonly double[] Percentages = [0, 100, 66.67, 91.75, 50, 33.333333333333336];

    private static JsonNode ValidVariant(Random random, int index)
    {
        var document = index % 3 == 0 ? JsonNode.Parse(Documents.Large())! : Documents.Node(Documents.Minimal($"peer.spec.demo-{index}.cycle.{index + 1}"));
        if (random.Next(3) == 0) document["version"] = 1.1;
        var metadata = document["metadata"]!;
        metadata["status"] = Pick(random, CycleStatuses);
        metadata["current_phase"] = Pick(random, PhaseNames);
        metadata["updated_at"] = Pick(random, Timestamps);
        if (random.Next(2) == 0) metadata["completed_at"] = Pick(random, Timestamps);
        var context = document["context"]!;
        context["peer_mode"] = random.Next(2) == 0 ? "new" : "continue";
        if (random.Next(3) == 0)
        {
            // spec_name only for spec-aware instructions.
            metadata.AsObject().Remove("spec_name");
            context["spec_aware"] = random.Next(2) == 0;
        }
        if (random.Next(3) == 0) context["instruction_args"] = "--spec=demo-" + index;
        if (random.Next(4) == 0) context["review_recommendations"] = new JsonArray("Add examples", "Split task 3");
        foreach (var phase in PhaseNames)
        {
            var node = document["phases"]![phase]!.AsObject();
            var status = Pick(random, PhaseStatuses);
            node["status"] = status;
            // started_at only once a phase has started, completed_at only when completed, error only when failed.
            if (status == "pending") node.Remove("started_at");
            else if (random.Next(2) == 0) node["started_at"] = Pick(random, Timestamps);
            if (status != "completed") node.Remove("completed_at");
            else if (random.Next(2) == 0) node["completed_at"] = Pick(random, Timestamps);
            if (status != "failed") node.Remove("error");
            else if (random.Next(2) == 0) node["error"] = "step " + random.Next(10) + " failed";
        }
        var plan = document["phases"]!["plan"]!;
        if (plan["status"]!.GetValue<string>() != "pending")
        {
            plan["output"] ??= new JsonObject();
            plan["output"]!["estimated_duration"] = random.Next(2) == 0 ? 300000 : 5400000.5;
            plan["output"]!["risks"] = new JsonArray(
                "plain text risk",
                new JsonObject { ["risk"] = "fsync differs", ["mitigation"] = "test ext4 and xfs", ["likelihood"] = "medium" },
                null, 42, new JsonArray(true, false));
        }
        var execute = document["phases"]!["execute"]!;
        if (execute["status"]!.GetValue<string>() != "pending")
        {
            execute["output"] ??= new JsonObject();
            execute["output"]!["progress"] = "Creating spec files (" + random.Next(0, 101) + "%)";
            execute["output"]!["current_step"] = random.Next(2) == 0 ? random.Next(0, 8) : 2.5;
            execute["output"]!["total_steps"] = 7;
            execute["output"]!["agent_extra_" + random.Next(100)] = new JsonObject { ["nested"] = new JsonArray(1, "two", null) };
        }
        if (random.Next(3) == 0)
        {
            execute["partial_completion"] = true;
            execute["partial_outputs"] = random.Next(2) == 0 ? new JsonObject { ["files_created"] = new JsonArray("a.md") } : null;
        }
        var review = document["phases"]!["review"]!;
        var reviewStatus = review["status"]!.GetValue<string>();
        if (reviewStatus != "pending")
        {
            review["output"] ??= new JsonObject();
            review["output"]!["quality_score"] = Percentages[random.Next(Percentages.Length)];
        }
        // cycle_summary only after the review completed, with all six fields.
        if (reviewStatus == "completed" && random.Next(3) != 0)
        {
            document["cycle_summary"] = new JsonObject
            {
                ["success"] = random.Next(2) == 0,
                ["instruction"] = "create-spec",
                ["summary"] = "Cycle " + index,
                ["highlights"] = new JsonArray(Enumerable.Range(0, random.Next(0, 4)).Select(i => (JsonNode)("h" + i)).ToArray()),
                ["completion"] = Percentages[random.Next(Percentages.Length)],
                ["next_action"] = "Review the spec",
            };
        }
        if (random.Next(3) == 0) document["insights"] = Insights(random.Next(2) == 0);
        return document;
    }

    /// <summary>Insights as peer-review.md builds them (step 8), with or without an alternative approach.</summary>
    private static JsonObject Insights(bool withAlternatives) => new()
    {
        ["learnings"] = new JsonArray("Specs need examples", new JsonArray("nested", "learning")),
        ["patterns"] = new JsonObject { ["success"] = new JsonArray("small tasks"), ["improvement"] = new JsonArray() },
        ["issues_encountered"] = new JsonArray(new JsonObject { ["issue"] = "timeout", ["root_cause"] = "slow disk" }),
        ["questions_for_user"] = new JsonArray("Should API contracts include sample payloads?"),
        ["recommendations"] = new JsonObject
        {
            ["process"] = new JsonArray(new JsonObject { ["id"] = "r1", ["text"] = "Template the spec" }),
            ["technical"] = new JsonArray("Use a WAL"),
            ["efficiency"] = new JsonArray(),
        },
        ["alternative_approaches"] = withAlternatives ? new JsonObject { ["recommended"] = "A", ["alternatives"] = new JsonArray() } : null,
        ["rationale"] = new JsonObject { ["r1"] = new JsonObject { ["why"] = "repeats", ["priority"] = "high" } },
    };

    private static string Pick(Random random, string[] values) => values[random.Next(values.Length)];

    // ---- valid edge values ---------------------------------------------------------------------------------------

    /// <summary>Valid documents at the edges, written as text so escapes and number spellings reach both validators as given.</summary>
    private static IEnumerable<(string Name, string Json)> EdgeValues()
    {
        var minimal = Documents.Minimal();
        string Reviewed(string score, string completion, string highlights) => minimal
            .Replace("\"review\": { \"status\": \"pending\" }", "\"review\": { \"status\": \"completed\", \"output\": { \"quality_score\": " + score + " } }", StringComparison.Ordinal)
            .Replace("\"phases\": {", "\"cycle_summary\": { \"success\": true, \"instruction\": \"create-spec\", \"summary\": \"s\", \"highlights\": " + highlights +
                ", \"completion\": " + completion + ", \"next_action\": \"n\" },\n  \"phases\": {", StringComparison.Ordinal);
        yield return ("scores and completion 0", Reviewed("0", "0", "[]"));
        yield return ("scores and completion 100", Reviewed("100", "100", "[\"a\", \"b\", \"c\"]"));
        yield return ("fractional score and completion, exactly 3 highlights", Reviewed("91.75", "66.67", "[\"a\", \"b\", \"c\"]"));
        yield return ("100 spelled 1e2 and 100.0", Reviewed("1e2", "100.0", "[\"a\"]"));
        yield return ("jq's 66.66666666666667", Reviewed("66.66666666666667", "66.66666666666667", "[]"));
        yield return ("1.0 as an integer", minimal.Replace("\"cycle_number\": 1,", "\"cycle_number\": 1.0,", StringComparison.Ordinal));
        yield return ("version 1.1", minimal.Replace("\"version\": 1,", "\"version\": 1.1,", StringComparison.Ordinal));
        yield return ("version 1.0", minimal.Replace("\"version\": 1,", "\"version\": 1.0,", StringComparison.Ordinal));
        yield return ("a leap second", minimal.Replace("\"updated_at\": \"2025-08-06T09:12:44Z\"", "\"updated_at\": \"2016-12-31T23:59:60Z\"", StringComparison.Ordinal));
        yield return ("9 fraction digits", minimal.Replace("\"updated_at\": \"2025-08-06T09:12:44Z\"", "\"updated_at\": \"2025-08-06T09:12:44.123456789Z\"", StringComparison.Ordinal));
        yield return ("escapes in strings", minimal.Replace("\"Write the spec.\"", "\"Line\\nTab\\t\\\"quoted\\\" \\\\ \\/ caf\\u00e9 \\ud83d\\ude00 é\"", StringComparison.Ordinal));
        yield return ("an escaped property name", minimal.Replace("\"plan\": { \"status\": \"pending\" }", "\"pl\\u0061n\": { \"st\\u0061tus\": \"pending\" }", StringComparison.Ordinal));
        var deep = new string('[', 100) + "\"deep\"" + new string(']', 100);
        yield return ("depth 100 inside extension data", minimal.Replace("\"execute\": { \"status\": \"pending\" }",
            "\"execute\": { \"status\": \"in_progress\", \"output\": { \"trace\": " + deep + " } }", StringComparison.Ordinal));
        yield return ("any JSON risks including null", minimal.Replace("\"plan\": { \"status\": \"pending\" }",
            "\"plan\": { \"status\": \"in_progress\", \"output\": { \"risks\": [null, 1.50, \"x\", {\"risk\": \"r\", \"likelihood\": \"low\"}, [[]]] } }", StringComparison.Ordinal));
        yield return ("partial outputs null", minimal.Replace("\"execute\": { \"status\": \"pending\" }",
            "\"execute\": { \"status\": \"pending\", \"partial_completion\": false, \"partial_outputs\": null }", StringComparison.Ordinal));
        yield return ("not spec-aware without spec_name", minimal.Replace("\"spec_name\": \"demo\",", string.Empty, StringComparison.Ordinal)
            .Replace("\"spec_aware\": true", "\"spec_aware\": false", StringComparison.Ordinal));
        yield return ("failed phase with started_at and error", minimal.Replace("\"express\": { \"status\": \"pending\" }",
            "\"express\": { \"status\": \"failed\", \"started_at\": \"2025-08-06T09:12:44Z\", \"error\": \"Failed to access instruction file\" }", StringComparison.Ordinal));
    }

    // ---- hand-written single faults ------------------------------------------------------------------------------

    private static readonly (string Name, Action<JsonNode> Mutate)[] Mutations =
    [
        ("cycle status misspelled", d => d["metadata"]!["status"] = "COMPLETD"),
        ("cycle status COMPLETE", d => d["metadata"]!["status"] = "COMPLETE"),
        ("phase status misspelled", d => d["phases"]!["plan"]!["status"] = "done"),
        ("phase status complete", d => d["phases"]!["plan"]!["status"] = "complete"),
        ("current phase planning", d => d["metadata"]!["current_phase"] = "planning"),
        ("cycle number as string", d => d["metadata"]!["cycle_number"] = "1"),
        ("cycle number zero", d => d["metadata"]!["cycle_number"] = 0),
        ("cycle number fractional", d => d["metadata"]!["cycle_number"] = 1.5),
        ("spec_aware as string", d => d["context"]!["spec_aware"] = "yes"),
        ("progress as a number", d => Started(d, "execute")["output"] = new JsonObject { ["progress"] = 100 }),
        ("quality score over 100", d => Started(d, "review")["output"] = new JsonObject { ["quality_score"] = 100.01 }),
        ("quality score negative", d => Started(d, "review")["output"] = new JsonObject { ["quality_score"] = -1 }),
        ("quality score high", d => Started(d, "review")["output"] = new JsonObject { ["quality_score"] = "high" }),
        ("missing metadata status", d => d["metadata"]!.AsObject().Remove("status")),
        ("missing plan phase", d => d["phases"]!.AsObject().Remove("plan")),
        ("missing context", d => d.AsObject().Remove("context")),
        ("phase name typo", d => d["phases"]!["paln"] = new JsonObject { ["status"] = "pending" }),
        ("unknown metadata field", d => d["metadata"]!["owner"] = "me"),
        ("unknown root field", d => d["result"] = new JsonObject()),
        ("unknown phase field", d => d["phases"]!["express"]!["note"] = "x"),
        ("error as an object", d => Failed(d, "execute")["error"] = new JsonObject { ["message"] = "boom" }),
        ("deliverables as an object", d => Started(d, "express")["output"] = new JsonObject { ["deliverables"] = new JsonObject { ["files_created"] = 2 } }),
        ("four highlights", d => d["cycle_summary"] = Summary(highlights: new JsonArray("a", "b", "c", "d"))),
        ("summary without next_action", d => d["cycle_summary"] = Summary(without: "next_action")),
        ("summary without instruction", d => d["cycle_summary"] = Summary(without: "instruction")),
        ("summary before the review completed", d => { Started(d, "review"); d["cycle_summary"] = Summary(); }),
        ("completion over 100", d => d["cycle_summary"] = Summary(completion: 100.5)),
        ("completed_at while pending", d => Pending(d, "plan")["completed_at"] = "2025-08-06T09:12:44Z"),
        ("completed_at while in progress", d => Started(d, "plan")["completed_at"] = "2025-08-06T09:12:44Z"),
        ("error while completed", d => Completed(d, "review")["error"] = "nothing went wrong"),
        ("started_at while pending", d => Pending(d, "express")["started_at"] = "2025-08-06T09:12:44Z"),
        ("spec_name while not spec-aware", d => { d["context"]!["spec_aware"] = false; d["metadata"]!["spec_name"] = "demo"; }),
        ("date not a date-time", d => d["metadata"]!["created_at"] = "2025-08-06"),
        ("month 13", d => d["metadata"]!["updated_at"] = "2025-13-01T00:00:00Z"),
        ("words for a date", d => Started(d, "plan")["started_at"] = "yesterday"),
        ("cycle id zero", d => d["cycle_id"] = "peer.spec.demo.cycle.0"),
        ("key prefix unknown kind", d => d["metadata"]!["key_prefix"] = "peer.bogus.demo"),
        ("file list with a number", d => Started(d, "execute")["output"] = new JsonObject { ["files_created"] = new JsonArray(1) }),
        ("results as array", d => Started(d, "execute")["output"] = new JsonObject { ["results"] = new JsonArray() }),
        ("empty instruction name", d => d["metadata"]!["instruction_name"] = ""),
        ("version 2", d => d["version"] = 2),
        ("version 1.2", d => d["version"] = 1.2),
        ("null error text", d => Failed(d, "plan")["error"] = null),
        ("phases as array", d => d["phases"] = new JsonArray()),
        ("phase as a string", d => d["phases"]!["review"] = "done"),
        ("risks as string", d => Started(d, "plan")["output"] = new JsonObject { ["risks"] = "none" }),
        ("duration in words", d => Started(d, "plan")["output"] = new JsonObject { ["estimated_duration"] = "Based on instruction complexity" }),
        ("partial_completion as string", d => d["phases"]!["execute"]!["partial_completion"] = "yes"),
        ("insights as array", d => d["insights"] = new JsonArray()),
        ("question for the user as object", d => d["insights"] = new JsonObject { ["questions_for_user"] = new JsonArray(new JsonObject()) }),
        ("instruction_args as array", d => d["context"]!["instruction_args"] = new JsonArray("--spec=x")),
    ];

    private static JsonObject Phase(JsonNode document, string phase, string status)
    {
        var node = document["phases"]![phase]!.AsObject();
        node["status"] = status;
        node.Remove("completed_at");
        node.Remove("error");
        if (status == "pending") node.Remove("started_at");
        return node;
    }

    private static JsonObject Pending(JsonNode document, string phase)
    {
        if (phase == "review") document.AsObject().Remove("cycle_summary");
        return Phase(document, phase, "pending");
    }

    private static JsonObject Started(JsonNode document, string phase)
    {
        if (phase == "review") document.AsObject().Remove("cycle_summary");
        return Phase(document, phase, "in_progress");
    }

    private static JsonObject Completed(JsonNode document, string phase) => Phase(document, phase, "completed");

    private static JsonObject Failed(JsonNode document, string phase)
    {
        if (phase == "review") document.AsObject().Remove("cycle_summary");
        return Phase(document, phase, "failed");
    }

    /// <summary>A cycle summary that is valid when the review has completed, unless a parameter breaks it.</summary>
    private static JsonObject Summary(JsonArray? highlights = null, string? without = null, double completion = 100)
    {
        var summary = new JsonObject
        {
            ["success"] = true,
            ["instruction"] = "create-spec",
            ["summary"] = "s",
            ["highlights"] = highlights ?? new JsonArray("a"),
            ["completion"] = completion,
            ["next_action"] = "n",
        };
        if (without != null) summary.Remove(without);
        return summary;
    }

    // ---- one fault per field of the path table -------------------------------------------------------------------

    /// <summary>
    /// A document where every field of <see cref="PeerCycleFields"/> has a parent to live in: every phase completed with
    /// output, the summary and insights present.
    /// </summary>
    private static JsonNode Full()
    {
        var document = JsonNode.Parse(Documents.Large())!;
        foreach (var phase in PhaseNames)
        {
            var node = document["phases"]![phase]!;
            node["status"] = "completed";
            node["started_at"] = "2025-08-06T09:12:44Z";
            node["completed_at"] = "2025-08-06T10:12:44Z";
            node["output"] ??= new JsonObject();
        }
        document["phases"]!["review"]!["output"]!["quality_score"] = 91.75;
        document["phases"]!["execute"]!["output"]!["progress"] = "Done";
        document["cycle_summary"] = Summary();
        document["insights"] = Insights(true);
        return document;
    }

    private static IEnumerable<(string Name, string Json)> FieldMutations()
    {
        var full = Full();
        Assert.True(PeerCycle.Validate(Documents.Bytes(full)).IsValid, PeerCycle.Validate(Documents.Bytes(full)).ToString());
        foreach (var field in PeerCycleFields.All)
        {
            var document = full.DeepClone();
            var segments = field.Pointer.Split('/').Skip(1).Select(JsonPointer.Unescape).ToArray();
            var parent = segments[..^1].Aggregate(document, (node, segment) => node[segment]!);
            var wrong = WrongValue(field.Type);
            if (wrong is null)
            {
                // Any JSON is valid here: a value of every kind must pass both validators.
                parent[segments[^1]] = new JsonArray(null, 1.5, "x", new JsonObject { ["k"] = new JsonArray(true) });
                yield return ("valid any-JSON field " + field.Path, document.ToJsonString());
                continue;
            }
            parent[segments[^1]] = wrong;
            yield return ("field " + field.Path + " (" + field.Type + ") given " + wrong.ToJsonString(), document.ToJsonString());
        }
    }

    private static JsonNode? WrongValue(string type) => type switch
    {
        "any JSON" => null,
        "date-time" => "not a date",
        "string" => 12345,
        "enum" => "NOT_A_VALUE",
        "integer" => 1.5,
        "number" => "1",
        "boolean" => "true",
        _ when type == "array of any JSON" => "not an array",
        _ when type.StartsWith("array of", StringComparison.Ordinal) => new JsonArray(new JsonObject { ["wrong"] = true }),
        _ => 42,
    };

    // ---- where PeerTyped is deliberately stricter than JSON Schema -------------------------------------------------

    [Fact]
    public void A_lone_surrogate_is_invalid_and_the_reader_says_so_instead_of_crashing()
    {
        foreach (var json in new[]
        {
            Documents.Minimal().Replace("\"Write the spec.\"", "\"bad \\ud800 text\"", StringComparison.Ordinal),
            Documents.Minimal().Replace("\"Write the spec.\"", "\"bad \\udc00\"", StringComparison.Ordinal),
            Documents.Minimal().Replace("\"execute\": { \"status\": \"pending\" }", "\"execute\": { \"status\": \"in_progress\", \"output\": { \"extra\": [\"\\uD800\\u0041\"] } }", StringComparison.Ordinal),
            Documents.Minimal().Replace("\"execute\": { \"status\": \"pending\" }", "\"execute\": { \"status\": \"in_progress\", \"output\": { \"\\ud800\": 1 } }", StringComparison.Ordinal),
        })
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            var violation = Assert.Single(PeerCycle.Validate(bytes).Violations);
            Assert.Equal("json", violation.Rule);
            Assert.Contains("unpaired UTF-16 surrogate", violation.Message, StringComparison.Ordinal);
            Assert.StartsWith(json.Contains("user_requirements\": \"bad", StringComparison.Ordinal) ? "/context/user_requirements" : "/phases/execute/output", violation.Pointer, StringComparison.Ordinal);
            var ex = Assert.Throws<JsonException>(() => PeerCycle.Parse(bytes));
            Assert.Contains("unpaired UTF-16 surrogate", ex.Message, StringComparison.Ordinal);
        }
        // An escaped backslash before "ud800" is text, not an escape.
        var backslash = Encoding.UTF8.GetBytes(Documents.Minimal().Replace("\"Write the spec.\"", "\"C:\\\\ud800\"", StringComparison.Ordinal));
        Assert.True(PeerCycle.Validate(backslash).IsValid, PeerCycle.Validate(backslash).ToString());
        Assert.Equal("C:\\ud800", PeerCycle.Parse(backslash).Context.UserRequirements);
        // A proper pair is text, and stays as written.
        var pair = Encoding.UTF8.GetBytes(Documents.Minimal().Replace("\"Write the spec.\"", "\"\\ud83d\\ude00\"", StringComparison.Ordinal));
        Assert.True(PeerCycle.Validate(pair).IsValid);
        Assert.Equal("\U0001F600", PeerCycle.Parse(pair).Context.UserRequirements);
    }

    [Theory]
    [InlineData("9223372036854775808", "is outside the range of a 64-bit integer")]
    [InlineData("-9223372036854775809", "is outside the range of a 64-bit integer")]
    [InlineData("1e19", "is outside the range of a 64-bit integer")]
    public void An_integer_a_long_cannot_hold_is_invalid_where_JSON_Schema_has_no_limit(string number, string message)
    {
        var json = Documents.Minimal().Replace("\"cycle_number\": 1,", "\"cycle_number\": " + number + ",", StringComparison.Ordinal);
        using var parsed = JsonDocument.Parse(json);
        // JSON Schema integers are unbounded; the generated type is a long, so PeerTyped refuses what it could not read.
        Assert.Equal(!number.StartsWith('-'), Reference.Evaluate(parsed.RootElement, Options).IsValid);
        var violation = Assert.Single(PeerCycle.Validate(Encoding.UTF8.GetBytes(json)).Violations, v => v.Pointer == "/metadata/cycle_number" && v.Rule == "type");
        Assert.Contains(message, violation.Message, StringComparison.Ordinal);
        Assert.Throws<JsonException>(() => PeerCycle.Parse(Encoding.UTF8.GetBytes(json)));
    }

    [Theory]
    [InlineData("9223372036854775807", true)]
    [InlineData("-9223372036854775808", false)]
    [InlineData("9.223372036854775807e18", true)]
    public void The_edges_of_a_long_are_read_exactly(string number, bool valid)
    {
        var json = Documents.Minimal().Replace("\"cycle_number\": 1,", "\"cycle_number\": " + number + ",", StringComparison.Ordinal);
        var result = PeerCycle.Validate(Encoding.UTF8.GetBytes(json));
        // The minimum of 1 is the only rule that may fail; the value itself is read without overflow.
        Assert.Equal(valid, result.IsValid);
        if (valid) Assert.Equal(long.MaxValue, PeerCycle.Parse(Encoding.UTF8.GetBytes(json)).Metadata.CycleNumber);
        else Assert.Equal("minimum", Assert.Single(result.Violations).Rule);
    }

    [Theory]
    [InlineData("66.67")]
    [InlineData("91.75")]
    [InlineData("1.0")]
    [InlineData("100")]
    [InlineData("66.66666666666667")]
    [InlineData("0.0000000000000000000000000001")]
    public void A_number_is_written_back_as_the_same_value(string number)
    {
        var json = Documents.Minimal().Replace("\"review\": { \"status\": \"pending\" }",
            "\"review\": { \"status\": \"in_progress\", \"output\": { \"quality_score\": " + number + " } }", StringComparison.Ordinal);
        var document = PeerCycle.Parse(Encoding.UTF8.GetBytes(json));
        Assert.Equal(decimal.Parse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture), document.Phases.Review.Output!.QualityScore);
        // Spelled as read, not just equal: 66.67 is not turned into 66.670000000000002 nor 1.0 into 1.
        Assert.Contains("\"quality_score\":" + number + "}", document.ToJson(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.12345678901234567890123456789")]
    [InlineData("1e-29")]
    [InlineData("1e30")]
    public void A_number_a_decimal_cannot_hold_exactly_is_invalid_rather_than_rounded(string number)
    {
        var json = Documents.Minimal().Replace("\"review\": { \"status\": \"pending\" }",
            "\"review\": { \"status\": \"in_progress\", \"output\": { \"quality_score\": " + number + " } }", StringComparison.Ordinal);
        var violation = Assert.Single(PeerCycle.Validate(Encoding.UTF8.GetBytes(json)).Violations);
        Assert.Equal("/phases/review/output/quality_score", violation.Pointer);
        Assert.Contains("cannot be stored exactly", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deeper_than_jq_can_parse_is_invalid_in_both()
    {
        var deep = new string('[', 300) + new string(']', 300);
        var json = Documents.Minimal().Replace("\"execute\": { \"status\": \"pending\" }",
            "\"execute\": { \"status\": \"in_progress\", \"output\": { \"trace\": " + deep + " } }", StringComparison.Ordinal);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(json, ReferenceParsing));
        Assert.Equal("json", Assert.Single(PeerCycle.Validate(Encoding.UTF8.GetBytes(json)).Violations).Rule);
    }
}
