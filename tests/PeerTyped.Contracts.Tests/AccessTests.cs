using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace PeerTyped.Contracts.Tests;

public class AccessTests
{
    private static PeerCycle Minimal() => PeerCycle.Parse(Encoding.UTF8.GetBytes(Documents.Minimal()));

    private static CSharpCompilation Snippet(string body)
    {
        var code = "using PeerTyped.Contracts; public static class Agent { public static PeerCycle Run(PeerCycle doc) => " + body + "; }";
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Select(path => MetadataReference.CreateFromFile(path));
        return CSharpCompilation.Create("AgentSnippet", [CSharpSyntaxTree.ParseText(code, new CSharpParseOptions(LanguageVersion.Latest))],
            references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
    }

    private static IReadOnlyList<Diagnostic> Compile(string body) =>
        Snippet(body).GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();

    /// <summary>The compiler's errors plus the PTA003 analyzer's, as a consumer of the Contracts package sees them.</summary>
    private static async Task<IReadOnlyList<Diagnostic>> CompileWithAnalyzerAsync(string body)
    {
        var withAnalyzer = Snippet(body).WithAnalyzers([new PeerTyped.Generators.Analyzers.ViewOwnershipAnalyzer()]);
        return (await withAnalyzer.GetAllDiagnosticsAsync()).Where(d => d.Severity == DiagnosticSeverity.Error).OrderBy(d => d.Id, StringComparer.Ordinal).ToList();
    }

    [Fact]
    public void The_planner_view_can_change_plan_and_metadata()
    {
        Assert.Empty(Compile("doc.AsPlanner().WithPlan(p => p.WithStatus(PhaseStatus.Completed)).WithMetadata(m => m.WithCurrentPhase(PhaseName.Execute)).Document"));
    }

    [Fact]
    public void The_planner_view_cannot_write_the_execute_phase()
    {
        var errors = Compile("doc.AsPlanner().WithExecute(e => e.WithStatus(PhaseStatus.Completed)).Document");
        var error = Assert.Single(errors);
        Assert.Equal("CS1061", error.Id);
        Assert.Contains("'PlannerView' does not contain a definition for 'WithExecute'", error.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reaching_for_another_roles_section_says_who_owns_it()
    {
        var errors = await CompileWithAnalyzerAsync("doc.AsPlanner().WithExecute(e => e.WithStatus(PhaseStatus.Completed)).Document");
        Assert.Equal(["CS1061", "PTA003"], errors.Select(e => e.Id));
        var ownership = errors[1];
        Assert.Equal("phases.execute is owned by executor; the planner's view cannot change it", ownership.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("WithExecute", ownership.Location.SourceTree!.ToString().Substring(ownership.Location.SourceSpan.Start, ownership.Location.SourceSpan.Length));
        Assert.Equal(errors[0].Location, ownership.Location);

        var review = await CompileWithAnalyzerAsync("doc.AsExpress().WithCycleSummary(s => s).Document");
        Assert.Equal("cycle_summary is owned by review; the express's view cannot change it", review.Single(e => e.Id == "PTA003").GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Owned_sections_and_unrelated_missing_members_get_no_ownership_error()
    {
        Assert.Empty(await CompileWithAnalyzerAsync("doc.AsExecutor().WithExecute(e => e.WithStatus(PhaseStatus.Completed)).Document"));
        var typo = await CompileWithAnalyzerAsync("doc.AsPlanner().WithPlna(p => p).Document");
        Assert.Equal("CS1061", Assert.Single(typo).Id);
    }

    [Theory]
    [InlineData("(doc.AsPlanner() with { Document = doc with { CycleId = \"x\" } }).Document")]
    [InlineData("(doc.AsPlanner() with { Document = doc.AsExecutor().WithExecute(e => e.WithStatus(PhaseStatus.Completed)).Document }).Document")]
    public void A_view_document_cannot_be_replaced_with_a_with_expression(string body)
    {
        var errors = Compile(body);
        Assert.Contains(errors, e => e.Id == "CS0200" && e.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("PlannerView.Document", StringComparison.Ordinal));
    }

    [Fact]
    public void Views_expose_only_owned_sections()
    {
        static string[] Methods<T>() => typeof(T).GetMethods().Where(m => m.Name.StartsWith("With", StringComparison.Ordinal)).Select(m => m.Name).Distinct().Order().ToArray();
        Assert.Equal(["WithMetadata", "WithPlan"], Methods<PlannerView>());
        Assert.Equal(["WithExecute", "WithMetadata"], Methods<ExecutorView>());
        Assert.Equal(["WithCycleSummary", "WithInsights", "WithMetadata", "WithReview"], Methods<ReviewView>());
        Assert.Equal(["WithContext", "WithCycleId", "WithMetadata", "WithVersion"], Methods<OrchestratorView>());
        Assert.Equal(["WithContext", "WithCycleId", "WithCycleSummary", "WithExecute", "WithExpress", "WithInsights", "WithMetadata", "WithPlan", "WithReview", "WithVersion"], Methods<OperatorView>());
    }

    [Theory]
    [InlineData("planner", "/phases/plan/status", true)]
    [InlineData("planner", "/phases/execute/status", false)]
    [InlineData("planner", "/metadata/status", true)]
    [InlineData("executor", "/context/peer_mode", false)]
    [InlineData("orchestrator", "/context/peer_mode", true)]
    [InlineData("review", "/cycle_summary/completion", true)]
    [InlineData("express", "/cycle_summary", false)]
    [InlineData("operator", "/phases/review/output", true)]
    [InlineData("planner", "/phases/planner", false)]
    public void Ownership_comes_from_the_schema(string role, string pointer, bool allowed) =>
        Assert.Equal(allowed, PeerCycle.MayWrite(role, pointer));

    [Fact]
    public void Path_table_sets_typed_values_from_text()
    {
        var document = PeerCycleFields.Find("plan.status")!.Set(Minimal(), "completed");
        document = PeerCycleFields.Find("execute.output.files_created")!.Set(document, "[\"a.md\",\"b.md\"]");
        document = PeerCycleFields.Find("metadata.updated_at")!.Set(document, "now");
        Assert.Equal(PhaseStatus.Completed, document.Phases.Plan.Status);
        Assert.Equal(["a.md", "b.md"], document.Phases.Execute.Output!.FilesCreated!);
        Assert.True(DateTimeOffset.UtcNow - document.Metadata.UpdatedAt < TimeSpan.FromMinutes(1));
        Assert.Equal(["planner"], PeerCycleFields.Find("plan.status")!.Owners);
        Assert.Equal(["pending", "in_progress", "completed", "failed"], PeerCycleFields.Find("plan.status")!.AllowedValues);
    }

    [Fact]
    public void Path_table_keeps_a_given_timestamp_as_written()
    {
        var document = PeerCycleFields.Find("metadata.updated_at")!.Set(Minimal(), "2026-06-30T23:59:60Z");
        Assert.Contains("\"updated_at\":\"2026-06-30T23:59:60Z\"", System.Text.Encoding.UTF8.GetString(document.ToUtf8Bytes()), StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => PeerCycleFields.Find("metadata.updated_at")!.Set(Minimal(), "2026-06-30T23:59:61Z"));
    }

    [Fact]
    public void Path_table_rejects_bad_text_naming_what_was_expected()
    {
        var ex = Assert.Throws<FormatException>(() => PeerCycleFields.Find("metadata.status")!.Set(Minimal(), "DONE"));
        Assert.Equal("expected one of INITIALIZED, PLANNING, EXECUTING, EXPRESSING, REVIEWING, COMPLETED, FAILED", ex.Message);
        Assert.Throws<FormatException>(() => PeerCycleFields.Find("review.output.quality_score")!.Set(Minimal(), "high"));
        var missing = Assert.Throws<InvalidOperationException>(() => PeerCycleFields.Find("cycle_summary.completion")!.Set(Minimal(), "50"));
        Assert.Contains("'cycle_summary' does not exist yet", missing.Message, StringComparison.Ordinal);
        Assert.Null(PeerCycleFields.Find("phases.paln.status"));
    }
}
