namespace PeerTyped.Generators.Model
{
    // Everything the emitter needs, as plain equatable data: no Roslyn symbols, no parsed JSON trees.

    internal enum ValueKind { String, Integer, Number, Boolean, DateTime, Enum, Object, Array, RawObject, Any }

    /// <summary>The C#-facing shape of a JSON value and the rules that constrain it.</summary>
    internal sealed record TypeRef(
        ValueKind Kind,
        string? Name,
        TypeRef? Item,
        string? Minimum,
        string? Maximum,
        int? MinLength,
        int? MaxLength,
        int? MinItems,
        int? MaxItems,
        string? Pattern,
        EquatableArray<string> NumberValues = default);

    internal sealed record PropertyModel(
        string JsonName,
        string MemberName,
        TypeRef Type,
        bool IsRequired,
        string? Description,
        string? DefaultJson = null);

    internal sealed record ObjectModel(
        string Name,
        string? Description,
        EquatableArray<PropertyModel> Properties,
        bool AllowsExtraProperties,
        EquatableArray<ConditionalRule> Rules = default);

    internal enum RuleTestKind
    {
        /// <summary>The value at Path is one of Values (holds when anything on Path is absent or not an object).</summary>
        ValueIn,
        /// <summary>The object at Path holds every one of Names (holds when the object is absent or not an object).</summary>
        Present,
        /// <summary>The object at Path does not hold all of Names (<c>not: {required: [...]}</c>).</summary>
        NotAllPresent,
    }

    internal enum RuleValueKind { String, Number, True, False, Null }

    /// <summary>A const or enum value a rule compares with; Text is the string's content or the number's spelling.</summary>
    internal sealed record RuleValue(RuleValueKind Kind, string Text)
    {
        /// <summary>The value as JSON text (strings quoted), for messages.</summary>
        public string Literal => Kind == RuleValueKind.String ? "\"" + Text + "\"" : Text;
    }

    /// <summary>One test of a rule, relative to the object that declares the rule.</summary>
    internal sealed record RuleTest(RuleTestKind Kind, EquatableArray<string> Path, EquatableArray<string> Names, EquatableArray<RuleValue> Values);

    /// <summary>
    /// <c>if</c>/<c>then</c>/<c>else</c> on an object: when every If test holds, every Then test must hold, otherwise
    /// every Else test. Condition is the If part in words, for messages.
    /// </summary>
    internal sealed record ConditionalRule(string SchemaPointer, EquatableArray<RuleTest> If, EquatableArray<RuleTest> Then, EquatableArray<RuleTest> Else, string Condition);

    internal sealed record EnumModel(string Name, string? Description, EquatableArray<EnumMember> Members);

    internal sealed record EnumMember(string JsonValue, string MemberName);

    /// <summary>A JSON Pointer prefix and the roles that may change what lies under it.</summary>
    internal sealed record OwnershipRule(string Pointer, EquatableArray<string> Owners);

    /// <summary>A section a role writes through its view: the chain of members from the root to it.</summary>
    internal sealed record SectionModel(string Pointer, EquatableArray<PathStep> Steps, TypeRef Type, EquatableArray<string> Owners);

    /// <summary>A settable path for the CLI: short dotted path, pointer, the member chain and the value type.</summary>
    internal sealed record FieldModel(string Path, string Pointer, EquatableArray<PathStep> Steps, TypeRef Type, EquatableArray<string> Owners);

    internal sealed record PathStep(string MemberName, string JsonName, string TypeName, bool IsOptional, bool IsConstructible);

    internal sealed record RoleModel(string JsonName, string MemberName);

    internal sealed record SchemaModel(
        string FilePath,
        string Namespace,
        string RootTypeName,
        EquatableArray<ObjectModel> Objects,
        EquatableArray<EnumModel> Enums,
        EquatableArray<RoleModel> Roles,
        string? Superuser,
        EquatableArray<OwnershipRule> Ownership,
        EquatableArray<SectionModel> Sections,
        EquatableArray<FieldModel> Fields,
        int SchemaVersion,
        string UpgradesJson,
        EquatableArray<DiagnosticInfo> Diagnostics)
    {
        public bool HasErrors
        {
            get
            {
                foreach (var d in Diagnostics)
                {
                    if (d.IsError) return true;
                }
                return false;
            }
        }
    }

    /// <summary>A diagnostic as data: the descriptor's ID, its message arguments and a position in the schema file.</summary>
    internal sealed record DiagnosticInfo(string Id, bool IsError, EquatableArray<string> Arguments, string FilePath, int Start, int Length, int Line, int Column, int EndLine, int EndColumn);
}
