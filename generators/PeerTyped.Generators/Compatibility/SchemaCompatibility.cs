using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using PeerTyped.Generators.Parsing;

namespace PeerTyped.Generators.Compatibility
{
    /// <summary>How a change affects data and readers; the generator's build check and `peer-typed schema diff` share it.</summary>
    internal enum ChangeClass
    {
        /// <summary>Documents stored under the old schema may be invalid under the new one: needs a version bump and an upgrade.</summary>
        Breaking,
        /// <summary>Old documents stay valid, but the new schema lets writers store documents that readers one version behind reject: needs a version bump.</summary>
        UnsafeForOlderReaders,
        /// <summary>Valid both ways (a new optional property where the object allows unknown ones, a description).</summary>
        Safe,
    }

    /// <summary>One classified difference; <see cref="Start"/>/<see cref="Length"/> place it in the new schema's text.</summary>
    internal sealed class SchemaChange
    {
        public SchemaChange(string id, ChangeClass kind, string pointer, string documentPath, string message, int start, int length)
        {
            Id = id;
            Class = kind;
            Pointer = pointer;
            DocumentPath = documentPath;
            Message = message;
            Start = start;
            Length = length;
        }

        /// <summary>The diagnostic ID (PTG011…PTG017).</summary>
        public string Id { get; }
        public ChangeClass Class { get; }
        /// <summary>Where in the new schema, as a JSON Pointer ("#/$defs/PlanPhase/properties/owner_agent").</summary>
        public string Pointer { get; }
        /// <summary>Where in a document ("/phases/plan/owner_agent"; "*" for every array item).</summary>
        public string DocumentPath { get; }
        public string Message { get; }
        public int Start { get; }
        public int Length { get; }
        /// <summary>Set when the declared upgrade takes care of it (a removed property it removes or renames, a new required one it adds).</summary>
        public bool CoveredByUpgrade { get; internal set; }
    }

    /// <summary>
    /// Compares two versions of a schema, keyword by keyword, following $refs in both. Rules (README "Changing the schema"):
    /// removed property, changed type, removed enum value, new required property, tightened bounds/pattern/rules,
    /// closed object and ownership change are breaking; a new enum value, widened type, loosened bounds and a new
    /// property on a closed object are unsafe for readers one version behind; the rest is safe.
    /// </summary>
    internal sealed class SchemaCompatibility
    {
        private static readonly string[] MinimumKeywords = { "minimum", "minLength", "minItems" };
        private static readonly string[] MaximumKeywords = { "maximum", "maxLength", "maxItems" };

        private readonly SchemaJson _oldRoot;
        private readonly SchemaJson _newRoot;
        private readonly string _newText;
        private readonly List<SchemaChange> _changes = new List<SchemaChange>();
        private readonly HashSet<string> _visited = new HashSet<string>(StringComparer.Ordinal);

        private SchemaCompatibility(SchemaJson oldRoot, SchemaJson newRoot, string newText)
        {
            _oldRoot = oldRoot;
            _newRoot = newRoot;
            _newText = newText;
        }

