using System.Text;
using System.Text.Json.Nodes;
using PeerTyped.Runtime;

namespace PeerTyped.Contracts.Tests;

/// <summary>Schema versions of documents and the declared upgrades the generated code and the CLI run in memory.</summary>
public class SchemaUpgradeTests
{
    /// <summary>README's walk-through: v2 adds a required plan.owner_agent, and its upgrade fills it where a plan exists.</summary>
    private const string WalkThrough = """[{ "from": 1, "ops": [{ "op": "add", "path": "/phases/plan/owner_agent", "value": "unknown" }] }]""";

    [Theory]
    [InlineData("""{"version":1,"a":2}""", 1)]
    [InlineData("""{"version":1.1}""", 1)]
    [InlineData("""{"a":{"version":9},"version":2}""", 2)]
    [InlineData("""{"version":"2"}""", null)]
    [InlineData("""{"version":0}""", null)]
    [InlineData("""{"a":1}""", null)]
    [InlineData("""{"version":""", null)]
    [InlineData("", null)]
    public void The_schema_version_is_the_whole_number_part_of_version(string json, int? expected) =>
        Assert.Equal(expected, SchemaUpgrades.VersionOf(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void This_build_writes_and_reads_schema_version_1_and_upgrades_nothing()
    {
        Assert.Equal(1, PeerCycle.SchemaVersion);
        Assert.Equal([1], PeerCycle.Upgrades.ReadableVersions);
        Assert.True(PeerCycle.Upgrades.CanRead(1));
        Assert.False(PeerCycle.Upgrades.CanRead(2));
    }

    [Fact]
    public void The_walk_through_upgrade_adds_the_member_where_its_parent_exists_and_sets_the_version()
    {
        var upgrades = SchemaUpgrades.Parse(2, WalkThrough);
        Assert.Equal([1, 2], upgrades.ReadableVersions);
        var upgraded = JsonNode.Parse(upgrades.Upgrade(Documents.Large(), 1))!;
        Assert.Equal(2, upgraded["version"]!.GetValue<int>());
        Assert.Equal("unknown", upgraded["phases"]!["plan"]!["owner_agent"]!.GetValue<string>());
        // Everything else is kept as it was.
        var original = JsonNode.Parse(Documents.Large())!.AsObject();
        original["version"] = 2;
        original["phases"]!["plan"]!["owner_agent"] = "unknown";
        Assert.True(JsonNode.DeepEquals(original, upgraded));

        // A value a writer already chose is never replaced; a missing parent gets nothing.
        var chosen = JsonNode.Parse(upgrades.Upgrade("""{"version":1,"phases":{"plan":{"owner_agent":"p-1"}}}"""u8, 1))!;
        Assert.Equal("p-1", chosen["phases"]!["plan"]!["owner_agent"]!.GetValue<string>());
        var noPlan = JsonNode.Parse(upgrades.Upgrade("""{"version":1,"phases":{}}"""u8, 1))!;
        Assert.Equal("""{"version":2,"phases":{}}""", noPlan.ToJsonString());
    }

    [Fact]
    public void Upgrades_chain_and_remove_and_rename_reach_every_array_item()
    {
        var upgrades = SchemaUpgrades.Parse(3, """
            [
              { "from": 1, "ops": [{ "op": "rename", "path": "/items/*/name", "to": "title" }] },
              { "from": 2, "ops": [{ "op": "remove", "path": "/items/*/legacy" }, { "op": "add", "path": "/items/*/tags", "value": [] }] }
            ]
            """);
        var upgraded = upgrades.Upgrade("""{"version":1,"items":[{"name":"a","legacy":1},{"name":"b"},{"title":"c","name":"d"}]}"""u8, 1);
        Assert.Equal("""{"version":3,"items":[{"title":"a","tags":[]},{"title":"b","tags":[]},{"title":"c","name":"d","tags":[]}]}""", Encoding.UTF8.GetString(upgraded));
        Assert.Equal("""{"version":3,"items":[]}""", Encoding.UTF8.GetString(upgrades.Upgrade("""{"version":2,"items":[]}"""u8, 2)));
    }

    [Fact]
    public void The_walk_through_upgrade_is_total_over_every_valid_v1_fixture()
    {
        var upgrades = SchemaUpgrades.Parse(2, WalkThrough);
        var fixtures = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "fixtures"), "*.json", SearchOption.AllDirectories)
            .Select(File.ReadAllBytes)
            .Where(bytes => PeerCycle.Validate(bytes).IsValid)
            .Append(Encoding.UTF8.GetBytes(Documents.Minimal()))
            .ToList();
        Assert.NotEmpty(fixtures);
        foreach (var fixture in fixtures)
        {
            var upgraded = JsonNode.Parse(upgrades.Upgrade(fixture, 1))!;
            Assert.Equal(2, upgraded["version"]!.GetValue<int>());
            if (upgraded["phases"]?["plan"] is JsonObject plan) Assert.NotNull(plan["owner_agent"]);
        }
    }

