using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
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

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var schemas = context.AdditionalTextsProvider
                .Where(static file => file.Path.EndsWith(".schema.json", StringComparison.OrdinalIgnoreCase))
                .Select(static (file, cancellationToken) =>
                    SchemaParser.Parse(file.Path, file.GetText(cancellationToken)?.ToString() ?? string.Empty, cancellationToken))
                .WithTrackingName(ParseStep);

            context.RegisterSourceOutput(schemas, static (output, model) => Emit(output, model));
        }

        private static void Emit(SourceProductionContext output, SchemaModel model)
        {
            foreach (var info in model.Diagnostics)
            {
                var descriptor = DiagnosticDescriptors.Find(info.Id)!;
                var location = Location.Create(info.FilePath, new TextSpan(info.Start, info.Length),
                    new LinePositionSpan(new LinePosition(info.Line, info.Column), new LinePosition(info.EndLine, info.EndColumn)));
                output.ReportDiagnostic(Diagnostic.Create(descriptor, location, info.Arguments.ToArray<object>()));
            }
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
