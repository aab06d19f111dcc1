using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using PeerTyped.Generators.Model;

namespace PeerTyped.Generators.Parsing
{
    /// <summary>
    /// Turns one schema file into a <see cref="SchemaModel"/>. It never emits code; every problem becomes a
    /// <see cref="DiagnosticInfo"/> that points at the offending text in the schema.
    /// </summary>
    internal sealed class SchemaParser
    {
        private static readonly HashSet<string> SupportedKeywords = new(StringComparer.Ordinal)
        {
            "$schema", "$id", "$defs", "definitions", "$ref", "$comment", "title", "description", "type", "properties",
            "required", "additionalProperties", "items", "enum", "format", "minimum", "maximum", "minLength",
            "maxLength", "minItems", "maxItems", "pattern", "default", "examples", "if", "then", "else", "allOf",
            "x-peer-namespace", "x-peer-roles", "x-peer-superuser", "x-peer-owner", "x-peer-alias", "x-peer-owned-sections",
            "x-peer-schema-version", "x-peer-upgrades",
        };

        private static readonly HashSet<string> KeywordsAllowedBesideRef = new(StringComparer.Ordinal)
        {
            "$ref", "$comment", "description", "title", "x-peer-owner", "x-peer-alias",
        };

        /// <summary>Keywords that say nothing about which values are valid: a schema with only these accepts any JSON.</summary>
        private static readonly HashSet<string> AnnotationKeywords = new(StringComparer.Ordinal)
        {
            "$comment", "title", "description", "default", "examples", "x-peer-owner", "x-peer-alias",
        };

        private const string Wildcard = "*";

        private readonly string _path;
        private readonly string _text;
        private readonly List<int> _lineStarts = new() { 0 };
        private readonly List<DiagnosticInfo> _diagnostics = new();
        private readonly Dictionary<string, ObjectModel> _objects = new(StringComparer.Ordinal);
        private readonly Dictionary<string, EnumModel> _enums = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _typeNameOrigins = new(StringComparer.Ordinal);
        private readonly Dictionary<string, TypeRef> _resolvedDefinitions = new(StringComparer.Ordinal);
        private readonly List<OwnershipRule> _ownership = new();
        private readonly List<SectionModel> _sections = new();
        private readonly List<FieldModel> _fields = new();
        private SchemaJson? _root;
        private HashSet<string> _roles = new(StringComparer.Ordinal);

