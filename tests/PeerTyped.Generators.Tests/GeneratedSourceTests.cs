using Microsoft.CodeAnalysis.Testing;

namespace PeerTyped.Generators.Tests;

public class GeneratedSourceTests
{
    private static string Snapshot(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Snapshots", name)).ReplaceLineEndings("\n");

    /// <summary>
    /// With PEERTYPED_UPDATE_SNAPSHOTS=1 the snapshots are rewritten in the source tree from what the generator emits
    /// now; review the diff before committing. Without it, nothing is written.
    /// </summary>
    private static void UpdateSnapshots(string schemaPath, string schema)
    {
        if (Environment.GetEnvironmentVariable("PEERTYPED_UPDATE_SNAPSHOTS") != "1") return;
        var driver = Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create(new SchemaGenerator())
            .AddAdditionalTexts([new InMemoryText(schemaPath, schema)])
            .RunGenerators(Microsoft.CodeAnalysis.CSharp.CSharpCompilation.Create("Snapshots"));
        var directory = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "Snapshots"));
        foreach (var tree in driver.GetRunResult().GeneratedTrees)
        {
            File.WriteAllText(Path.Combine(directory, Path.GetFileName(tree.FilePath) + ".txt"), tree.ToString());
        }
    }

    private sealed class InMemoryText(string path, string text) : Microsoft.CodeAnalysis.AdditionalText
    {
        public override string Path => path;

        public override Microsoft.CodeAnalysis.Text.SourceText GetText(CancellationToken cancellationToken = default) => Microsoft.CodeAnalysis.Text.SourceText.From(text);
    }

    [Fact]
    public async Task Small_schema_generates_the_expected_types_and_access_code()
    {
        UpdateSnapshots("task.schema.json", Schemas.Task);
        var test = new SchemaGeneratorTest();
        test.TestState.AdditionalFiles.Add(("task.schema.json", Schemas.Task));
        test.TestState.GeneratedSources.Add((typeof(SchemaGenerator), "TaskDoc.g.cs", Snapshot("TaskDoc.g.cs.txt")));
        test.TestState.GeneratedSources.Add((typeof(SchemaGenerator), "TaskDoc.Access.g.cs", Snapshot("TaskDoc.Access.g.cs.txt")));
        // The generated code must also compile and be usable from hand-written code.
        test.TestState.Sources.Add("""
            using Sample;
            public static class Usage
            {
                public static TaskDoc Finish(TaskDoc task) =>
                    task.AsWriter().WithNotes(n => n.WithText("done").WithTags(["a", "b"])).Document.WithState(TaskState.Done);
            }
            """);
        await test.RunAsync();
    }

    [Fact]
    public async Task Numbers_any_JSON_and_conditional_rules_generate_the_expected_code()
    {
        UpdateSnapshots("job.schema.json", Schemas.Rules);
        var test = new SchemaGeneratorTest();
        test.TestState.AdditionalFiles.Add(("job.schema.json", Schemas.Rules));
        test.TestState.GeneratedSources.Add((typeof(SchemaGenerator), "Job.g.cs", Snapshot("Job.g.cs.txt")));
        test.TestState.GeneratedSources.Add((typeof(SchemaGenerator), "Job.Access.g.cs", Snapshot("Job.Access.g.cs.txt")));
        // Numbers are decimals, any JSON is RawJson, and both are usable from hand-written code.
        test.TestState.Sources.Add("""
            using Sample;
            using PeerTyped.Runtime;
            public static class Usage
            {
                public static Job Make() => new Job
                {
                    Version = 1.1m,
                    State = JobState.Done,
                    Score = 66.67m,
                    Payload = RawJson.Parse("{\"any\": [1, null]}"),
                    Tags = [RawJson.FromString("a"), RawJson.Null],
                    Result = new JobResult { Ok = true, Detail = RawJson.Parse("42") },
                };
            }
            """);
        await test.RunAsync();
    }

    [Fact]
    public async Task Files_that_are_not_schemas_are_ignored()
    {
        var test = new SchemaGeneratorTest();
        test.TestState.AdditionalFiles.Add(("notes.json", "{ not even json"));
        await test.RunAsync();
    }
}