        /// <summary>The schema version a schema declares (x-peer-schema-version, default 1).</summary>
        public static int VersionOf(SchemaJson root)
        {
            var node = root["x-peer-schema-version"];
            return node != null && node.Kind == JsonKind.Number && int.TryParse(node.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 1;
        }

        /// <summary>The upgrade step declared from <paramref name="fromVersion"/>, or null.</summary>
        public static SchemaJson? UpgradeFrom(SchemaJson root, int fromVersion)
        {
            var upgrades = root["x-peer-upgrades"];
            if (upgrades == null || upgrades.Items == null) return null;
            foreach (var step in upgrades.Items)
            {
                var from = step["from"];
                if (from != null && from.Text == fromVersion.ToString(CultureInfo.InvariantCulture)) return step;
            }
            return null;
        }

        /// <summary>Every difference between <paramref name="oldRoot"/> and <paramref name="newRoot"/>, marked covered where <paramref name="upgrade"/> handles it.</summary>
        public static IReadOnlyList<SchemaChange> Compare(SchemaJson oldRoot, SchemaJson newRoot, string newText, SchemaJson? upgrade)
        {
            var comparison = new SchemaCompatibility(oldRoot, newRoot, newText);
            comparison.Walk(oldRoot, newRoot, "#", string.Empty, Owners(oldRoot, "*"), Owners(newRoot, "*"));
            if (upgrade != null)
            {
                var ops = upgrade["ops"]?.Items ?? new List<SchemaJson>();
                foreach (var change in comparison._changes)
                {
                    foreach (var op in ops)
                    {
                        var name = op["op"]?.Text;
                        var path = op["path"]?.Text;
                        if (path != change.DocumentPath) continue;
                        if (change.Id == "PTG011" && (name == "remove" || name == "rename")) change.CoveredByUpgrade = true;
                        if (change.Id == "PTG014" && name == "add") change.CoveredByUpgrade = true;
                    }
                }
            }
            return comparison._changes;
        }

        private void Walk(SchemaJson oldNode, SchemaJson newNode, string pointer, string path, string oldOwners, string newOwners)
        {
            oldOwners = Owners(oldNode, oldOwners);
            newOwners = Owners(newNode, newOwners);
            if (oldOwners != newOwners)
            {
                Add("PTG016", ChangeClass.Breaking, pointer, path, newNode["x-peer-owner"] ?? newNode,
                    "the owner of '" + Display(path) + "' changes from " + oldOwners + " to " + newOwners);
                // Report an ownership change once, where it happens, not again for every member below.
                oldOwners = newOwners;
            }
            var oldRef = oldNode["$ref"]?.Text;
            var newRef = newNode["$ref"]?.Text;
            var oldResolved = Resolve(_oldRoot, oldNode);
            var newResolved = Resolve(_newRoot, newNode);
            if (oldResolved == null || newResolved == null) return;
            if (newRef != null) pointer = newRef;
            if (oldRef != null || newRef != null)
            {
                // A definition used in several places is compared once.
                if (!_visited.Add((oldRef ?? "") + "|" + (newRef ?? "") + "|" + oldOwners + "|" + newOwners)) return;
            }
            oldNode = oldResolved;
            newNode = newResolved;

            var oldType = oldNode["type"]?.Text;
            var newType = newNode["type"]?.Text;
            if (oldType != newType)
            {
                if (oldType == "integer" && newType == "number")
                    Add("PTG017", ChangeClass.UnsafeForOlderReaders, pointer, path, newNode["type"] ?? newNode, "'" + Display(path) + "' widens from integer to number; readers one version behind reject fractions");
                else
                    Add("PTG012", ChangeClass.Breaking, pointer, path, newNode["type"] ?? newNode, "'" + Display(path) + "' changes type from " + (oldType ?? "(none)") + " to " + (newType ?? "(none)"));
                return;
            }

            CompareEnum(oldNode, newNode, pointer, path);
            CompareBounds(oldNode, newNode, pointer, path);
            if (Normalized(oldNode["allOf"]) != Normalized(newNode["allOf"]))
                Add("PTG015", ChangeClass.Breaking, pointer, path, newNode["allOf"] ?? newNode, "the if/then/else rules of '" + Display(path) + "' change; stored documents may break them");

            var oldItems = oldNode["items"];
            var newItems = newNode["items"];
            if (oldItems != null && newItems != null) Walk(oldItems, newItems, pointer + "/items", path + "/*", oldOwners, newOwners);

            if (oldType == "object") CompareObject(oldNode, newNode, pointer, path, oldOwners, newOwners);
        }

        private void CompareObject(SchemaJson oldNode, SchemaJson newNode, string pointer, string path, string oldOwners, string newOwners)
        {
            var oldOpen = oldNode["additionalProperties"]?.Kind != JsonKind.False;
            var newOpen = newNode["additionalProperties"]?.Kind != JsonKind.False;
            if (oldOpen && !newOpen)
                Add("PTG015", ChangeClass.Breaking, pointer, path, newNode["additionalProperties"] ?? newNode, "'" + Display(path) + "' no longer allows properties it does not list");
            if (!oldOpen && newOpen)
                Add("PTG017", ChangeClass.UnsafeForOlderReaders, pointer, path, newNode["additionalProperties"] ?? newNode, "'" + Display(path) + "' now allows unlisted properties; readers one version behind reject them");

            var oldProperties = oldNode["properties"]?.Properties ?? new List<KeyValuePair<SchemaJsonKey, SchemaJson>>();
            var newPropertiesNode = newNode["properties"];
            var newProperties = newPropertiesNode?.Properties ?? new List<KeyValuePair<SchemaJsonKey, SchemaJson>>();
            var oldRequired = Names(oldNode["required"]);
            var newRequired = Names(newNode["required"]);
            foreach (var pair in oldProperties)
            {
                var name = pair.Key.Name;
                var childPath = path + "/" + Escape(name);
                var match = newNode["properties"]?[name];
                if (match == null)
                {
                    Add("PTG011", ChangeClass.Breaking, pointer + "/properties", childPath, newPropertiesNode ?? newNode,
                        "property '" + Display(childPath) + "' is removed or renamed; stored documents that have it become invalid");
                    continue;
                }
                // The version field is the versioning machinery's own: each version accepts its own number.
                if (childPath == "/version") continue;
                Walk(pair.Value, match, pointer + "/properties/" + Escape(name), childPath, oldOwners, newOwners);
            }
            foreach (var pair in newProperties)
            {
                var name = pair.Key.Name;
                var childPath = path + "/" + Escape(name);
                var isNew = oldNode["properties"]?[name] == null;
                if (newRequired.Contains(name) && !oldRequired.Contains(name))
                {
                    Add("PTG014", ChangeClass.Breaking, pointer + "/properties/" + Escape(name), childPath, pair.Key,
                        "property '" + Display(childPath) + "' becomes required; stored documents without it become invalid unless the upgrade adds it");
                }
                else if (isNew && !oldOpen)
                {
                    Add("PTG017", ChangeClass.UnsafeForOlderReaders, pointer + "/properties/" + Escape(name), childPath, pair.Key,
                        "new property '" + Display(childPath) + "' on an object that does not allow unlisted properties; readers one version behind reject documents that have it");
                }
                else if (isNew)
                {
                    Add("PTG000", ChangeClass.Safe, pointer + "/properties/" + Escape(name), childPath, pair.Key, "new optional property '" + Display(childPath) + "'");
                }
            }
        }

        private void CompareEnum(SchemaJson oldNode, SchemaJson newNode, string pointer, string path)
        {
            var oldEnum = oldNode["enum"];
            var newEnum = newNode["enum"];
            if (oldEnum == null && newEnum == null) return;
            if (oldEnum == null)
            {
                Add("PTG015", ChangeClass.Breaking, pointer, path, newEnum!, "'" + Display(path) + "' is now restricted to an enum");
                return;
            }
            if (newEnum == null)
            {
                Add("PTG017", ChangeClass.UnsafeForOlderReaders, pointer, path, newNode, "'" + Display(path) + "' is no longer restricted to an enum; readers one version behind reject new values");
                return;
            }
            var oldValues = Values(oldEnum);
            var newValues = Values(newEnum);
            foreach (var value in oldValues.Where(v => !newValues.Contains(v)))
                Add("PTG013", ChangeClass.Breaking, pointer, path, newEnum, "enum value " + value + " of '" + Display(path) + "' is removed");
            foreach (var item in newEnum.Items!.Where(i => !oldValues.Contains(Value(i))))
                Add("PTG017", ChangeClass.UnsafeForOlderReaders, pointer, path, item, "new enum value " + Value(item) + " of '" + Display(path) + "'; readers one version behind reject it");
        }

        private void CompareBounds(SchemaJson oldNode, SchemaJson newNode, string pointer, string path)
        {
            foreach (var keyword in MinimumKeywords.Concat(MaximumKeywords))
            {
                var isMinimum = MinimumKeywords.Contains(keyword);
                var oldValue = Number(oldNode[keyword]);
                var newValue = Number(newNode[keyword]);
                if (oldValue == newValue) continue;
                var tighter = newValue != null && (oldValue == null || (isMinimum ? newValue > oldValue : newValue < oldValue));
                var where = (SchemaJson?)newNode[keyword] ?? newNode;
                var text = keyword + " of '" + Display(path) + "' changes from " + (oldValue?.ToString(CultureInfo.InvariantCulture) ?? "(none)") + " to " + (newValue?.ToString(CultureInfo.InvariantCulture) ?? "(none)");
                if (tighter) Add("PTG015", ChangeClass.Breaking, pointer, path, where, text);
                else Add("PTG017", ChangeClass.UnsafeForOlderReaders, pointer, path, where, text + "; readers one version behind reject the values it now allows");
            }
            foreach (var keyword in new[] { "pattern", "format" })
            {
                var oldValue = oldNode[keyword]?.Text;
                var newValue = newNode[keyword]?.Text;
                if (oldValue == newValue) continue;
                if (newValue != null) Add("PTG015", ChangeClass.Breaking, pointer, path, newNode[keyword]!, keyword + " of '" + Display(path) + "' changes to " + newValue);
                else Add("PTG017", ChangeClass.UnsafeForOlderReaders, pointer, path, newNode, keyword + " of '" + Display(path) + "' is dropped; readers one version behind reject the values it now allows");
            }
        }

        private void Add(string id, ChangeClass kind, string pointer, string path, SchemaJson node, string message) =>
            _changes.Add(new SchemaChange(id, kind, pointer, path, message, node.Start, Math.Max(1, LineEnd(node.Start, node.End) - node.Start)));

        private void Add(string id, ChangeClass kind, string pointer, string path, SchemaJsonKey key, string message) =>
            _changes.Add(new SchemaChange(id, kind, pointer, path, message, key.Start, key.End - key.Start));

        private int LineEnd(int start, int end)
        {
            var newline = _newText.IndexOf('\n', start);
            return newline < 0 || newline > end ? end : newline;
        }

        private static SchemaJson? Resolve(SchemaJson root, SchemaJson node)
        {
            for (var depth = 0; depth < 32; depth++)
            {
                var reference = node["$ref"]?.Text;
                if (reference == null) return node;
                var parts = reference.Split('/');
                if (parts.Length != 3 || parts[0] != "#") return null;
                var target = root[parts[1]]?[parts[2]];
                if (target == null) return null;
                node = target;
            }
            return null;
        }

        private static string Owners(SchemaJson node, string inherited)
        {
            var owner = node["x-peer-owner"];
            if (owner == null) return inherited;
            if (owner.Kind == JsonKind.String) return owner.Text!;
            return string.Join(", ", (owner.Items ?? new List<SchemaJson>()).Select(i => i.Text).OrderBy(t => t, StringComparer.Ordinal));
        }

        private static HashSet<string> Names(SchemaJson? array) =>
            new HashSet<string>((array?.Items ?? new List<SchemaJson>()).Where(i => i.Text != null).Select(i => i.Text!), StringComparer.Ordinal);

        private static HashSet<string> Values(SchemaJson array) => new HashSet<string>(array.Items!.Select(Value), StringComparer.Ordinal);

        private static string Value(SchemaJson item) => item.Kind == JsonKind.String ? "\"" + item.Text + "\"" : item.Text ?? item.Kind.ToString().ToLowerInvariant();

        private static decimal? Number(SchemaJson? node) =>
            node != null && node.Kind == JsonKind.Number && decimal.TryParse(node.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : (decimal?)null;

        private static string? Normalized(SchemaJson? node)
        {
            if (node == null) return null;
            switch (node.Kind)
            {
                case JsonKind.Object:
                    return "{" + string.Join(",", node.Properties!.Where(p => p.Key.Name != "description" && p.Key.Name != "$comment").Select(p => p.Key.Name + ":" + Normalized(p.Value))) + "}";
                case JsonKind.Array:
                    return "[" + string.Join(",", node.Items!.Select(Normalized)) + "]";
                default:
                    return Value(node);
            }
        }

        private static string Escape(string name) => name.Replace("~", "~0").Replace("/", "~1");

        private static string Display(string path) => path.Length == 0 ? "/" : path;
    }
}
