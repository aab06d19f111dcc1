using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using PeerTyped.Generators.Model;
using PeerTyped.Generators.Parsing;

namespace PeerTyped.Generators.Compatibility
{
    /// <summary>A schema file's path and text: equatable, so the compatibility step is cached on content.</summary>
    internal sealed record SchemaSource(string Path, string Text)
    {
        /// <summary>Shipped baselines live in a directory named "shipped" (schemas/shipped/peer-cycle.v1.schema.json).</summary>
        public static bool IsShipped(string path) =>
            ("/" + path.Replace('\\', '/')).IndexOf("/shipped/", StringComparison.OrdinalIgnoreCase) >= 0;

        /// <summary>"peer-cycle" for peer-cycle.schema.json and for shipped/peer-cycle.v3.schema.json.</summary>
        public static string BaseName(string path, out int? version)
        {
            var name = System.IO.Path.GetFileName(path);
            name = name.Substring(0, name.Length - ".schema.json".Length);
            version = null;
            var dot = name.LastIndexOf(".v", StringComparison.Ordinal);
            if (dot > 0 && int.TryParse(name.Substring(dot + 2), NumberStyles.None, CultureInfo.InvariantCulture, out var v))
            {
                version = v;
                name = name.Substring(0, dot);
            }
            return name;
        }
    }

    /// <summary>The build-time check: the schema against its last shipped version, as diagnostics in the schema file.</summary>
    internal static class CompatibilityCheck
    {
        public static EquatableArray<DiagnosticInfo> Run(SchemaSource schema, ImmutableArray<SchemaSource> shipped)
        {
            var diagnostics = new List<DiagnosticInfo>();
            var name = SchemaSource.BaseName(schema.Path, out _);
            SchemaSource? last = null;
            var lastVersion = 0;
            var versions = new Dictionary<int, SchemaSource>();
            foreach (var candidate in shipped)
            {
                if (SchemaSource.BaseName(candidate.Path, out var version) != name || version == null) continue;
                versions[version.Value] = candidate;
                if (version.Value > lastVersion) { lastVersion = version.Value; last = candidate; }
            }
            if (last == null) return diagnostics.ToEquatableArray();
            var newRoot = SchemaJson.Parse(schema.Text, out _, out _);
            if (newRoot == null || newRoot.Kind != JsonKind.Object) return diagnostics.ToEquatableArray(); // the parser reports it
            var lines = LineStarts(schema.Text);
            var current = SchemaCompatibility.VersionOf(newRoot);
            var versionNode = (SchemaJson?)newRoot["x-peer-schema-version"] ?? newRoot;
            if (current < lastVersion || current > lastVersion + 1)
            {
                diagnostics.Add(Info(DiagnosticDescriptors.VersionNotNext.Id, schema, lines, versionNode.Start, Math.Max(1, versionNode.End - versionNode.Start),
                    current.ToString(CultureInfo.InvariantCulture), lastVersion.ToString(CultureInfo.InvariantCulture)));
                return diagnostics.ToEquatableArray();
            }
            var bumped = current == lastVersion + 1;
            var baseline = bumped ? last : versions[current];
            var oldRoot = SchemaJson.Parse(baseline.Text, out _, out _);
            if (oldRoot == null) return diagnostics.ToEquatableArray();
            var upgrade = bumped ? SchemaCompatibility.UpgradeFrom(newRoot, lastVersion) : null;
            if (bumped && upgrade == null)
            {
                diagnostics.Add(Info(DiagnosticDescriptors.BumpWithoutUpgrade.Id, schema, lines, versionNode.Start, Math.Max(1, versionNode.End - versionNode.Start),
                    current.ToString(CultureInfo.InvariantCulture), lastVersion.ToString(CultureInfo.InvariantCulture)));
            }
            foreach (var change in SchemaCompatibility.Compare(oldRoot, newRoot, schema.Text, upgrade))
            {
                if (change.Class == ChangeClass.Safe) continue;
                // With a bump and a declared upgrade, only what the upgrade demonstrably misses is still an error:
                // a property it neither removes nor renames, a required one it does not add.
                if (bumped && upgrade != null && (change.CoveredByUpgrade || (change.Id != "PTG011" && change.Id != "PTG014"))) continue;
                diagnostics.Add(Info(change.Id, schema, lines, change.Start, change.Length, change.Pointer, change.Message));
            }
            return diagnostics.ToEquatableArray();
        }

        private static DiagnosticInfo Info(string id, SchemaSource schema, List<int> lines, int start, int length, params string[] arguments)
        {
            var (line, column) = LineColumn(lines, start);
            var (endLine, endColumn) = LineColumn(lines, start + length);
            return new DiagnosticInfo(id, true, arguments.ToEquatableArray(), schema.Path, start, length, line, column, endLine, endColumn);
        }

        private static List<int> LineStarts(string text)
        {
            var starts = new List<int> { 0 };
            for (var i = 0; i < text.Length; i++) if (text[i] == '\n') starts.Add(i + 1);
            return starts;
        }

        private static (int, int) LineColumn(List<int> starts, int offset)
        {
            var index = starts.BinarySearch(offset);
            if (index < 0) index = ~index - 1;
            return (index, offset - starts[index]);
        }
    }
}