public class ValidChangeEmissionTests
{
    private const string Schema = """
        {
          "title": "Gauge",
          "x-peer-namespace": "Sample",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "reading": {},
            "note": { "type": "string" },
            "stamp": {
              "title": "Stamp",
              "type": "object",
              "additionalProperties": false,
              "properties": { "taken_at": { "type": "string", "format": "date-time" }, "by": { "type": "string" } },
              "if": { "properties": { "taken_at": { "const": "2025-01-01T00:00:00Z" } } },
              "then": { "required": ["by"] }
            }
          },
          "if": { "properties": { "reading": { "const": "stale" } } },
          "then": { "required": ["note"] }
        }
        """;

    /// <summary>
    /// The typed proof of validity compares a date-time with a rule's value by its written text, and leaves a rule on a
    /// free-form value to the validator ("not shown") instead of guessing: a free-form value may equal the rule's value.
    /// </summary>
    [Fact]
    public void A_rule_on_a_free_form_value_is_left_to_the_validator_and_a_date_time_is_compared_as_written()
    {
        var driver = Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create(new SchemaGenerator())
            .AddAdditionalTexts([new SchemaText("gauge.schema.json", Schema)])
            .RunGenerators(Microsoft.CodeAnalysis.CSharp.CSharpCompilation.Create("ValidChange"));
        var result = driver.GetRunResult();
        Assert.Empty(result.Diagnostics);
        var source = result.GeneratedTrees.Single(t => t.FilePath.EndsWith("Gauge.g.cs", StringComparison.Ordinal)).ToString();
        var gauge = Method(source, "public static bool IsValidChange(Gauge? before");
        Assert.EndsWith("return false; // a rule looks into a free-form value: only the validator can tell", gauge.TrimEnd(), StringComparison.Ordinal);
        var stamp = Method(source, "public static bool IsValidChange(Stamp? before");
        Assert.Contains(".Text == \"2025-01-01T00:00:00Z\"", stamp, StringComparison.Ordinal);
        Assert.EndsWith("return true;", stamp.TrimEnd(), StringComparison.Ordinal);
    }

    private const string NestedSchema = """
        {
          "title": "Grid",
          "x-peer-namespace": "Sample",
          "type": "object",
          "additionalProperties": false,
          "required": ["rows"],
          "properties": {
            "rows": {
              "type": "array", "minItems": 1,
              "items": { "type": "array", "maxItems": 4, "items": { "title": "Cell", "type": "object", "additionalProperties": true,
                "properties": { "code": { "type": "string", "pattern": "^[A-Z]+$" }, "weight": { "type": "integer", "minimum": 0 } } } }
            },
            "labels": { "type": "array", "items": { "type": "array", "items": { "type": "string", "minLength": 2 } } },
            "a/b~c": { "type": "number", "maximum": 5 }
          }
        }
        """;

    /// <summary>
    /// Arrays of arrays of objects, item constraints at each depth and a member name that needs JSON Pointer escaping:
    /// the generated diff and proof of validity compile, and the diff names the member as RFC 6901 escapes it.
    /// </summary>
    [Fact]
    public void Nested_arrays_and_an_escaped_member_name_generate_code_that_compiles()
    {
        var compilation = Microsoft.CodeAnalysis.CSharp.CSharpCompilation.Create("Nested",
            references: FrameworkReferences.All.Append(Microsoft.CodeAnalysis.MetadataReference.CreateFromFile(typeof(PeerTyped.Runtime.ValueList).Assembly.Location)),
            options: new Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions(Microsoft.CodeAnalysis.OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: Microsoft.CodeAnalysis.NullableContextOptions.Enable));
        var driver = Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create(new SchemaGenerator())
            .AddAdditionalTexts([new SchemaText("grid.schema.json", NestedSchema)])
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        var errors = output.GetDiagnostics().Where(d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Warning).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        var source = driver.GetRunResult().GeneratedTrees.Single(t => t.FilePath.EndsWith("Grid.g.cs", StringComparison.Ordinal)).ToString();
        Assert.Contains("\"a~1b~0c\"", Method(source, "public static void DiffJson(Grid before"), StringComparison.Ordinal);
        Assert.Contains("ValidChangeRowsArray1(", Method(source, "private static bool ValidChangeRowsArray("), StringComparison.Ordinal);
    }

