using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using PeerTyped.Generators.Compatibility;
using PeerTyped.Generators.Emitting;
using PeerTyped.Generators.Model;
using PeerTyped.Generators.Parsing;

namespace PeerTyped.Generators
{
    /// <summary>
    /// Generates immutable records, role views, a streaming validator, UTF-8 reader/writer and a path table for every
    /// <c>*.schema.json</c> given as an AdditionalFile.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class SchemaGenerator : IIncrementalGenerator
    {
        /// <summary>The tracking name of the parse step, for caching tests.</summary>
        public const string ParseStep = "PeerTyped.ParseSchema";

        /// <summary>The tracking name of the compatibility check against the last shipped schema version.</summary>
        public const string CompatibilityStep = "PeerTyped.CheckCompatibility";

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var schemaFiles = context.AdditionalTextsProvider
                .Where(static file => file.Path.EndsWith(".schema.json", StringComparison.OrdinalIgnoreCase));
            // Shipped baselines (schemas/shipped/<name>.v<N>.schema.json) generate nothing; the schema is checked against them.
            var schemas = schemaFiles
                .Where(static file => !SchemaSource.IsShipped(file.Path))
                .Select(static (file, cancellationToken) =>
                    SchemaParser.Parse(file.Path, file.GetText(cancellationToken)?.ToString() ?? string.Empty, cancellationToken))
                .WithTrackingName(ParseStep);

            context.RegisterSourceOutput(schemas, static (output, model) => Emit(output, model));

            var sources = schemaFiles.Select(static (file, cancellationToken) => new SchemaSource(file.Path, file.GetText(cancellationToken)?.ToString() ?? string.Empty));
            var shipped = sources.Where(static source => SchemaSource.IsShipped(source.Path)).Collect();
            var compatibility = sources
                .Where(static source => !SchemaSource.IsShipped(source.Path))
                .Combine(shipped)
                .Select(static (pair, _) => CompatibilityCheck.Run(pair.Left, pair.Right))
                .WithTrackingName(CompatibilityStep);
            context.RegisterSourceOutput(compatibility, static (output, diagnostics) =>
            {
                foreach (var info in diagnostics) Report(output, info);
            });
        }

        private static void Report(SourceProductionContext output, DiagnosticInfo info)
        {
            var descriptor = DiagnosticDescriptors.Find(info.Id)!;
            var location = Location.Create(info.FilePath, new TextSpan(info.Start, info.Length),
                new LinePositionSpan(new LinePosition(info.Line, info.Column), new LinePosition(info.EndLine, info.EndColumn)));
            output.ReportDiagnostic(Diagnostic.Create(descriptor, location, info.Arguments.ToArray<object>()));
        }

        private static void Emit(SourceProductionContext output, SchemaModel model)
        {
            foreach (var info in model.Diagnostics) Report(output, info);
            // A schema we cannot enforce exactly gets no code at all: wrong code would be worse than a failed build.
            if (model.HasErrors) return;
            var emitter = new SchemaEmitter(model);
            output.AddSource(model.RootTypeName + ".g.cs", emitter.EmitTypes());
            output.AddSource(model.RootTypeName + ".Access.g.cs", emitter.EmitAccess());
        }
    }

    internal static class EquatableArrayExtensions
    {
        public static T[] ToArray<T>(this EquatableArray<string> items) where T : class
        {
            var result = new T[items.Count];
            for (var i = 0; i < items.Count; i++) result[i] = (T)(object)items[i];
            return result;
        }
    }
}
