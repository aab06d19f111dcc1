using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace PeerTyped.Generators.Tests;

/// <summary>
/// The build-time compatibility check: the schema against its last shipped version (an AdditionalFile under
/// shipped/). Each breaking kind is reported at its place in the new schema; additive changes and a bump with a
/// declared upgrade pass; a bump without one fails.
/// </summary>
public class CompatibilityTests
{
    private const string SchemaPath = "doc.schema.json";
    private const string ShippedPath = "shipped/doc.v1.schema.json";

    private const string V1 = """
        {
          "title": "Doc",
          "x-peer-namespace": "Evo",
          "x-peer-roles": ["planner", "review"],
          "x-peer-owner": "planner",
          "x-peer-schema-version": 1,
          "type": "object",
          "additionalProperties": false,
          "required": ["version", "state"],
          "properties": {
            "version": { "type": "number", "enum": [1] },
            "state": { "type": "string", "enum": ["open", "done"] },
            "count": { "type": "integer", "minimum": 0, "maximum": 10 },
            "note": { "type": "string", "maxLength": 100 },
            "plan": { "$ref": "#/$defs/Plan", "x-peer-owner": "planner" }
          },
          "$defs": {
            "Plan": {
              "type": "object",
              "additionalProperties": true,
              "properties": { "goal": { "type": "string" } }
            }
          }
        }
        """;

    private static async Task Expect(string schema, params DiagnosticResult[] expected)
    {
        var test = new SchemaGeneratorTest { TestBehaviors = TestBehaviors.SkipGeneratedSourcesCheck };
        test.TestState.AdditionalFiles.Add((ShippedPath, V1));
        test.TestState.AdditionalFiles.Add((SchemaPath, schema));
        test.TestState.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }

    /// <summary>The diagnostic spanning <paramref name="spanned"/>, the <paramref name="occurrence"/>-th time it appears in <paramref name="schema"/>.</summary>
    private static DiagnosticResult At(string id, string schema, string spanned, int occurrence = 1)
    {
        var index = -1;
        for (var i = 0; i < occurrence; i++) index = schema.IndexOf(spanned, index + 1, StringComparison.Ordinal);
        Assert.True(index >= 0, $"'{spanned}' is not in the schema");
        var (line, column) = Position(schema, index);
        var (endLine, endColumn) = Position(schema, index + spanned.Length);
        return new DiagnosticResult(id, DiagnosticSeverity.Error).WithSpan(SchemaPath, line, column, endLine, endColumn);
    }

    private static (int, int) Position(string text, int offset)
    {
        var before = text[..offset];
        var line = before.Count(c => c == '\n') + 1;
        return (line, offset - (before.LastIndexOf('\n') + 1) + 1);
    }

    [Fact]
    public Task The_shipped_schema_itself_passes() => Expect(V1);

    [Fact]
    public Task Removed_property_is_PTG011_at_the_properties_object()
    {
        var schema = V1.Replace("""    "note": { "type": "string", "maxLength": 100 },""" + "\n", string.Empty);
        return Expect(schema, At("PTG011", schema, "{", 2).WithArguments("#/properties",
            "property '/note' is removed or renamed; stored documents that have it become invalid"));
    }

    [Fact]
    public Task Changed_type_is_PTG012_at_the_type()
    {
        var schema = V1.Replace("""{ "type": "integer", "minimum": 0, "maximum": 10 }""", """{ "type": "string" }""");
        return Expect(schema, At("PTG012", schema, "\"string\"", 2).WithArguments("#/properties/count", "'/count' changes type from integer to string"));
    }

    [Fact]
    public Task Removed_enum_value_is_PTG013_at_the_enum()
    {
        var schema = V1.Replace("""["open", "done"]""", """["open"]""");
        return Expect(schema, At("PTG013", schema, """["open"]""").WithArguments("#/properties/state", "enum value \"done\" of '/state' is removed"));
    }

    [Fact]
    public Task New_required_property_without_upgrade_is_PTG014_at_its_name()
    {
        var schema = V1.Replace("""["version", "state"]""", """["version", "state", "note"]""");
        return Expect(schema, At("PTG014", schema, "\"note\"", 2).WithArguments("#/properties/note",
            "property '/note' becomes required; stored documents without it become invalid unless the upgrade adds it"));
    }

    [Fact]
    public Task Tightened_bound_is_PTG015_at_the_bound()
    {
        var schema = V1.Replace("\"maxLength\": 100", "\"maxLength\": 50");
        return Expect(schema, At("PTG015", schema, "50").WithArguments("#/properties/note", "maxLength of '/note' changes from 100 to 50"));
    }

    [Fact]
    public Task Ownership_change_is_PTG016_at_the_owner()
    {
        var schema = V1.Replace("""{ "$ref": "#/$defs/Plan", "x-peer-owner": "planner" }""", """{ "$ref": "#/$defs/Plan", "x-peer-owner": "review" }""");
        return Expect(schema, At("PTG016", schema, "\"review\"", 2).WithArguments("#/properties/plan", "the owner of '/plan' changes from planner to review"));
    }

    [Fact]
    public Task New_enum_value_is_PTG017_unsafe_for_readers_one_version_behind()
    {
        var schema = V1.Replace("""["open", "done"]""", """["open", "done", "blocked"]""");
        return Expect(schema, At("PTG017", schema, "\"blocked\"").WithArguments("#/properties/state", "new enum value \"blocked\" of '/state'; readers one version behind reject it"));
    }

