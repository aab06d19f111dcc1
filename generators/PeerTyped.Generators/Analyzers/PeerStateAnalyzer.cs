using System.Collections.Immutable;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace PeerTyped.Generators.Analyzers
{
    /// <summary>
    /// PTA001: writes to a NATS KV store through the raw NATS.Net API, outside PeerTyped.Client.
    /// PTA002: string literals that look like PEER keys but break the key rules.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class PeerStateAnalyzer : DiagnosticAnalyzer
    {
        public static readonly DiagnosticDescriptor RawKvWrite = new(
            "PTA001", "Raw NATS KV write",
            "'{0}' writes to a NATS KV store directly; write PEER state through PeerTyped.Client.PeerStateStore (UpdateAsync<TView>, CreateAsync) so it is validated, ownership-checked and compare-and-set",
            "PeerTyped.Usage", DiagnosticSeverity.Warning, isEnabledByDefault: true,
            description: "Agents must not call NATS directly (seed: 'No Direct NATS CLI for Agents'). Set the severity with dotnet_diagnostic.PTA001.severity in .editorconfig.");

        public static readonly DiagnosticDescriptor MalformedKey = new(
            "PTA002", "Malformed PEER key",
            "\"{0}\" looks like a PEER key but {1}",
            "PeerTyped.Usage", DiagnosticSeverity.Warning, isEnabledByDefault: true);

        private static readonly ImmutableHashSet<string> WriteMethods = ImmutableHashSet.Create(
            "PutAsync", "UpdateAsync", "CreateAsync", "DeleteAsync", "PurgeAsync",
            "TryPutAsync", "TryUpdateAsync", "TryCreateAsync", "TryDeleteAsync", "TryPurgeAsync");

        private static readonly Regex KeyCharacters = new(@"^[-/_=\.a-zA-Z0-9]+$", RegexOptions.CultureInvariant);
        private static readonly Regex CycleKey = new(@"^(peer\.(spec|instruction)\.[A-Za-z0-9_-]+|peer\.global)\.cycle\.[1-9][0-9]*$", RegexOptions.CultureInvariant);
        private static readonly Regex LooksLikeKey = new(@"^peer\..*\.cycle\.", RegexOptions.CultureInvariant);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(RawKvWrite, MalformedKey);

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
            context.RegisterCompilationStartAction(start =>
            {
                // The typed client is the one place allowed to write raw.
                if (start.Compilation.AssemblyName == "PeerTyped.Client") return;
                var kvStore = start.Compilation.GetTypeByMetadataName("NATS.Client.KeyValueStore.INatsKVStore");
                if (kvStore != null) start.RegisterOperationAction(c => AnalyzeInvocation(c, kvStore), OperationKind.Invocation);
                start.RegisterOperationAction(AnalyzeLiteral, OperationKind.Literal);
            });
        }

        private static void AnalyzeInvocation(OperationAnalysisContext context, INamedTypeSymbol kvStore)
        {
            var invocation = (IInvocationOperation)context.Operation;
            var method = invocation.TargetMethod;
            if (!WriteMethods.Contains(method.Name)) return;
            var receiver = method.ContainingType;
            var isKvStore = SymbolEqualityComparer.Default.Equals(receiver.OriginalDefinition, kvStore)
                || receiver.AllInterfaces.Any(i => SymbolEqualityComparer.Default.Equals(i, kvStore));
            if (!isKvStore) return;
            context.ReportDiagnostic(Diagnostic.Create(RawKvWrite, invocation.Syntax.GetLocation(), receiver.Name + "." + method.Name));
        }

        private static void AnalyzeLiteral(OperationAnalysisContext context)
        {
            var literal = (ILiteralOperation)context.Operation;
            if (literal.ConstantValue.Value is not string text || !LooksLikeKey.IsMatch(text)) return;
            var problem = Problem(text);
            if (problem != null) context.ReportDiagnostic(Diagnostic.Create(MalformedKey, literal.Syntax.GetLocation(), text, problem));
        }

        /// <summary>The same rules PeerTyped.Client.PeerKey enforces at run time, found at build time.</summary>
        internal static string? Problem(string key)
        {
            if (key.Any(char.IsWhiteSpace)) return "contains white space";
            if (key.Contains('*') || key.Contains('>')) return "contains a wildcard (* or >)";
            if (key.EndsWith(".", System.StringComparison.Ordinal) || key.Contains("..")) return "has an empty token";
            if (!KeyCharacters.IsMatch(key)) return "contains characters NATS KV keys cannot hold (allowed: letters, digits, - / _ = .)";
            if (!CycleKey.IsMatch(key)) return "does not match peer.spec.<name>.cycle.<N>, peer.instruction.<name>.cycle.<N> or peer.global.cycle.<N> (N ≥ 1)";
            return null;
        }
    }
}
