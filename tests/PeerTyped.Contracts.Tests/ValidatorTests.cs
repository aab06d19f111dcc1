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

    /// <summary>The minimal document as compact text with <paramref name="insert"/> placed right after <paramref name="after"/>.</summary>
    private static byte[] WithText(string after, string insert, Action<JsonNode>? change = null)
    {
        var document = Documents.Node(Documents.Minimal());
        change?.Invoke(document);
        var text = document.ToJsonString();
        var at = text.IndexOf(after, StringComparison.Ordinal);
        Assert.True(at >= 0, $"{after} not in {text}");
        return Encoding.UTF8.GetBytes(text.Insert(at + after.Length, insert));
    }

    private static void OpenResults(JsonNode document)
    {
        document["phases"]!["execute"]!["status"] = "in_progress";
        document["phases"]!["execute"]!["output"] = new JsonObject { ["results"] = new JsonObject { ["n"] = 1 } };
    }

    [Theory]
    [InlineData("\"phases\":{", "\"plan\":{\"status\":\"pending\"},", "/phases: the member \"plan\" appears twice")]
    [InlineData("\"phases\":{", "\"pl\\u0061n\":{\"status\":\"pending\"},", "/phases: the member \"plan\" appears twice")]
    [InlineData("{", "\"zz\":1,\"zz\":2,", "(document): the member \"zz\" appears twice")]
    public void A_member_twice_in_a_schema_object_is_the_one_violation(string after, string insert, string expectedStart)
    {
        var violations = PeerCycle.Validate(WithText(after, insert)).Violations;
        Assert.StartsWith(expectedStart, Assert.Single(violations).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_member_twice_inside_open_content_is_found_with_its_pointer()
    {
        var inside = WithText("\"results\":{", "\"list\":[0,{\"deep\":{\"b\":1,\"b\":2}}],", OpenResults);
        Assert.StartsWith("/phases/execute/output/results/list/1/deep: the member \"b\" appears twice",
            Assert.Single(PeerCycle.Validate(inside).Violations).ToString(), StringComparison.Ordinal);
        Assert.True(PeerCycle.Validate(WithText("\"results\":{", "\"list\":[0,{\"deep\":{\"b\":1,\"c\":2}}],", OpenResults)).IsValid);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(40)]
    [InlineData(500)]
    public void Many_open_members_are_told_apart_by_name_and_a_repeat_is_still_found(int count)
    {
        var members = string.Concat(Enumerable.Range(0, count).Select(i => $"\"m{i}\":{{\"x\":{i}}},"));
        Assert.True(PeerCycle.Validate(WithText("\"results\":{", members, OpenResults)).IsValid);
        var repeated = WithText("\"results\":{", members + "\"m0\":0,", OpenResults);
        Assert.StartsWith("/phases/execute/output/results: the member \"m0\" appears twice",
            Assert.Single(PeerCycle.Validate(repeated).Violations).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Validating_again_on_the_same_thread_starts_clean()
    {
        var duplicate = WithText("{", "\"zz\":1,\"zz\":2,");
        Assert.False(PeerCycle.Validate(duplicate).IsValid);
        var first = PeerCycle.Validate(WithText("{", "\"zz\":1,"));
        Assert.Equal("/zz", Assert.Single(first.Violations).Pointer);
        Assert.True(PeerCycle.Validate(Encoding.UTF8.GetBytes(Documents.Minimal())).IsValid);
        Assert.Equal("/zz", Assert.Single(first.Violations).Pointer);
    }
}