    [Fact]
    public Task New_property_on_a_closed_object_is_PTG017()
    {
        var schema = V1.Replace("""    "count":""", """    "extra": { "type": "string" },""" + "\n    \"count\":");
        return Expect(schema, At("PTG017", schema, "\"extra\"").WithArguments("#/properties/extra",
            "new property '/extra' on an object that does not allow unlisted properties; readers one version behind reject documents that have it"));
    }

    [Fact]
    public Task Additive_changes_pass()
    {
        // A new optional property on an open object, a looser bound is not among them; descriptions are not compared.
        var schema = V1.Replace("""{ "goal": { "type": "string" } }""", """{ "goal": { "type": "string", "description": "why" }, "risk": { "type": "string" } }""");
        return Expect(schema);
    }

    private static string Bumped(string upgrades) => V1
        .Replace("\"x-peer-schema-version\": 1,", "\"x-peer-schema-version\": 2,\n  \"x-peer-upgrades\": " + upgrades + ",")
        .Replace("""{ "type": "number", "enum": [1] }""", """{ "type": "number", "enum": [2] }""")
        .Replace("""["version", "state"]""", """["version", "state", "note"]""")
        .Replace("\"maxLength\": 100", "\"maxLength\": 50")
        .Replace("""["open", "done"]""", """["open", "done", "blocked"]""");

    [Fact]
    public Task Bump_with_an_upgrade_passes()
    {
        var schema = Bumped("""[{ "from": 1, "ops": [{ "op": "add", "path": "/note", "value": "" }] }]""");
        return Expect(schema);
    }

    [Fact]
    public async Task A_new_required_member_with_a_default_keeps_hand_written_construction_compiling()
    {
        // Written against v1 (no Note); v2 makes note required with a default, so this still compiles (no CS9035).
        var schema = Bumped("""[{ "from": 1, "ops": [{ "op": "add", "path": "/note", "value": "" }] }]""")
            .Replace("\"maxLength\": 50", "\"maxLength\": 50, \"default\": \"none\"");
        var test = new SchemaGeneratorTest { TestBehaviors = TestBehaviors.SkipGeneratedSourcesCheck };
        test.TestState.AdditionalFiles.Add((ShippedPath, V1));
        test.TestState.AdditionalFiles.Add((SchemaPath, schema));
        test.TestState.Sources.Add("""
            public static class HandWritten
            {
                public static Evo.Doc Make() => new Evo.Doc { Version = 2, State = default };
                public static string NoteOf() => Make().Note;
                public static int Version => Evo.Doc.SchemaVersion;
            }
            """);
        await test.RunAsync();
    }

    [Fact]
    public Task Bump_with_an_upgrade_that_misses_a_new_required_property_is_PTG014()
    {
        var schema = Bumped("""[{ "from": 1, "ops": [{ "op": "add", "path": "/other", "value": "" }] }]""");
        return Expect(schema, At("PTG014", schema, "\"note\"", 2).WithArguments("#/properties/note",
            "property '/note' becomes required; stored documents without it become invalid unless the upgrade adds it"));
    }

    [Fact]
    public Task Bump_without_an_upgrade_is_PTG018_and_every_change_stays_reported()
    {
        var schema = V1
            .Replace("\"x-peer-schema-version\": 1,", "\"x-peer-schema-version\": 2,")
            .Replace("\"maxLength\": 100", "\"maxLength\": 50");
        return Expect(schema,
            new DiagnosticResult("PTG018", DiagnosticSeverity.Error).WithSpan(SchemaPath, 6, 28, 6, 29).WithArguments("2", "1"),
            At("PTG015", schema, "50").WithArguments("#/properties/note", "maxLength of '/note' changes from 100 to 50"));
    }

    [Fact]
    public Task Skipping_a_version_is_PTG019()
    {
        var schema = V1.Replace("\"x-peer-schema-version\": 1,", "\"x-peer-schema-version\": 3,");
        return Expect(schema, new DiagnosticResult("PTG019", DiagnosticSeverity.Error).WithSpan(SchemaPath, 6, 28, 6, 29).WithArguments("3", "1"));
    }

    [Fact]
    public void Shipped_baselines_generate_no_code_and_the_check_is_cached()
    {
        var driver = Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create([new SchemaGenerator().AsSourceGenerator()],
                driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true))
            .AddAdditionalTexts([new Text(ShippedPath, V1), new Text(SchemaPath, V1)]);
        var compilation = Microsoft.CodeAnalysis.CSharp.CSharpCompilation.Create("Cache");
        driver = driver.RunGenerators(compilation);
        Assert.Equal(2, driver.GetRunResult().GeneratedTrees.Length); // Doc.g.cs and Doc.Access.g.cs, none for the baseline
        driver = driver.RunGenerators(compilation.Clone());
        var steps = driver.GetRunResult().Results[0].TrackedSteps[SchemaGenerator.CompatibilityStep];
        Assert.All(steps.SelectMany(s => s.Outputs), output => Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
    }

    private sealed class Text(string path, string text) : AdditionalText
    {
        public override string Path => path;

        public override Microsoft.CodeAnalysis.Text.SourceText GetText(CancellationToken cancellationToken = default) => Microsoft.CodeAnalysis.Text.SourceText.From(text);
    }
}
