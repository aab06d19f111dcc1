using Microsoft.CodeAnalysis.Testing;

namespace PeerTyped.Generators.Tests;

public class GeneratedSourceTests
{
    private static string Snapshot(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Snapshots", name)).ReplaceLineEndings("\n");

    [Fact]
    public async Task Small_schema_generates_the_expected_types_and_access_code()
    {
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
    public async Task Files_that_are_not_schemas_are_ignored()
    {
        var test = new SchemaGeneratorTest();
        test.TestState.AdditionalFiles.Add(("notes.json", "{ not even json"));
        await test.RunAsync();
    }
}
