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
}
