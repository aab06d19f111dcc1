using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace PeerTyped.Generators.Tests;

/// <summary>The pipeline carries only equatable models, so unrelated edits are served from cache.</summary>
public class CachingTests
{
    private sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
    {
        public override string Path => path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text);
    }

    private static GeneratorDriver Driver(AdditionalText schema) =>
        CSharpGeneratorDriver.Create(
            [new SchemaGenerator().AsSourceGenerator()],
            [schema],
            (CSharpParseOptions)CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    private static CSharpCompilation Compilation(string code) =>
        CSharpCompilation.Create("Caching", [CSharpSyntaxTree.ParseText(code)], [MetadataReference.CreateFromFile(typeof(object).Assembly.Location)]);

    private static IEnumerable<IncrementalStepRunReason> Reasons(GeneratorDriver driver, string step) =>
        driver.GetRunResult().Results.Single().TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason);

    private static IEnumerable<IncrementalStepRunReason> OutputReasons(GeneratorDriver driver) =>
        driver.GetRunResult().Results.Single().TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).Select(o => o.Reason);

    [Fact]
    public void Editing_an_unrelated_source_file_leaves_parse_and_emit_cached()
    {
        var driver = Driver(new InMemoryAdditionalText("task.schema.json", Schemas.Task)).RunGenerators(Compilation("class A { }"));
        Assert.Equal(2, driver.GetRunResult().GeneratedTrees.Length);

        driver = driver.RunGenerators(Compilation("class A { int edited; }"));

        Assert.All(Reasons(driver, SchemaGenerator.ParseStep), reason => Assert.Equal(IncrementalStepRunReason.Cached, reason));
        Assert.NotEmpty(OutputReasons(driver));
        Assert.All(OutputReasons(driver), reason => Assert.Equal(IncrementalStepRunReason.Cached, reason));
    }

    [Fact]
    public void Editing_the_schema_reruns_parse_and_emit()
    {
        var compilation = Compilation("class A { }");
        var original = new InMemoryAdditionalText("task.schema.json", Schemas.Task);
        var driver = Driver(original).RunGenerators(compilation);

        var edited = Schemas.Task.Replace("\"maxLength\": 200", "\"maxLength\": 300", StringComparison.Ordinal);
        Assert.NotEqual(Schemas.Task, edited);
        driver = driver.ReplaceAdditionalText(original, new InMemoryAdditionalText("task.schema.json", edited));
        driver = driver.RunGenerators(compilation);

        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(driver, SchemaGenerator.ParseStep));
        Assert.Contains(IncrementalStepRunReason.Modified, OutputReasons(driver));
        Assert.Contains("300", driver.GetRunResult().GeneratedTrees.Single(t => t.FilePath.EndsWith("TaskDoc.g.cs", StringComparison.Ordinal)).ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("task")]
    [InlineData("job")]
    public void Editing_only_whitespace_in_the_schema_reruns_parse_but_leaves_the_output_cached(string which)
    {
        var schema = which == "task" ? Schemas.Task : Schemas.Rules;
        var compilation = Compilation("class A { }");
        var original = new InMemoryAdditionalText(which + ".schema.json", schema);
        var driver = Driver(original).RunGenerators(compilation);
        Assert.Equal(2, driver.GetRunResult().GeneratedTrees.Length);

        // Same model, different text: re-indented and with a blank line.
        var edited = schema.Replace("\n", "\n\n  ", StringComparison.Ordinal);
        Assert.NotEqual(schema, edited);
        driver = driver.ReplaceAdditionalText(original, new InMemoryAdditionalText(which + ".schema.json", edited));
        driver = driver.RunGenerators(compilation);

        // The parse step ran on the new text and produced an equal model, so nothing downstream ran again.
        Assert.All(Reasons(driver, SchemaGenerator.ParseStep), reason => Assert.Equal(IncrementalStepRunReason.Unchanged, reason));
        Assert.NotEmpty(OutputReasons(driver));
        Assert.All(OutputReasons(driver), reason => Assert.Equal(IncrementalStepRunReason.Cached, reason));
    }
}
