using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using PeerTyped.Runtime;

namespace PeerTyped.Contracts.Tests;

public class RoundTripTests
{
    [Fact]
    public void The_seed_sized_document_is_valid_and_round_trips_with_unknown_output_fields()
    {
        var bytes = Documents.Large();
        Assert.True(PeerCycle.Validate(bytes).IsValid, PeerCycle.Validate(bytes).ToString());

        var document = PeerCycle.Parse(bytes);
        var written = document.ToUtf8Bytes();
        // The same size as revision 6 of the incident in the seed, in the canonical compact form every write stores.
        Assert.Equal(10_685, written.Length);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(bytes), JsonNode.Parse(written)));
        Assert.Equal("claude", document.Phases.Plan.Output!.ExtensionData["planner_notes"] is { } notes ? JsonNode.Parse(notes.Json)!["model"]!.GetValue<string>() : null);
        Assert.Equal(PeerCycle.Parse(written), document);
    }

    [Fact]
    public void Changing_one_phase_keeps_every_unknown_field_of_the_others()
    {
        var document = PeerCycle.Parse(Documents.Large());
        var changed = document.AsReview().WithReview(r => r.WithStatus(PhaseStatus.Completed)).Document;

        var before = JsonNode.Parse(document.ToUtf8Bytes())!;
        var after = JsonNode.Parse(changed.ToUtf8Bytes())!;
        Assert.Equal("completed", after["phases"]!["review"]!["status"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(before["phases"]!["execute"], after["phases"]!["execute"]));
        Assert.True(JsonNode.DeepEquals(before["phases"]!["plan"]!["output"]!["dependencies"], after["phases"]!["plan"]!["output"]!["dependencies"]));
        Assert.True(JsonNode.DeepEquals(before["phases"]!["review"]!["output"]!["reviewer_checklist"], after["phases"]!["review"]!["output"]!["reviewer_checklist"]));
    }

    [Fact]
    public void Records_have_value_equality_including_lists()
    {
        var first = new PlanOutput { Risks = [RawJson.FromString("a"), RawJson.Parse("{\"risk\": \"b\"}")], Phases = ValueList.From(["x"]) };
        var second = new PlanOutput { Risks = [RawJson.FromString("a"), RawJson.Parse("{\"risk\":\"b\"}")], Phases = ["x"] };
        Assert.Equal(first, second);
        Assert.NotEqual(first, second with { Risks = [RawJson.FromString("a")] });
    }

    [Fact]
    public void Any_JSON_is_written_back_byte_for_byte()
    {
        const string risks = "[{\"risk\":\"caf\\u00e9 \\/ fsync\",\"likelihood\":1.50,\"big\":1E+2},null,[true,\"\\n\"],-0.0]";
        var json = Documents.Minimal().Replace("\"plan\": { \"status\": \"pending\" }",
            "\"plan\": { \"status\": \"in_progress\", \"output\": { \"risks\": " + risks.Replace(",", " ,\n ", StringComparison.Ordinal) + " } }", StringComparison.Ordinal);
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.True(PeerCycle.Validate(bytes).IsValid, PeerCycle.Validate(bytes).ToString());

        var document = PeerCycle.Parse(bytes);
        // Whitespace between tokens goes; every token stays as written (escapes, 1.50, 1E+2, -0.0).
        Assert.Contains("\"risks\":" + risks, document.ToJson(), StringComparison.Ordinal);
        Assert.Null(document.Phases.Plan.Output!.Risks![1].AsString());
        Assert.Equal("null", document.Phases.Plan.Output.Risks[1].Json);
        Assert.Equal(PeerCycle.Parse(document.ToUtf8Bytes()), document);
    }

    [Fact]
    public void Enums_keep_their_exact_json_spellings()
    {
        var document = PeerCycle.Parse(Encoding.UTF8.GetBytes(Documents.Minimal()))
            .AsExecutor().WithExecute(e => e.WithStatus(PhaseStatus.InProgress)).Document;
        var json = document.ToJson();
        Assert.Contains("\"status\":\"in_progress\"", json, StringComparison.Ordinal);
        Assert.Contains("\"status\":\"INITIALIZED\"", json, StringComparison.Ordinal);
        Assert.False(PhaseStatusJson.TryParse("In_Progress", out _));
    }

    [Theory]
    [InlineData("2025-08-06T09:12:44Z", "2025-08-06T09:12:44Z")]
    [InlineData("2025-08-06T09:12:44.5Z", "2025-08-06T09:12:44.5Z")]
    [InlineData("2025-08-06T11:12:44+02:00", "2025-08-06T11:12:44+02:00")]
    [InlineData("2025-08-06t09:12:44z", "2025-08-06T09:12:44Z")]
    public void Timestamps_are_written_in_rfc3339(string input, string expected)
    {
        Assert.True(Timestamp.TryParse(input, out var value));
        Assert.Equal(expected, Timestamp.Format(value));
    }

    /// <summary>The digit-by-digit formatter writes what .NET's custom format strings it replaced write, over the whole range.</summary>
    [Fact]
    public void Timestamps_are_written_as_the_format_strings_write_them()
    {
        static string ByFormatString(DateTimeOffset value)
        {
            var fraction = value.Ticks % TimeSpan.TicksPerSecond;
            var text = value.ToString(fraction == 0 ? "yyyy-MM-dd'T'HH:mm:ss" : "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", System.Globalization.CultureInfo.InvariantCulture);
            return value.Offset == TimeSpan.Zero ? text + "Z" : text + value.ToString("zzz", System.Globalization.CultureInfo.InvariantCulture);
        }
        var maxTicks = DateTimeOffset.MaxValue.UtcTicks - TimeSpan.TicksPerDay;
        var instants = Gen.Long[TimeSpan.TicksPerDay, maxTicks];
        var fractions = Gen.OneOf(Gen.Const(0L), Gen.Const(1L), Gen.Const(10L), Gen.Const(1_200_000L), Gen.Const(9_999_999L), Gen.Long[0, TimeSpan.TicksPerSecond - 1]);
        var offsets = Gen.Int[-14 * 60, 14 * 60];
        Gen.Select(instants, fractions, offsets, Gen.Bool).Sample((ticks, fraction, offset, exact) =>
        {
            var utc = exact ? ticks - ticks % TimeSpan.TicksPerSecond + fraction : ticks;
            var value = new DateTimeOffset(utc, TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes(offset));
            Assert.Equal(ByFormatString(value), Timestamp.Format(value));
        }, iter: 20_000);
        Assert.Equal("0001-01-01T00:00:00Z", Timestamp.Format(DateTimeOffset.MinValue));
        Assert.Equal("9999-12-31T23:59:59.9999999Z", Timestamp.Format(DateTimeOffset.MaxValue));
        Assert.Equal("2025-08-06T09:12:44-00:30", Timestamp.Format(new DateTimeOffset(2025, 8, 6, 9, 12, 44, TimeSpan.FromMinutes(-30))));
    }

    [Fact]
    public void Parse_of_a_document_with_the_wrong_shape_throws_a_json_exception()
    {
        var ex = Assert.Throws<JsonException>(() => PeerCycle.Parse("{\"version\":\"one\"}"u8));
        Assert.StartsWith("/version: \"one\" is not a number", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2026-06-30T23:59:60Z", "2026-06-30T23:59:59.9999999Z")]
    [InlineData("2025-08-06T09:12:44.123456789Z", "2025-08-06T09:12:44.1234567Z")]
    [InlineData("2025-08-06T11:12:44+02:00", "2025-08-06T11:12:44+02:00")]
    [InlineData("2025-08-06T09:12:44.120Z", "2025-08-06T09:12:44.12Z")]
    public void A_valid_timestamp_is_written_back_as_given(string given, string asInstant)
    {
        var json = Documents.Minimal().Replace("\"created_at\": \"2025-08-06T09:12:44Z\"", "\"created_at\": \"" + given + "\"", StringComparison.Ordinal);
        Assert.Contains(given, json, StringComparison.Ordinal);
        var document = PeerCycle.Parse(Encoding.UTF8.GetBytes(json));

        // Typed code still sees a DateTimeOffset (the nearest instant .NET can hold).
        DateTimeOffset created = document.Metadata.CreatedAt;
        Assert.Equal(asInstant, Timestamp.Format(created));

        var written = document.ToUtf8Bytes();
        Assert.Contains("\"created_at\":\"" + given + "\"", Encoding.UTF8.GetString(written), StringComparison.Ordinal);
        Assert.Equal(written, PeerCycle.Parse(written).ToUtf8Bytes());
        Assert.Equal(PeerCycle.Parse(written), document);

        // Changing another field leaves the timestamp's bytes alone.
        var changed = document.AsPlanner().WithPlan(p => p.WithStatus(PhaseStatus.InProgress)).Document;
        Assert.Contains("\"created_at\":\"" + given + "\"", Encoding.UTF8.GetString(changed.ToUtf8Bytes()), StringComparison.Ordinal);

        // A value set from code is written from the instant, and is a change when the text differs.
        var reset = document with { Metadata = document.Metadata with { CreatedAt = created } };
        Assert.Contains("\"created_at\":\"" + asInstant + "\"", Encoding.UTF8.GetString(reset.ToUtf8Bytes()), StringComparison.Ordinal);
        Assert.Equal(given == asInstant, reset == document);
    }

    [Fact]
    public void Writes_on_one_thread_share_a_buffer_but_never_the_bytes_they_return()
    {
        var document = PeerCycle.Parse(Documents.Large());
        var compact = document.ToUtf8Bytes();
        var indented = document.ToUtf8Bytes(indented: true);
        var again = document.ToUtf8Bytes();
        Assert.NotSame(compact, again);
        Assert.Equal(compact, again);
        Assert.DoesNotContain((byte)'\n', compact);
        Assert.Contains((byte)'\n', indented);
        Assert.Equal(document, PeerCycle.Parse(indented));
        Assert.Equal(document, PeerCycle.Parse(compact));
    }

    [Fact]
    public void Members_in_any_order_and_escaped_names_read_and_validate_as_in_schema_order()
    {
        var document = Documents.Node(Documents.Minimal()).AsObject();
        var reversed = new System.Text.Json.Nodes.JsonObject();
        foreach (var (name, value) in document.Reverse().ToList()) reversed[name] = value?.DeepClone();
        var text = reversed.ToJsonString().Replace("\"cycle_id\"", "\"cycle\\u005fid\"", StringComparison.Ordinal);
        Assert.Contains("\\u005f", text, StringComparison.Ordinal);
        var bytes = Encoding.UTF8.GetBytes(text);

        Assert.True(PeerCycle.Validate(bytes).IsValid, PeerCycle.Validate(bytes).ToString());
        Assert.Equal(PeerCycle.Parse(Encoding.UTF8.GetBytes(Documents.Minimal())), PeerCycle.Parse(bytes));
    }
}
