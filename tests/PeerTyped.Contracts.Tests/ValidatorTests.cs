using System.Text;
using System.Text.Json.Nodes;

namespace PeerTyped.Contracts.Tests;

public class ValidatorTests
{
    private static string[] Violations(JsonNode document) =>
        PeerCycle.Validate(Documents.Bytes(document)).Violations.Select(v => v.ToString()).ToArray();

    [Fact]
    public void An_enum_misspelling_names_the_pointer_and_the_allowed_values()
    {
        var document = Documents.Node(Documents.Minimal());
        document["metadata"]!["status"] = "DONE";
        Assert.Equal(["/metadata/status: \"DONE\" is not one of INITIALIZED, PLANNING, EXECUTING, EXPRESSING, REVIEWING, COMPLETED, FAILED"], Violations(document));
    }

    [Fact]
    public void Every_violation_is_reported_not_just_the_first()
    {
        var document = Documents.Node(Documents.Minimal());
        document["phases"]!["paln"] = new JsonObject { ["status"] = "pending" };
        document["phases"]!["review"]!["status"] = "in_progress";
        document["phases"]!["review"]!["output"] = new JsonObject { ["quality_score"] = 101 };
        document["metadata"]!.AsObject().Remove("current_phase");
        document["phases"]!["execute"]!["status"] = "in_progress";
        document["phases"]!["execute"]!["output"] = new JsonObject { ["files_created"] = new JsonArray(1, "b") };

        var violations = PeerCycle.Validate(Documents.Bytes(document)).Violations;
        Assert.Equal(
            new[]
            {
                ("/metadata", "required"),
                ("/phases/execute/output/files_created/0", "type"),
                ("/phases/review/output/quality_score", "maximum"),
                ("/phases/paln", "additionalProperties"),
            }.OrderBy(v => v.Item1),
            violations.Select(v => (v.Pointer, v.Rule)).OrderBy(v => v.Item1));
    }

    [Theory]
    [InlineData("", "(document): the document is empty")]
    [InlineData("   ", "(document): the document is empty")]
    [InlineData("{\"version\": 1,", "(document): malformed JSON")]
    [InlineData("[]", "(document): an array is not an object")]
    public void Broken_documents_get_one_clear_violation(string text, string expectedStart)
    {
        var violations = PeerCycle.Validate(Encoding.UTF8.GetBytes(text)).Violations;
        Assert.Single(violations);
        Assert.StartsWith(expectedStart, violations[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_and_deep_nesting_are_violations_not_crashes()
    {
        var invalidUtf8 = Encoding.UTF8.GetBytes(Documents.Minimal().Replace("Write the spec.", "X", StringComparison.Ordinal));
        invalidUtf8[Array.IndexOf(invalidUtf8, (byte)'X')] = 0xC3;
        Assert.Contains(PeerCycle.Validate(invalidUtf8).Violations, v => v.Message.StartsWith("invalid UTF-8", StringComparison.Ordinal));

        var deep = "{\"version\":" + new string('[', 5000) + new string(']', 5000) + "}";
        Assert.Contains(PeerCycle.Validate(Encoding.UTF8.GetBytes(deep)).Violations, v => v.Rule == "json");
    }

    [Fact]
    public void Rules_from_unified_state_schema_name_the_pointer_and_the_condition()
    {
        var document = Documents.Node(Documents.Minimal());
        document["phases"]!["plan"]!["completed_at"] = "2025-08-06T09:12:44Z";
        document["phases"]!["execute"]!["error"] = "boom";
        document["phases"]!["express"]!["started_at"] = "2025-08-06T09:12:44Z";
        document["cycle_summary"] = new JsonObject
        {
            ["success"] = true, ["instruction"] = "create-spec", ["summary"] = "s", ["highlights"] = new JsonArray(), ["completion"] = 66.67, ["next_action"] = "n",
        };
        document["context"]!["spec_aware"] = false;

        Assert.Equal(
            [
                "/metadata/spec_name: \"spec_name\" is not allowed when context.spec_aware is false",
                "/phases/execute/error: \"error\" is not allowed unless status is \"failed\"",
                "/phases/express/started_at: \"started_at\" is not allowed when status is \"pending\"",
                "/phases/plan/completed_at: \"completed_at\" is not allowed unless status is \"completed\"",
                "/phases/review/status: \"pending\" is not allowed when cycle_summary is present (expected \"completed\")",
            ],
            Violations(document).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_cycle_summary_needs_all_six_fields()
    {
        var document = Documents.Node(Documents.Minimal());
        document["phases"]!["review"]!["status"] = "completed";
        document["cycle_summary"] = new JsonObject { ["success"] = true, ["summary"] = "s" };
        Assert.Equal(
            ["instruction", "highlights", "completion", "next_action"],
            PeerCycle.Validate(Documents.Bytes(document)).Violations.Select(v => v.Message.Split('"')[1]));
    }
}
