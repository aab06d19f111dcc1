using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using PeerTyped.Generators.Analyzers;

namespace PeerTyped.Generators.Tests;

public class AnalyzerTests
{
    private sealed class Test : CSharpAnalyzerTest<PeerStateAnalyzer, DefaultVerifier>
    {
        public Test(string source)
        {
            ReferenceAssemblies = new ReferenceAssemblies("net10.0");
            TestState.AdditionalReferences.AddRange(FrameworkReferences.All);
            // NATS.Net spreads its types over several assemblies; reference every one beside the KV assembly.
            var natsDirectory = Path.GetDirectoryName(typeof(NATS.Client.KeyValueStore.INatsKVStore).Assembly.Location)!;
            foreach (var assembly in Directory.GetFiles(natsDirectory, "NATS.*.dll"))
            {
                TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(assembly));
            }
            TestCode = source;
        }
    }

    private const string Usings = """
        using System.Threading.Tasks;
        using NATS.Client.KeyValueStore;
        """;

    [Fact]
    public async Task Raw_writes_to_a_kv_store_are_PTA001()
    {
        await new Test(Usings + """

            class Agent
            {
                async Task Run(INatsKVStore kv, byte[] json)
                {
                    await {|PTA001:kv.PutAsync("state", json)|};
                    await {|PTA001:kv.UpdateAsync("state", json, 3)|};
                    await {|PTA001:kv.DeleteAsync("state")|};
                    await {|PTA001:kv.PurgeAsync("state")|};
                }
            }
            """).RunAsync();
    }

    [Fact]
    public async Task Reads_and_unrelated_PutAsync_methods_are_not_flagged()
    {
        await new Test(Usings + """

            class Cache { public Task PutAsync(string key, byte[] value) => Task.CompletedTask; }

            class Agent
            {
                async Task Run(INatsKVStore kv, Cache cache, byte[] json)
                {
                    var entry = await kv.GetEntryAsync<byte[]>("state");
                    await cache.PutAsync("state", json);
                }
            }
            """).RunAsync();
    }

    [Fact]
    public async Task The_severity_can_be_raised_by_configuration()
    {
        var test = new Test(Usings + """

            class Agent
            {
                async Task Run(INatsKVStore kv, byte[] json) => await {|#0:kv.PutAsync("state", json)|};
            }
            """);
        // The mechanism dotnet_diagnostic.PTA001.severity in .editorconfig feeds; the descriptor is not NotConfigurable.
        test.SolutionTransforms.Add((solution, projectId) =>
        {
            var options = solution.GetProject(projectId)!.CompilationOptions!;
            return solution.WithProjectCompilationOptions(projectId, options.WithSpecificDiagnosticOptions(options.SpecificDiagnosticOptions.SetItem("PTA001", ReportDiagnostic.Error)));
        });
        Assert.DoesNotContain(WellKnownDiagnosticTags.NotConfigurable, PeerStateAnalyzer.RawKvWrite.CustomTags);
        test.TestState.ExpectedDiagnostics.Add(new DiagnosticResult(PeerStateAnalyzer.RawKvWrite).WithSeverity(DiagnosticSeverity.Error).WithLocation(0).WithArguments("INatsKVStore.PutAsync"));
        test.TestState.MarkupHandling = MarkupMode.Allow;
        await test.RunAsync();
    }

    [Fact]
    public async Task Malformed_peer_keys_are_PTA002_and_good_ones_are_not()
    {
        await new Test("""
            class Keys
            {
                const string Good = "peer.spec.walcommitter-operation-support.cycle.1";
                const string Global = "peer.global.cycle.12";
                const string NotAKey = "people.cycle.txt";
                const string Space = {|PTA002:"peer.spec.has space.cycle.1"|};
                const string Zero = {|PTA002:"peer.spec.demo.cycle.0"|};
                const string Wildcard = {|PTA002:"peer.spec.*.cycle.1"|};
                const string Kind = {|PTA002:"peer.specs.demo.cycle.1"|};
            }
            """).RunAsync();
    }

    [Fact]
    public async Task A_With_method_of_a_section_another_role_owns_is_PTA003_naming_the_owner()
    {
        // The views come from the generator run on the small sample schema, as in any consumer's build.
        var generated = Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create(new SchemaGenerator())
            .AddAdditionalTexts([new SchemaText("task.schema.json", Schemas.Task)])
            .RunGenerators(Microsoft.CodeAnalysis.CSharp.CSharpCompilation.Create("Views"))
            .GetRunResult().GeneratedTrees;
        var test = new CSharpAnalyzerTest<ViewOwnershipAnalyzer, DefaultVerifier>
        {
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
            TestCode = """
                using Sample;
                static class Agent
                {
                    static TaskDoc Finish(TaskDoc task) => task.AsWriter().{|#0:WithState|}(TaskState.Done).Document;
                    static TaskDoc Note(TaskDoc task) => task.AsWriter().WithNotes(n => n.WithText("ok")).Document;
                    static TaskDoc Typo(TaskDoc task) => task.AsWriter().{|#1:WithNote|}(n => n).Document;
                }
                """,
        };
        test.TestState.AdditionalReferences.AddRange(FrameworkReferences.All);
        test.TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(PeerTyped.Runtime.ValueList).Assembly.Location));
        foreach (var tree in generated) test.TestState.Sources.Add((Path.GetFileName(tree.FilePath), tree.GetText()));
        test.TestState.ExpectedDiagnostics.Add(DiagnosticResult.CompilerError("CS1061").WithLocation(0).WithArguments("Sample.WriterView", "WithState"));
        test.TestState.ExpectedDiagnostics.Add(new DiagnosticResult(ViewOwnershipAnalyzer.NotOwned).WithLocation(0).WithArguments("state", "admin", "writer")
            .WithMessage("state is owned by admin; the writer's view cannot change it"));
        test.TestState.ExpectedDiagnostics.Add(DiagnosticResult.CompilerError("CS1061").WithLocation(1).WithArguments("Sample.WriterView", "WithNote"));
        await test.RunAsync();
    }

    private sealed class SchemaText(string path, string text) : AdditionalText
    {
        public override string Path => path;

        public override Microsoft.CodeAnalysis.Text.SourceText GetText(CancellationToken cancellationToken = default) => Microsoft.CodeAnalysis.Text.SourceText.From(text);
    }
}