    [Fact]
    public void The_streaming_upgrade_keeps_every_untouched_value_byte_for_byte()
    {
        var upgrades = SchemaUpgrades.Parse(2, WalkThrough);
        const string Input = """{"version":1,"text":"a\u00e9\"b\ud83d\ude00","n":1.50,"big":123456789012345678901234567890,"e":1E+2,"phases":{"plan":{"status":"pending","x":[1.0, {"y" : "\/"}]}}}""";
        var output = Encoding.UTF8.GetString(upgrades.Upgrade(Encoding.UTF8.GetBytes(Input), 1));
        Assert.Equal("""{"version":2,"text":"a\u00e9\"b\ud83d\ude00","n":1.50,"big":123456789012345678901234567890,"e":1E+2,"phases":{"plan":{"status":"pending","x":[1.0, {"y" : "\/"}],"owner_agent":"unknown"}}}""", output);
    }

    [Theory]
    [InlineData("""[{ "op": "add", "path": "/x/a", "value": 1 }, { "op": "remove", "path": "/x/a" }]""", """{"version":2,"x":{"b":0}}""")]
    [InlineData("""[{ "op": "remove", "path": "/x/a" }, { "op": "add", "path": "/x/a", "value": 2 }]""", """{"version":2,"x":{"b":0,"a":2}}""")]
    [InlineData("""[{ "op": "rename", "path": "/x/b", "to": "a" }, { "op": "add", "path": "/x/b", "value": 3 }]""", """{"version":2,"x":{"a":9,"b":0}}""")]
    [InlineData("""[{ "op": "rename", "path": "/x/a", "to": "c" }]""", """{"version":2,"x":{"c":9,"b":0}}""")]
    [InlineData("""[{ "op": "add", "path": "/items/1/z", "value": {"k": [true]} }]""", """{"version":2,"x":{"a":9,"b":0},"items":[{},{"z":{"k":[true]}},[]]}""")]
    [InlineData("""[{ "op": "add", "path": "/items/*/z", "value": null }]""", """{"version":2,"x":{"a":9,"b":0},"items":[{"z":null},{"z":null},[]]}""")]
    [InlineData("""[{ "op": "add", "path": "/*/z", "value": 1 }]""", """{"version":2,"x":{"a":9,"b":0,"z":1},"items":[{},{},[]]}""")]
    [InlineData("""[]""", """{"version":2,"x":{"a":9,"b":0},"items":[{},{},[]]}""")]
    public void Operations_apply_in_their_declared_order(string ops, string expected)
    {
        var upgrades = SchemaUpgrades.Parse(2, $$"""[{ "from": 1, "ops": {{ops}} }]""");
        var input = expected.Contains("items", StringComparison.Ordinal) ? """{"version":1,"x":{"a":9,"b":0},"items":[{},{},[]]}""" : """{"version":1,"x":{"a":9,"b":0}}""";
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(upgrades.Upgrade(Encoding.UTF8.GetBytes(input), 1))), Encoding.UTF8.GetString(upgrades.Upgrade(Encoding.UTF8.GetBytes(input), 1)));
    }

    [Theory]
    [InlineData("""{"version":1,""")]
    [InlineData("""[1]""")]
    [InlineData("""{"version":1} {}""")]
    [InlineData("""{"version":1,"phases":{"plan":{"status":"pending",}}}""")]
    [InlineData("")]
    public void Malformed_input_is_a_JsonException_never_a_half_upgraded_document(string json)
    {
        var upgrades = SchemaUpgrades.Parse(2, WalkThrough);
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => upgrades.Upgrade(Encoding.UTF8.GetBytes(json), 1));
    }

    [Fact]
    public void The_streaming_upgrade_matches_a_tree_based_reference_on_every_fixture()
    {
        const string Ops = """
            [{ "from": 1, "ops": [
              { "op": "add", "path": "/phases/*/owner", "value": {"who": "unknown"} },
              { "op": "remove", "path": "/metadata/updated_at" },
              { "op": "rename", "path": "/context/user_requirements", "to": "requirements" },
              { "op": "add", "path": "/phases/execute/output/files_created", "value": [] }
            ] }]
            """;
        var upgrades = SchemaUpgrades.Parse(2, Ops);
        var fixtures = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "fixtures"), "*.json", SearchOption.AllDirectories).Select(File.ReadAllBytes)
            .Where(bytes => PeerCycle.Validate(bytes).IsValid).Append(Encoding.UTF8.GetBytes(Documents.Minimal())).ToList();
        Assert.NotEmpty(fixtures);
        foreach (var fixture in fixtures)
        {
            var expected = JsonNode.Parse(fixture)!.AsObject();
            foreach (var phase in expected["phases"]!.AsObject().Select(p => p.Value).OfType<JsonObject>())
            {
                if (!phase.ContainsKey("owner")) phase["owner"] = JsonNode.Parse("""{"who":"unknown"}""");
            }
            expected["metadata"]!.AsObject().Remove("updated_at");
            var context = expected["context"]!.AsObject();
            if (context.TryGetPropertyValue("user_requirements", out var requirements) && !context.ContainsKey("requirements"))
            {
                context.Remove("user_requirements");
                context["requirements"] = requirements;
            }
            if (expected["phases"]?["execute"]?["output"] is JsonObject output && !output.ContainsKey("files_created")) output["files_created"] = new JsonArray();
            expected["version"] = 2;
            Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(upgrades.Upgrade(fixture, 1))));
        }
    }
}