        private SchemaParser(string path, string text)
        {
            _path = path;
            _text = text;
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] == '\n') _lineStarts.Add(i + 1);
            }
        }

        public static SchemaModel Parse(string path, string text, CancellationToken cancellationToken)
        {
            var parser = new SchemaParser(path, text);
            return parser.Run(cancellationToken);
        }

        private SchemaModel Run(CancellationToken cancellationToken)
        {
            var fallbackName = Naming.ToPascalCase(Path.GetFileName(_path).Replace(".schema.json", string.Empty));
            var root = SchemaJson.Parse(_text, out var errorOffset, out var error);
            if (root == null)
            {
                Report(DiagnosticDescriptors.MalformedJson, errorOffset, 1, Path.GetFileName(_path), error!);
                return Build("PeerTyped.Generated", fallbackName, null, Array.Empty<RoleModel>());
            }
            _root = root;
            if (root.Kind != JsonKind.Object)
            {
                Report(DiagnosticDescriptors.UnsupportedConstruct, root, "#", "the root of a schema must be an object schema");
                return Build("PeerTyped.Generated", fallbackName, null, Array.Empty<RoleModel>());
            }

            var ns = StringKeyword(root, "x-peer-namespace", "#") ?? "PeerTyped.Generated";
            var rootName = StringKeyword(root, "title", "#") ?? fallbackName;
            var roles = ReadRoles(root);
            ReadVersioning(root);
            var superuser = StringKeyword(root, "x-peer-superuser", "#");
            if (superuser != null && !_roles.Contains(superuser))
            {
                Report(DiagnosticDescriptors.UnknownRole, root["x-peer-superuser"]!, superuser, "#/x-peer-superuser", string.Join(", ", _roles));
            }

            var rootType = ResolveSchema(root, "#", rootName, rootName);
            cancellationToken.ThrowIfCancellationRequested();
            if (rootType.Kind != ValueKind.Object)
            {
                Report(DiagnosticDescriptors.UnsupportedConstruct, root, "#", "the root schema must be of type object with properties");
                return Build(ns, rootName, superuser, roles);
            }

            if (!HasErrors())
            {
                var rootOwners = ReadOwners(root, "#") ?? new[] { Wildcard };
                _ownership.Add(new OwnershipRule(string.Empty, rootOwners.ToEquatableArray()));
                WalkOwnershipAndFields(root, rootType.Name!, string.Empty, "#", null, new List<PathStep>(), rootOwners, new HashSet<string>());
                AddRootOwnerSections(root, rootType.Name!, rootOwners);
            }
            return Build(ns, rootName, superuser, roles);
        }

        private SchemaModel Build(string ns, string rootName, string? superuser, IReadOnlyList<RoleModel> roles) => new(
            _path,
            ns,
            rootName,
            _objects.Values.OrderBy(o => o.Name, StringComparer.Ordinal).ToEquatableArray(),
            _enums.Values.OrderBy(e => e.Name, StringComparer.Ordinal).ToEquatableArray(),
            roles.ToEquatableArray(),
            superuser,
            _ownership.ToEquatableArray(),
            _sections.ToEquatableArray(),
            _fields.ToEquatableArray(),
            _schemaVersion,
            _upgradesJson,
            _diagnostics.ToEquatableArray());

        private int _schemaVersion = 1;
        private string _upgradesJson = string.Empty;

        /// <summary>
        /// x-peer-schema-version (a whole number from 1, default 1) and x-peer-upgrades (one step per older version:
        /// { "from": N, "ops": [ { "op": "add" | "remove" | "rename", "path": "/a/*/b", "value": ..., "to": "c" } ] }).
        /// </summary>
        private void ReadVersioning(SchemaJson root)
        {
            var version = root["x-peer-schema-version"];
            if (version != null)
            {
                if (version.Kind == JsonKind.Number && int.TryParse(version.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1) _schemaVersion = value;
                else Report(DiagnosticDescriptors.InvalidKeywordValue, version, "x-peer-schema-version", "#", "expected a whole number from 1");
            }
            var upgrades = root["x-peer-upgrades"];
            if (upgrades == null) return;
            if (upgrades.Kind != JsonKind.Array)
            {
                Report(DiagnosticDescriptors.InvalidKeywordValue, upgrades, "x-peer-upgrades", "#", "expected an array of upgrade steps");
                return;
            }
            var valid = true;
            foreach (var step in upgrades.Items!)
            {
                var from = step["from"];
                var ops = step["ops"];
                if (step.Kind != JsonKind.Object || from == null || from.Kind != JsonKind.Number || !int.TryParse(from.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var fromVersion)
                    || fromVersion < 1 || fromVersion >= _schemaVersion || ops == null || ops.Kind != JsonKind.Array)
                {
                    Report(DiagnosticDescriptors.InvalidKeywordValue, step, "x-peer-upgrades", "#", "each step needs \"from\" (a version below x-peer-schema-version) and \"ops\" (an array)");
                    valid = false;
                    continue;
                }
                foreach (var op in ops.Items!)
                {
                    var name = op["op"]?.Text;
                    var path = op["path"];
                    var ok = op.Kind == JsonKind.Object && path != null && path.Kind == JsonKind.String && path.Text!.StartsWith("/", StringComparison.Ordinal)
                        && (name == "add" && op["value"] != null || name == "remove" || name == "rename" && op["to"]?.Kind == JsonKind.String);
                    if (!ok)
                    {
                        Report(DiagnosticDescriptors.InvalidKeywordValue, op, "x-peer-upgrades", "#", "an operation is {\"op\":\"add\",\"path\":\"/a/b\",\"value\":...}, {\"op\":\"remove\",\"path\":...} or {\"op\":\"rename\",\"path\":...,\"to\":\"name\"}");
                        valid = false;
                    }
                }
            }
            if (valid) _upgradesJson = _text.Substring(upgrades.Start, upgrades.End - upgrades.Start);
        }

        private bool HasErrors() => _diagnostics.Any(d => d.IsError);

        private IReadOnlyList<RoleModel> ReadRoles(SchemaJson root)
        {
            var node = root["x-peer-roles"];
            if (node == null) return Array.Empty<RoleModel>();
            if (node.Kind != JsonKind.Array || node.Items!.Any(i => i.Kind != JsonKind.String))
            {
                Report(DiagnosticDescriptors.InvalidKeywordValue, node, "x-peer-roles", "#", "expected an array of role names");
                return Array.Empty<RoleModel>();
            }
            var roles = new List<RoleModel>();
            var byMember = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var item in node.Items!)
            {
                var member = Naming.ToPascalCase(item.Text!);
                if (byMember.TryGetValue(member, out var other))
                {
                    Report(DiagnosticDescriptors.NameCollision, item, other, item.Text!, member);
                    continue;
                }
                byMember[member] = item.Text!;
                _roles.Add(item.Text!);
                roles.Add(new RoleModel(item.Text!, member));
            }
            return roles;
        }

        // ---- types ---------------------------------------------------------------------------------------------

        private TypeRef ResolveSchema(SchemaJson node, string pointer, string nameHint, string? definitionName)
        {
            if (node.Kind == JsonKind.True) return AnyRef();
            if (node.Kind != JsonKind.Object)
            {
                Report(DiagnosticDescriptors.UnsupportedConstruct, node, pointer, node.Kind == JsonKind.False
                    ? "the schema false accepts nothing; leave the property out (with additionalProperties: false) instead"
                    : "a schema must be a JSON object, or true for any JSON value");
                return Placeholder();
            }
            // {} (or only annotations): any JSON value, kept as written.
            if (node.Properties!.All(p => AnnotationKeywords.Contains(p.Key.Name) || (p.Key.Name.StartsWith("x-", StringComparison.Ordinal) && !p.Key.Name.StartsWith("x-peer-", StringComparison.Ordinal))))
            {
                return AnyRef();
            }

            var reference = node["$ref"];
            foreach (var property in node.Properties!)
            {
                var keyword = property.Key.Name;
                if (!SupportedKeywords.Contains(keyword))
                {
                    if (keyword.StartsWith("x-", StringComparison.Ordinal) && !keyword.StartsWith("x-peer-", StringComparison.Ordinal)) continue;
                    Report(DiagnosticDescriptors.UnsupportedConstruct, property.Key, pointer, "keyword '" + keyword + "' is not supported");
                }
                else if (reference != null && !KeywordsAllowedBesideRef.Contains(keyword))
                {
                    Report(DiagnosticDescriptors.UnsupportedConstruct, property.Key, pointer, "keyword '" + keyword + "' beside $ref is not supported");
                }
            }

            if (reference != null) return ResolveReference(reference, pointer);

            var typeNode = node["type"];
            if (typeNode == null)
            {
                Report(DiagnosticDescriptors.UnsupportedConstruct, node, pointer, "a schema without 'type' is not supported");
                return Placeholder();
            }
            if (typeNode.Kind != JsonKind.String)
            {
                Report(DiagnosticDescriptors.UnsupportedConstruct, typeNode, pointer, "'type' must be a single type name (type unions are not supported)");
                return Placeholder();
            }

            var typeName = StringKeyword(node, "title", pointer) ?? definitionName ?? nameHint;
            var enumNode = node["enum"];
            if (enumNode != null && typeNode.Text != "string" && typeNode.Text != "number")
            {
                Report(DiagnosticDescriptors.UnsupportedConstruct, enumNode, pointer, "'enum' is supported only on types string and number");
            }
            if (typeNode.Text != "object")
            {
                foreach (var keyword in new[] { "if", "then", "else", "allOf" })
                {
                    var key = node.KeyOf(keyword);
                    if (key != null) Report(DiagnosticDescriptors.UnsupportedConstruct, key, pointer, "'" + keyword + "' is supported only on object schemas, for if/then/else rules");
                }
            }

            var format = StringKeyword(node, "format", pointer);
            if (format != null && (typeNode.Text != "string" || format != "date-time"))
            {
                Report(DiagnosticDescriptors.UnsupportedConstruct, node["format"]!, pointer, "format '" + format + "' is not supported (only date-time on strings)");
            }

            switch (typeNode.Text)
            {
                case "string":
                    if (enumNode != null) return ResolveEnum(node, enumNode, pointer, typeName);
                    return new TypeRef(format == "date-time" ? ValueKind.DateTime : ValueKind.String, null, null, null, null,
                        IntKeyword(node, "minLength", pointer), IntKeyword(node, "maxLength", pointer), null, null, PatternKeyword(node, pointer));
                case "integer":
                    return new TypeRef(ValueKind.Integer, null, null,
                        IntegerBound(node, "minimum", pointer), IntegerBound(node, "maximum", pointer), null, null, null, null, null);
                case "number":
                    return new TypeRef(ValueKind.Number, null, null,
                        NumberKeyword(node, "minimum", pointer), NumberKeyword(node, "maximum", pointer), null, null, null, null, null,
                        enumNode == null ? EquatableArray<string>.Empty : NumberEnum(enumNode, pointer));
                case "boolean":
                    return new TypeRef(ValueKind.Boolean, null, null, null, null, null, null, null, null, null);
                case "array":
                    var items = node["items"];
                    if (items == null)
                    {
                        Report(DiagnosticDescriptors.UnsupportedConstruct, node, pointer, "an array without 'items' is not supported");
                        return Placeholder();
                    }
                    var itemType = ResolveSchema(items, pointer + "/items", typeName + "Item", null);
                    return new TypeRef(ValueKind.Array, null, itemType, null, null, null, null,
                        IntKeyword(node, "minItems", pointer), IntKeyword(node, "maxItems", pointer), null);
                case "object":
                    return ResolveObject(node, pointer, typeName);
                default:
                    Report(DiagnosticDescriptors.UnsupportedConstruct, typeNode, pointer, "type '" + typeNode.Text + "' is not supported");
                    return Placeholder();
            }
        }

        private TypeRef ResolveReference(SchemaJson reference, string pointer)
        {
            var target = reference.Kind == JsonKind.String ? reference.Text! : string.Empty;
            string? container = null;
            if (target.StartsWith("#/$defs/", StringComparison.Ordinal)) container = "$defs";
            else if (target.StartsWith("#/definitions/", StringComparison.Ordinal)) container = "definitions";
            var name = container == null ? null : target.Substring(container.Length + 3);
            var definition = name == null ? null : _root![container!]?[name];
            if (definition == null)
            {
                Report(DiagnosticDescriptors.UnresolvableReference, reference, target, pointer);
                return Placeholder();
            }
            if (_resolvedDefinitions.TryGetValue(target, out var cached)) return cached;
            // Objects are referred to by name, so a recursive definition can be resolved to its name before its body.
            var title = definition["title"]?.Text ?? name!;
            if (definition["type"]?.Text == "object" && definition["properties"] != null)
            {
                _resolvedDefinitions[target] = ObjectRef(Naming.ToPascalCase(title));
            }
            var resolved = ResolveSchema(definition, target, Naming.ToPascalCase(title), Naming.ToPascalCase(name!));
            _resolvedDefinitions[target] = resolved;
            return resolved;
        }

        private TypeRef ResolveEnum(SchemaJson node, SchemaJson enumNode, string pointer, string typeName)
        {
            var name = Naming.ToPascalCase(typeName);
            if (enumNode.Kind != JsonKind.Array || enumNode.Items!.Count == 0 || enumNode.Items.Any(i => i.Kind != JsonKind.String))
            {
                Report(DiagnosticDescriptors.InvalidKeywordValue, enumNode, "enum", pointer, "expected a non-empty array of strings");
                return Placeholder();
            }
            if (_enums.ContainsKey(name))
            {
                if (_typeNameOrigins[name] == pointer) return EnumRef(name);
                // Two inline enums with one title would otherwise share the first one's members without a word.
                Report(DiagnosticDescriptors.DuplicateEnumName, node["title"] ?? enumNode, pointer, _typeNameOrigins[name], name);
                return Placeholder();
            }
            if (!ClaimTypeName(name, pointer, node)) return Placeholder();
            var members = new List<EnumMember>();
            var byMember = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var item in enumNode.Items)
            {
                var member = Naming.ToPascalCase(item.Text!);
                if (byMember.TryGetValue(member, out var other))
                {
                    Report(DiagnosticDescriptors.NameCollision, item, other, item.Text!, name + "." + member);
                    continue;
                }
                byMember[member] = item.Text!;
                members.Add(new EnumMember(item.Text!, member));
            }
            _enums[name] = new EnumModel(name, node["description"]?.Text, members.ToEquatableArray());
            return EnumRef(name);
        }

        private TypeRef ResolveObject(SchemaJson node, string pointer, string typeName)
        {
            var additional = node["additionalProperties"];
            var allowsExtra = true;
            if (additional != null)
            {
                if (additional.Kind == JsonKind.True) allowsExtra = true;
                else if (additional.Kind == JsonKind.False) allowsExtra = false;
                else
                {
                    Report(DiagnosticDescriptors.UnsupportedConstruct, additional, pointer, "'additionalProperties' must be true or false (schemas for additional properties are not supported)");
                }
            }

            var propertiesNode = node["properties"];
            if (propertiesNode == null)
            {
                if (!allowsExtra)
                {
                    Report(DiagnosticDescriptors.UnsupportedConstruct, node, pointer, "an object that allows no properties at all is not supported");
                }
                return new TypeRef(ValueKind.RawObject, null, null, null, null, null, null, null, null, null);
            }
            if (propertiesNode.Kind != JsonKind.Object)
            {
                Report(DiagnosticDescriptors.InvalidKeywordValue, propertiesNode, "properties", pointer, "expected an object");
                return Placeholder();
            }

            var name = Naming.ToPascalCase(typeName);
            if (_objects.ContainsKey(name) && _typeNameOrigins[name] == pointer) return ObjectRef(name);
            if (!ClaimTypeName(name, pointer, node)) return Placeholder();

            var required = new HashSet<string>(StringComparer.Ordinal);
            var requiredNode = node["required"];
            if (requiredNode != null)
            {
                if (requiredNode.Kind != JsonKind.Array || requiredNode.Items!.Any(i => i.Kind != JsonKind.String))
                {
                    Report(DiagnosticDescriptors.InvalidKeywordValue, requiredNode, "required", pointer, "expected an array of property names");
                }
                else
                {
                    foreach (var item in requiredNode.Items!)
                    {
                        if (propertiesNode[item.Text!] == null)
                        {
                            Report(DiagnosticDescriptors.InvalidKeywordValue, item, "required", pointer, "'" + item.Text + "' is not among the properties");
                        }
                        required.Add(item.Text!);
                    }
                }
            }

            var properties = new List<PropertyModel>();
            var byMember = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [name] = "the type " + name,
                ["ExtensionData"] = "the extension data member",
                ["EqualityContract"] = "the record's EqualityContract",
            };
            foreach (var pair in propertiesNode.Properties!)
            {
                var jsonName = pair.Key.Name;
                var memberName = Naming.ToPascalCase(jsonName);
                var propertyPointer = pointer + "/properties/" + Naming.EscapePointerToken(jsonName);
                if (byMember.TryGetValue(memberName, out var other))
                {
                    Report(DiagnosticDescriptors.NameCollision, pair.Key, other, jsonName, name + "." + memberName);
                    continue;
                }
                byMember[memberName] = jsonName;
                var type = ResolveSchema(pair.Value, propertyPointer, name + memberName, null);
                properties.Add(new PropertyModel(jsonName, memberName, type, required.Contains(jsonName), pair.Value["description"]?.Text, DefaultOf(pair.Value, type)));
            }

            _objects[name] = new ObjectModel(name, node["description"]?.Text, properties.ToEquatableArray(), allowsExtra);
            var rules = ReadRules(node, pointer, name);
            if (rules.Count > 0) _objects[name] = _objects[name] with { Rules = rules.ToEquatableArray() };
            return ObjectRef(name);
        }

        // ---- conditional rules: the if/then/else subset -----------------------------------------------------------

        private static readonly HashSet<string> RuleKeywords = new(StringComparer.Ordinal)
        {
            "properties", "required", "not", "const", "enum", "description", "$comment",
        };

        /// <summary>if/then/else on the object itself and on each item of its allOf.</summary>
        private List<ConditionalRule> ReadRules(SchemaJson node, string pointer, string objectName)
        {
            var rules = new List<ConditionalRule>();
            ReadRule(node, pointer, objectName, rules);
            var allOf = node["allOf"];
            if (allOf == null) return rules;
            if (allOf.Kind != JsonKind.Array)
            {
                Report(DiagnosticDescriptors.InvalidKeywordValue, allOf, "allOf", pointer, "expected an array of if/then/else rules");
                return rules;
            }
            for (var i = 0; i < allOf.Items!.Count; i++)
            {
                var item = allOf.Items[i];
                var itemPointer = pointer + "/allOf/" + i.ToString(CultureInfo.InvariantCulture);
                if (item.Kind != JsonKind.Object)
                {
                    Report(DiagnosticDescriptors.UnsupportedConstruct, item, itemPointer, "allOf items must be objects holding an if/then/else rule");
                    continue;
                }
                var unsupported = false;
                foreach (var property in item.Properties!)
                {
                    if (property.Key.Name is "if" or "then" or "else" or "description" or "$comment") continue;
                    Report(DiagnosticDescriptors.UnsupportedConstruct, property.Key, itemPointer, "keyword '" + property.Key.Name + "' in allOf is not supported (allOf may hold only if/then/else rules)");
                    unsupported = true;
                }
                if (item["if"] == null)
                {
                    Report(DiagnosticDescriptors.UnsupportedConstruct, item, itemPointer, "an allOf item without 'if' is not supported (allOf may hold only if/then/else rules)");
                    continue;
                }
                if (!unsupported) ReadRule(item, itemPointer, objectName, rules);
            }
            return rules;
        }

        private void ReadRule(SchemaJson node, string pointer, string objectName, List<ConditionalRule> rules)
        {
            var condition = node["if"];
            var then = node["then"];
            var otherwise = node["else"];
            if (condition == null)
            {
                var stray = node.KeyOf("then") ?? node.KeyOf("else");
                if (stray != null) Report(DiagnosticDescriptors.UnsupportedConstruct, stray, pointer, "'" + stray.Name + "' without 'if' has no effect");
                return;
            }
            if (then == null && otherwise == null)
            {
                Report(DiagnosticDescriptors.UnsupportedConstruct, node.KeyOf("if")!, pointer, "'if' without 'then' or 'else' has no effect");
                return;
            }
            var before = _diagnostics.Count;
            var ifTests = new List<RuleTest>();
            var thenTests = new List<RuleTest>();
            var elseTests = new List<RuleTest>();
            ReadRuleTests(condition, pointer + "/if", ObjectRef(objectName), new List<string>(), ifTests);
            if (then != null) ReadRuleTests(then, pointer + "/then", ObjectRef(objectName), new List<string>(), thenTests);
            if (otherwise != null) ReadRuleTests(otherwise, pointer + "/else", ObjectRef(objectName), new List<string>(), elseTests);
            if (_diagnostics.Count != before) return;
            if (ifTests.Count == 0)
            {
                Report(DiagnosticDescriptors.UnsupportedConstruct, condition, pointer + "/if", "an 'if' that tests nothing always holds; say what it tests");
                return;
            }
            rules.Add(new ConditionalRule(pointer, ifTests.ToEquatableArray(), thenTests.ToEquatableArray(), elseTests.ToEquatableArray(),
                string.Join(" and ", ifTests.Select(DescribeTest))));
        }

        /// <summary>
        /// Reads one subschema of a rule: const/enum on a scalar, properties/required/not-required on an object. The
        /// property names are checked against the schema, so a typo is an error rather than a rule that never fires.
        /// </summary>
        private void ReadRuleTests(SchemaJson node, string pointer, TypeRef current, List<string> path, List<RuleTest> tests)
        {
            if (node.Kind != JsonKind.Object)
            {
                Report(DiagnosticDescriptors.UnsupportedConstruct, node, pointer, "a rule subschema must be an object (boolean schemas are not supported in rules)");
                return;
            }
            foreach (var property in node.Properties!)
            {
                if (!RuleKeywords.Contains(property.Key.Name))
                {
                    Report(DiagnosticDescriptors.UnsupportedConstruct, property.Key, pointer, "keyword '" + property.Key.Name + "' is not supported in an if/then/else rule (supported: properties, required, not: {required}, const, enum)");
                }
            }
            ObjectModel? objectModel = current.Kind == ValueKind.Object && _objects.TryGetValue(current.Name!, out var found) ? found : null;
            if (current.Kind == ValueKind.Object && objectModel == null)
            {
                Report(DiagnosticDescriptors.UnsupportedConstruct, node, pointer, "a rule cannot look into '" + current.Name + "' while it is still being defined (recursive types)");
                return;
            }

            var constNode = node["const"];
            var enumNode = node["enum"];
            if (constNode != null || enumNode != null)
            {
                var valueNodes = constNode != null ? new List<SchemaJson> { constNode } : enumNode!.Kind == JsonKind.Array ? enumNode.Items! : new List<SchemaJson>();
                if (constNode != null && enumNode != null)
                {
                    Report(DiagnosticDescriptors.UnsupportedConstruct, enumNode, pointer, "use either 'const' or 'enum' in one rule subschema");
                }
                else if (objectModel != null || current.Kind is ValueKind.Array or ValueKind.RawObject || path.Count == 0)
                {
                    Report(DiagnosticDescriptors.UnsupportedConstruct, constNode ?? enumNode!, pointer, "const/enum in a rule is supported only on strings, numbers and booleans");
                }
                else if (valueNodes.Count == 0)
                {
                    Report(DiagnosticDescriptors.InvalidKeywordValue, enumNode!, "enum", pointer, "expected a non-empty array");
                }
                else
                {
                    var values = new List<RuleValue>();
                    foreach (var valueNode in valueNodes)
                    {
                        var value = RuleValueOf(valueNode, current, pointer, string.Join(".", path));
                        if (value != null) values.Add(value);
                    }
                    if (values.Count == valueNodes.Count)
                    {
                        tests.Add(new RuleTest(RuleTestKind.ValueIn, path.ToEquatableArray(), EquatableArray<string>.Empty, values.ToEquatableArray()));
                    }
                }
            }

            var required = node["required"];
            if (required != null && RuleNames(required, "required", pointer, objectModel) is { } requiredNames)
            {
                tests.Add(new RuleTest(RuleTestKind.Present, path.ToEquatableArray(), requiredNames.ToEquatableArray(), EquatableArray<RuleValue>.Empty));
            }

            var not = node["not"];
            if (not != null)
            {
                var notRequired = not.Kind == JsonKind.Object && not.Properties!.Count == 1 ? not["required"] : null;
                if (notRequired == null)
                {
                    Report(DiagnosticDescriptors.UnsupportedConstruct, not, pointer + "/not", "only not: {\"required\": [...]} is supported in a rule");
                }
                else if (RuleNames(notRequired, "not/required", pointer, objectModel) is { } forbidden)
                {
                    tests.Add(new RuleTest(RuleTestKind.NotAllPresent, path.ToEquatableArray(), forbidden.ToEquatableArray(), EquatableArray<RuleValue>.Empty));
                }
            }

            var properties = node["properties"];
            if (properties == null) return;
            if (properties.Kind != JsonKind.Object)
            {
                Report(DiagnosticDescriptors.InvalidKeywordValue, properties, "properties", pointer, "expected an object");
                return;
            }
            if (objectModel == null)
            {
                Report(DiagnosticDescriptors.RuleDoesNotFitSchema, properties, pointer, "uses 'properties' on '" + string.Join(".", path) + "', which is not an object with properties");
                return;
            }
            foreach (var pair in properties.Properties!)
            {
                var member = objectModel.Properties.FirstOrDefault(p => p.JsonName == pair.Key.Name);
                if (member == null)
                {
                    Report(DiagnosticDescriptors.RuleDoesNotFitSchema, pair.Key, pointer, "names '" + pair.Key.Name + "', which is not a property of " + objectModel.Name + " (" + string.Join(", ", objectModel.Properties.Select(p => p.JsonName)) + ")");
                    continue;
                }
                var childPath = new List<string>(path) { pair.Key.Name };
                ReadRuleTests(pair.Value, pointer + "/properties/" + Naming.EscapePointerToken(pair.Key.Name), member.Type, childPath, tests);
            }
        }

        private List<string>? RuleNames(SchemaJson node, string keyword, string pointer, ObjectModel? objectModel)
        {
            if (node.Kind != JsonKind.Array || node.Items!.Count == 0 || node.Items.Any(i => i.Kind != JsonKind.String))
            {
                Report(DiagnosticDescriptors.InvalidKeywordValue, node, keyword, pointer, "expected a non-empty array of property names");
                return null;
            }
            if (objectModel == null)
            {
                Report(DiagnosticDescriptors.RuleDoesNotFitSchema, node, pointer, "uses '" + keyword + "' on a value that is not an object with properties");
                return null;
            }
            var names = new List<string>();
            foreach (var item in node.Items)
            {
                if (objectModel.Properties.All(p => p.JsonName != item.Text))
                {
                    Report(DiagnosticDescriptors.RuleDoesNotFitSchema, item, pointer, "names '" + item.Text + "', which is not a property of " + objectModel.Name + " (" + string.Join(", ", objectModel.Properties.Select(p => p.JsonName)) + ")");
                    return null;
                }
                names.Add(item.Text!);
            }
            return names;
        }

        /// <summary>A const/enum value of a rule, checked against the type of the value it is compared with.</summary>
        private RuleValue? RuleValueOf(SchemaJson node, TypeRef type, string pointer, string path)
        {
            RuleValue? value = node.Kind switch
            {
                JsonKind.String => new RuleValue(RuleValueKind.String, node.Text!),
                JsonKind.Number when ExactDecimal(node.Text!) is { } number => new RuleValue(RuleValueKind.Number, number),
                JsonKind.True => new RuleValue(RuleValueKind.True, "true"),
                JsonKind.False => new RuleValue(RuleValueKind.False, "false"),
                JsonKind.Null => new RuleValue(RuleValueKind.Null, "null"),
                _ => null,
            };
            if (value == null)
            {
                Report(DiagnosticDescriptors.UnsupportedConstruct, node, pointer, "const/enum in a rule compares with strings, numbers (decimals), booleans and null only");
                return null;
            }
            var fits = type.Kind switch
            {
                ValueKind.Any => true,
                ValueKind.String or ValueKind.DateTime => value.Kind == RuleValueKind.String,
                ValueKind.Enum => value.Kind == RuleValueKind.String && _enums.TryGetValue(type.Name!, out var enumModel) && enumModel.Members.Any(m => m.JsonValue == value.Text),
                ValueKind.Integer or ValueKind.Number => value.Kind == RuleValueKind.Number,
                ValueKind.Boolean => value.Kind is RuleValueKind.True or RuleValueKind.False,
                _ => false,
            };
            if (!fits)
            {
                Report(DiagnosticDescriptors.RuleDoesNotFitSchema, node, pointer, "compares '" + path + "' with " + value.Literal + ", a value it can never have (" + DescribeForRule(type) + ")");
                return null;
            }
            return value;
        }

        private string DescribeForRule(TypeRef type) => type.Kind == ValueKind.Enum && _enums.TryGetValue(type.Name!, out var model)
            ? "one of " + string.Join(", ", model.Members.Select(m => m.JsonValue))
            : type.Kind.ToString().ToLowerInvariant();

        internal static string DescribeTest(RuleTest test)
        {
            var prefix = test.Path.Count == 0 ? string.Empty : string.Join(".", test.Path) + ".";
            switch (test.Kind)
            {
                case RuleTestKind.ValueIn:
                    return string.Join(".", test.Path) + (test.Values.Count == 1 ? " is " + test.Values[0].Literal : " is one of " + string.Join(", ", test.Values.Select(v => v.Literal)));
                case RuleTestKind.Present:
                    return string.Join(" and ", test.Names.Select(n => prefix + n)) + (test.Names.Count == 1 ? " is present" : " are present");
                default:
                    return test.Names.Count == 1 ? prefix + test.Names[0] + " is absent" : "not all of " + string.Join(", ", test.Names.Select(n => prefix + n)) + " are present";
            }
        }

        private bool ClaimTypeName(string name, string pointer, SchemaJson node)
        {
            if (_typeNameOrigins.TryGetValue(name, out var existing) && existing != pointer)
            {
                Report(DiagnosticDescriptors.NameCollision, node, existing, pointer, name);
                return false;
            }
            _typeNameOrigins[name] = pointer;
            return true;
        }

        // ---- ownership, sections and the path table -----------------------------------------------------------

        private void WalkOwnershipAndFields(SchemaJson schema, string typeName, string jsonPointer, string schemaPointer, string? shortPath, List<PathStep> steps, string[] inheritedOwners, HashSet<string> visiting)
        {
            if (!visiting.Add(typeName)) return;
            var resolved = Dereference(schema);
            var ownedSections = resolved["x-peer-owned-sections"]?.Kind == JsonKind.True;
            var objectModel = _objects[typeName];
            var properties = resolved["properties"]!;
            foreach (var property in objectModel.Properties)
            {
                var propertySchema = properties[property.JsonName]!;
                var propertyPointer = jsonPointer + "/" + Naming.EscapePointerToken(property.JsonName);
                var propertySchemaPointer = schemaPointer + "/properties/" + Naming.EscapePointerToken(property.JsonName);
                var owners = ReadOwners(propertySchema, propertySchemaPointer);
                if (owners != null)
                {
                    _ownership.Add(new OwnershipRule(propertyPointer, owners.ToEquatableArray()));
                }
                else if (ownedSections)
                {
                    Report(DiagnosticDescriptors.SectionWithoutOwner, properties.KeyOf(property.JsonName)!, propertyPointer);
                }
                var effectiveOwners = owners ?? inheritedOwners;
                var alias = StringKeyword(propertySchema, "x-peer-alias", propertySchemaPointer);
                var path = alias ?? (shortPath == null ? property.JsonName : shortPath + "." + property.JsonName);
                var isObject = property.Type.Kind == ValueKind.Object;
                var step = new PathStep(property.MemberName, property.JsonName, TypeNameOf(property.Type), !property.IsRequired, isObject && IsConstructible(property.Type.Name!));
                var childSteps = new List<PathStep>(steps) { step };

                if (owners != null)
                {
                    _sections.Add(new SectionModel(propertyPointer, childSteps.ToEquatableArray(), property.Type, owners.ToEquatableArray()));
                }
                _fields.Add(new FieldModel(path, propertyPointer, childSteps.ToEquatableArray(), property.Type, effectiveOwners.ToEquatableArray()));
                if (isObject)
                {
                    WalkOwnershipAndFields(propertySchema, property.Type.Name!, propertyPointer, propertySchemaPointer, path, childSteps, effectiveOwners, visiting);
                }
            }
            visiting.Remove(typeName);
        }

        /// <summary>The root owner writes the root's members that hold no section of another owner.</summary>
        private void AddRootOwnerSections(SchemaJson root, string rootTypeName, string[] rootOwners)
        {
            foreach (var property in _objects[rootTypeName].Properties)
            {
                var pointer = "/" + Naming.EscapePointerToken(property.JsonName);
                if (_ownership.Any(rule => rule.Pointer == pointer || rule.Pointer.StartsWith(pointer + "/", StringComparison.Ordinal))) continue;
                var constructible = property.Type.Kind == ValueKind.Object && IsConstructible(property.Type.Name!);
                var step = new PathStep(property.MemberName, property.JsonName, TypeNameOf(property.Type), !property.IsRequired, constructible);
                _sections.Add(new SectionModel(pointer, new[] { step }.ToEquatableArray(), property.Type, rootOwners.ToEquatableArray()));
            }
        }

        private string[]? ReadOwners(SchemaJson schema, string pointer)
        {
            var node = schema["x-peer-owner"];
            if (node == null) return null;
            var owners = node.Kind switch
            {
                JsonKind.String => new[] { node.Text! },
                JsonKind.Array when node.Items!.All(i => i.Kind == JsonKind.String) => node.Items!.Select(i => i.Text!).ToArray(),
                _ => null,
            };
            if (owners == null)
            {
                Report(DiagnosticDescriptors.InvalidKeywordValue, node, "x-peer-owner", pointer, "expected a role name or an array of role names");
                return null;
            }
            foreach (var owner in owners)
            {
                if (owner != Wildcard && !_roles.Contains(owner))
                {
                    Report(DiagnosticDescriptors.UnknownRole, node, owner, pointer, _roles.Count == 0 ? "none declared" : string.Join(", ", _roles));
                }
            }
            return owners;
        }

        private SchemaJson Dereference(SchemaJson schema)
        {
            var reference = schema["$ref"];
            if (reference?.Text == null) return schema;
            var parts = reference.Text.Split('/');
            return parts.Length == 3 ? _root![parts[1]]![parts[2]]! : schema;
        }

        private bool IsConstructible(string typeName) => _objects.TryGetValue(typeName, out var model) && model.Properties.All(p => !p.IsRequired || p.DefaultJson != null);

        /// <summary>
        /// A scalar "default" as JSON text ("\"unknown\"", "0", "true"), for string, integer, number and boolean members:
        /// a required member with a default is generated with it as its initial value, so code that builds the record
        /// by hand keeps compiling when a schema version adds the member.
        /// </summary>
        private static string? DefaultOf(SchemaJson property, TypeRef type)
        {
            var value = property["default"];
            if (value == null) return null;
            switch (type.Kind)
            {
                case ValueKind.String when value.Kind == JsonKind.String:
                    return "\"" + value.Text + "\"";
                case ValueKind.Integer when value.Kind == JsonKind.Number && long.TryParse(value.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _):
                case ValueKind.Number when value.Kind == JsonKind.Number:
                    return value.Text;
                case ValueKind.Boolean when value.Kind == JsonKind.True || value.Kind == JsonKind.False:
                    return value.Kind == JsonKind.True ? "true" : "false";
                default:
                    return null;
            }
        }

        internal static string TypeNameOf(TypeRef type) => type.Kind switch
        {
            ValueKind.Object or ValueKind.Enum => type.Name!,
            _ => type.Kind.ToString(),
        };

        private static TypeRef ObjectRef(string name) => new(ValueKind.Object, name, null, null, null, null, null, null, null, null);

        private static TypeRef EnumRef(string name) => new(ValueKind.Enum, name, null, null, null, null, null, null, null, null);

        private static TypeRef AnyRef() => new(ValueKind.Any, null, null, null, null, null, null, null, null, null);

        private static TypeRef Placeholder() => new(ValueKind.RawObject, null, null, null, null, null, null, null, null, null);

        // ---- keyword readers -----------------------------------------------------------------------------------

        private string? StringKeyword(SchemaJson schema, string keyword, string pointer)
        {
            var node = schema[keyword];
            if (node == null) return null;
            if (node.Kind == JsonKind.String) return node.Text;
            Report(DiagnosticDescriptors.InvalidKeywordValue, node, keyword, pointer, "expected a string");
            return null;
        }

        private int? IntKeyword(SchemaJson schema, string keyword, string pointer)
        {
            var node = schema[keyword];
            if (node == null) return null;
            if (node.Kind == JsonKind.Number && int.TryParse(node.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)) return value;
            Report(DiagnosticDescriptors.InvalidKeywordValue, node, keyword, pointer, "expected a non-negative integer");
            return null;
        }

        /// <summary>A bound of a number: it must be a decimal the generated code can hold exactly.</summary>
        private string? NumberKeyword(SchemaJson schema, string keyword, string pointer)
        {
            var node = schema[keyword];
            if (node == null) return null;
            if (node.Kind == JsonKind.Number && ExactDecimal(node.Text!) is { } text) return text;
            Report(DiagnosticDescriptors.InvalidKeywordValue, node, keyword, pointer, node.Kind == JsonKind.Number
                ? "numbers are decimals in C#; " + node.Text + " has more than 28 significant digits or is beyond ±7.9e28"
                : "expected a number");
            return null;
        }

        /// <summary>A bound of an integer: a whole number a long holds, written as C# can compile it.</summary>
        private string? IntegerBound(SchemaJson schema, string keyword, string pointer)
        {
            var node = schema[keyword];
            if (node == null) return null;
            if (node.Kind != JsonKind.Number)
            {
                Report(DiagnosticDescriptors.InvalidKeywordValue, node, keyword, pointer, "expected a number");
                return null;
            }
            // 1, 1.0 and 1e2 are whole numbers; 1.5 is not, and 2^63 does not fit a long.
            if (decimal.TryParse(node.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value == decimal.Truncate(value)
                && value >= long.MinValue && value <= long.MaxValue)
            {
                return ((long)value).ToString(CultureInfo.InvariantCulture);
            }
            Report(DiagnosticDescriptors.IntegerBoundNotInteger, node, keyword, pointer, node.Text!);
            return null;
        }

        private EquatableArray<string> NumberEnum(SchemaJson enumNode, string pointer)
        {
            var values = new List<string>();
            if (enumNode.Kind == JsonKind.Array && enumNode.Items!.Count > 0)
            {
                foreach (var item in enumNode.Items)
                {
                    var text = item.Kind == JsonKind.Number ? ExactDecimal(item.Text!) : null;
                    if (text == null)
                    {
                        Report(DiagnosticDescriptors.InvalidKeywordValue, item, "enum", pointer, "expected numbers a C# decimal holds exactly");
                        continue;
                    }
                    if (!values.Contains(text)) values.Add(text);
                }
                return values.ToEquatableArray();
            }
            Report(DiagnosticDescriptors.InvalidKeywordValue, enumNode, "enum", pointer, "expected a non-empty array of numbers");
            return EquatableArray<string>.Empty;
        }

        /// <summary>The number as a C# decimal literal's digits when a decimal holds it exactly; null otherwise.</summary>
        internal static string? ExactDecimal(string json)
        {
            if (!decimal.TryParse(json, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return null;
            var text = value.ToString(CultureInfo.InvariantCulture);
            return SameNumber(json, text) ? text : null;
        }

        private static bool SameNumber(string a, string b) =>
            double.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out var y)
            && x.Equals(y) && Significant(a) == Significant(b);

        private static string Significant(string number)
        {
            var mantissa = number.Split('e', 'E')[0].Replace("-", string.Empty).Replace(".", string.Empty);
            var trimmed = mantissa.Trim('0');
            return trimmed.Length == 0 ? "0" : trimmed;
        }

        private string? PatternKeyword(SchemaJson schema, string pointer)
        {
            var pattern = StringKeyword(schema, "pattern", pointer);
            if (pattern == null) return null;
            try
            {
                _ = new System.Text.RegularExpressions.Regex(pattern);
                return pattern;
            }
            catch (ArgumentException ex)
            {
                Report(DiagnosticDescriptors.InvalidKeywordValue, schema["pattern"]!, "pattern", pointer, ex.Message);
                return null;
            }
        }

        // ---- diagnostics ---------------------------------------------------------------------------------------

        private void Report(DiagnosticDescriptor descriptor, SchemaJson node, params string[] arguments) =>
            Report(descriptor, node.Start, Math.Max(1, Math.Min(node.End - node.Start, LineEnd(node.Start) - node.Start)), arguments);

        private void Report(DiagnosticDescriptor descriptor, SchemaJsonKey key, params string[] arguments) =>
            Report(descriptor, key.Start, key.End - key.Start, arguments);

        private void Report(DiagnosticDescriptor descriptor, int start, int length, params string[] arguments)
        {
            start = Math.Max(0, Math.Min(start, _text.Length));
            length = Math.Max(0, Math.Min(length, _text.Length - start));
            var (line, column) = LineColumn(start);
            var (endLine, endColumn) = LineColumn(start + length);
            _diagnostics.Add(new DiagnosticInfo(descriptor.Id, descriptor.DefaultSeverity == DiagnosticSeverity.Error, arguments.ToEquatableArray(),
                _path, start, length, line, column, endLine, endColumn));
        }

        private int LineEnd(int offset)
        {
            var end = _text.IndexOf('\n', offset);
            return end < 0 ? _text.Length : end;
        }

        private (int Line, int Column) LineColumn(int offset)
        {
            var index = _lineStarts.BinarySearch(offset);
            if (index < 0) index = ~index - 1;
            return (index, offset - _lineStarts[index]);
        }
    }
}