    /// <summary>
    /// Objects in arrays, written again from their remembered bytes in other places (another position, another row,
    /// after or without a separator): the generated code, compiled and run, writes what a writer that remembers nothing
    /// writes.
    /// </summary>
    [Fact]
    public void Remembered_objects_written_again_in_other_places_of_arrays_are_written_as_in_full()
    {
        const string driver = """
            namespace Sample;

            public static class Driver
            {
                public static object Parse(string json) => Grid.Parse(System.Text.Encoding.UTF8.GetBytes(json));

                public static void Write(object grid, System.Text.Json.Utf8JsonWriter writer) => ((Grid)grid).WriteJson(writer);

                public static string[] Move(object written)
                {
                    var grid = (Grid)written;
                    var rows = grid.Rows;
                    var moved = grid with
                    {
                        Rows = PeerTyped.Runtime.ValueList.From([PeerTyped.Runtime.ValueList.From([rows[1][1], rows[0][0], rows[1][0]]), PeerTyped.Runtime.ValueList.From([rows[0][1]])]),
                    };
                    var buffer = new System.Buffers.ArrayBufferWriter<byte>();
                    using (var writer = new System.Text.Json.Utf8JsonWriter(buffer, PeerTyped.Runtime.JsonText.CompactWriterOptions)) moved.WriteJson(writer);
                    return [System.Text.Encoding.UTF8.GetString(moved.ToUtf8Bytes()), System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan)];
                }
            }
            """;
        var compilation = Microsoft.CodeAnalysis.CSharp.CSharpCompilation.Create("Moved",
            [Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(driver, new Microsoft.CodeAnalysis.CSharp.CSharpParseOptions(Microsoft.CodeAnalysis.CSharp.LanguageVersion.Latest))],
            FrameworkReferences.All.Append(Microsoft.CodeAnalysis.MetadataReference.CreateFromFile(typeof(PeerTyped.Runtime.ValueList).Assembly.Location)),
            new Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions(Microsoft.CodeAnalysis.OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: Microsoft.CodeAnalysis.NullableContextOptions.Enable));
        Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create(new SchemaGenerator())
            .AddAdditionalTexts([new SchemaText("grid.schema.json", NestedSchema)])
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        var assembly = System.Runtime.Loader.AssemblyLoadContext.Default.LoadFromStream(new MemoryStream(image.ToArray()));
        // Cells of at least WrittenJson.MinimumLength bytes, so that each is remembered.
        string Cell(char letter) => $$"""{"code":"{{new string(letter, PeerTyped.Runtime.WrittenJson.MinimumLength)}}","weight":1}""";
        var json = $$"""{"rows":[[{{Cell('A')}},{{Cell('B')}}],[{{Cell('C')}},{{Cell('D')}}]],"a/b~c":1}""";
        var driverType = assembly.GetType("Sample.Driver")!;
        var grid = driverType.GetMethod("Parse")!.Invoke(null, [json])!;
        var writeJson = driverType.GetMethod("Write")!.CreateDelegate<Action<object, System.Text.Json.Utf8JsonWriter>>();
        PeerTyped.Runtime.JsonText.WriteRemembering(grid, writeJson);
        var written = (string[])driverType.GetMethod("Move")!.Invoke(null, [grid])!;
        Assert.Equal(written[1], written[0]);
        Assert.Equal($$"""{"rows":[[{{Cell('D')}},{{Cell('A')}},{{Cell('C')}}],[{{Cell('B')}}]],"a/b~c":1}""", written[0]);
    }

    private static string Method(string source, string signature)
    {
        var body = source[source.IndexOf(signature, StringComparison.Ordinal)..];
        return body[..body.IndexOf("\n        }\n", StringComparison.Ordinal)];
    }

    private sealed class SchemaText(string path, string text) : Microsoft.CodeAnalysis.AdditionalText
    {
        public override string Path => path;

        public override Microsoft.CodeAnalysis.Text.SourceText GetText(CancellationToken cancellationToken = default) => Microsoft.CodeAnalysis.Text.SourceText.From(text);
    }
}
