using System.Text.Json.Nodes;
using Json.Schema;

namespace PeerTyped.Contracts.Tests;

/// <summary>
/// The generated validator and JsonSchema.Net, an independent 2020-12 implementation with format validation on,
/// must agree on every document: valid variants and single-fault mutations of them.
/// </summary>
public class DifferentialTests
{
    private static readonly JsonSchema Reference = JsonSchema.FromText(Documents.SchemaText());
    private static readonly EvaluationOptions Options = new() { RequireFormatValidation = true, OutputFormat = OutputFormat.Flag };

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
        return cases;
    }

    [Fact]
    public void There_are_at_least_200_cases_and_both_verdicts_occur()
    {
        var cases = Cases().ToList();
        Assert.True(cases.Count >= 200);
        Assert.Contains(cases, c => ((string)c[0]).StartsWith("valid", StringComparison.Ordinal));
        Assert.Contains(cases, c => !((string)c[0]).StartsWith("valid", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_validator_agrees_with_JsonSchemaNet(string name, string json)
    {
        using var parsed = System.Text.Json.JsonDocument.Parse(json);
        var expected = Reference.Evaluate(parsed.RootElement, Options).IsValid;
        var actual = PeerCycle.Validate(System.Text.Encoding.UTF8.GetBytes(json));
        Assert.True(expected == actual.IsValid, $"{name}: JsonSchema.Net says {(expected ? "valid" : "invalid")}, generated validator says {actual}");
        Assert.Equal(name.StartsWith("valid", StringComparison.Ordinal), actual.IsValid);
    }

    private static readonly string[] CycleStatuses = ["INITIALIZED", "PLANNING", "EXECUTING", "EXPRESSING", "REVIEWING", "COMPLETED", "FAILED"];
    private static readonly string[] PhaseStatuses = ["pending", "in_progress", "completed", "failed"];
    private static readonly string[] PhaseNames = ["plan", "execute", "express", "review"];
    private static readonly string[] Timestamps = ["2025-08-06T09:12:44Z", "2025-08-06T09:12:44.123Z", "2025-12-31T23:59:59+05:30", "2024-02-29T00:00:00-08:00"];

    private static JsonNode ValidVariant(Random random, int index)
    {
        var document = index % 3 == 0 ? JsonNode.Parse(Documents.Large())! : Documents.Node(Documents.Minimal($"peer.spec.demo-{index}.cycle.{index + 1}"));
        var metadata = document["metadata"]!;
        metadata["status"] = Pick(random, CycleStatuses);
        metadata["current_phase"] = Pick(random, PhaseNames);
        metadata["updated_at"] = Pick(random, Timestamps);
        if (random.Next(2) == 0) metadata["completed_at"] = Pick(random, Timestamps);
        if (random.Next(3) == 0) metadata.AsObject().Remove("spec_name");
        document["context"]!["peer_mode"] = random.Next(2) == 0 ? "new" : "continue";
        foreach (var phase in PhaseNames)
        {
            var node = document["phases"]![phase]!;
            node["status"] = Pick(random, PhaseStatuses);
            if (random.Next(2) == 0) node["started_at"] = Pick(random, Timestamps);
            if (random.Next(4) == 0) node["error"] = "step " + random.Next(10) + " failed";
        }
        var execute = document["phases"]!["execute"]!;
        execute["output"] ??= new JsonObject();
        execute["output"]!["progress"] = random.Next(0, 101);
        execute["output"]!["agent_extra_" + random.Next(100)] = new JsonObject { ["nested"] = new JsonArray(1, "two", null) };
        var review = document["phases"]!["review"]!;
        review["output"] ??= new JsonObject();
        review["output"]!["quality_score"] = random.Next(0, 101);
        if (random.Next(2) == 0)
        {
            document["cycle_summary"] = new JsonObject
            {
                ["success"] = random.Next(2) == 0,
                ["summary"] = "Cycle " + index,
                ["highlights"] = new JsonArray(Enumerable.Range(0, random.Next(0, 4)).Select(i => (JsonNode)("h" + i)).ToArray()),
                ["completion"] = random.Next(0, 101),
            };
        }
        return document;
    }

    private static string Pick(Random random, string[] values) => values[random.Next(values.Length)];

    private static readonly (string Name, Action<JsonNode> Mutate)[] Mutations =
    [
        ("cycle status misspelled", d => d["metadata"]!["status"] = "COMPLETD"),
        ("phase status misspelled", d => d["phases"]!["plan"]!["status"] = "done"),
        ("current phase wrong case", d => d["metadata"]!["current_phase"] = "Plan"),
        ("cycle number as string", d => d["metadata"]!["cycle_number"] = "1"),
        ("cycle number zero", d => d["metadata"]!["cycle_number"] = 0),
        ("spec_aware as string", d => d["context"]!["spec_aware"] = "yes"),
        ("progress fractional", d => d["phases"]!["execute"]!["output"]!["progress"] = 50.5),
        ("progress over 100", d => d["phases"]!["execute"]!["output"]!["progress"] = 150),
        ("quality score negative", d => d["phases"]!["review"]!["output"]!["quality_score"] = -1),
        ("quality score as string", d => d["phases"]!["review"]!["output"]!["quality_score"] = "88"),
        ("missing metadata status", d => d["metadata"]!.AsObject().Remove("status")),
        ("missing plan phase", d => d["phases"]!.AsObject().Remove("plan")),
        ("missing context", d => d.AsObject().Remove("context")),
        ("phase name typo", d => d["phases"]!["paln"] = new JsonObject { ["status"] = "pending" }),
        ("unknown metadata field", d => d["metadata"]!["owner"] = "me"),
        ("unknown root field", d => d["extra"] = true),
        ("unknown phase field", d => d["phases"]!["express"]!["note"] = "x"),
        ("four highlights", d => d["cycle_summary"] = new JsonObject { ["success"] = true, ["summary"] = "s", ["highlights"] = new JsonArray("a", "b", "c", "d") }),
        ("summary without success", d => d["cycle_summary"] = new JsonObject { ["summary"] = "s" }),
        ("date not a date-time", d => d["metadata"]!["created_at"] = "2025-08-06"),
        ("month 13", d => d["metadata"]!["updated_at"] = "2025-13-01T00:00:00Z"),
        ("words for a date", d => d["phases"]!["plan"]!["started_at"] = "yesterday"),
        ("cycle id zero", d => d["cycle_id"] = "peer.spec.demo.cycle.0"),
        ("key prefix unknown kind", d => d["metadata"]!["key_prefix"] = "peer.bogus.demo"),
        ("file list with a number", d => d["phases"]!["execute"]!["output"]!["files_created"] = new JsonArray(1)),
        ("results as array", d => d["phases"]!["execute"]!["output"]!["results"] = new JsonArray()),
        ("empty instruction name", d => d["metadata"]!["instruction_name"] = ""),
        ("version 2", d => d["version"] = 2),
        ("null error text", d => d["phases"]!["plan"]!["error"] = null),
        ("phases as array", d => d["phases"] = new JsonArray()),
        ("root as array", d => d["phases"]!["review"] = "done"),
        ("risks as string", d => d["phases"]!["plan"]!["output"] = new JsonObject { ["risks"] = "none" }),
    ];
}
