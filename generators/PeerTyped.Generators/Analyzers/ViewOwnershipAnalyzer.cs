using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace PeerTyped.Generators.Analyzers
{
    /// <summary>
    /// PTA003: a With method called on a role view that does not have it because another role owns the section. The
    /// compiler already refuses the call (CS1061, "does not contain a definition"); this says why and who owns it, from
    /// the <c>NotOwnedSection</c> attributes the generator puts on each view.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class ViewOwnershipAnalyzer : DiagnosticAnalyzer
    {
        public const string AttributeName = "PeerTyped.Runtime.NotOwnedSectionAttribute";

        public static readonly DiagnosticDescriptor NotOwned = new(
            "PTA003", "Section owned by another role",
            "{0} is owned by {1}; the {2}'s view cannot change it",
            "PeerTyped.Usage", DiagnosticSeverity.Error, isEnabledByDefault: true,
            description: "Role views have a With method only for the sections their role owns (x-peer-owner in the schema). Change another role's section as that role (UpdateAsync<ThatRoleView>), not through this view.");

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(NotOwned);

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
            context.RegisterCompilationStartAction(start =>
            {
                var attribute = start.Compilation.GetTypeByMetadataName(AttributeName);
                if (attribute == null) return;
                start.RegisterSyntaxNodeAction(c => Analyze(c, attribute), SyntaxKind.SimpleMemberAccessExpression, SyntaxKind.MemberBindingExpression);
            });
        }

        private static void Analyze(SyntaxNodeAnalysisContext context, INamedTypeSymbol attribute)
        {
            var name = context.Node is MemberAccessExpressionSyntax access ? access.Name : ((MemberBindingExpressionSyntax)context.Node).Name;
            var method = name.Identifier.ValueText;
            // The name first: it is free, and almost every member access in a program is not a With call.
            if (!method.StartsWith("With", System.StringComparison.Ordinal)) return;
            ITypeSymbol? receiver;
            if (context.Node is MemberAccessExpressionSyntax memberAccess)
            {
                receiver = context.SemanticModel.GetTypeInfo(memberAccess.Expression, context.CancellationToken).Type;
            }
            else
            {
                var conditional = context.Node.FirstAncestorOrSelf<ConditionalAccessExpressionSyntax>();
                receiver = conditional == null ? null : context.SemanticModel.GetTypeInfo(conditional.Expression, context.CancellationToken).Type;
                if (receiver is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable) receiver = nullable.TypeArguments[0];
            }
            if (receiver == null) return;
            // Only where the call does not bind: a view that has the method (or an extension of the user's) is fine.
            if (context.SemanticModel.GetSymbolInfo(name, context.CancellationToken).Symbol != null) return;
            foreach (var data in receiver.GetAttributes())
            {
                if (!SymbolEqualityComparer.Default.Equals(data.AttributeClass, attribute) || data.ConstructorArguments.Length != 4) continue;
                if (data.ConstructorArguments[0].Value as string != method) continue;
                context.ReportDiagnostic(Diagnostic.Create(NotOwned, name.GetLocation(),
                    data.ConstructorArguments[1].Value, data.ConstructorArguments[2].Value, data.ConstructorArguments[3].Value));
                return;
            }
        }
    }
}
