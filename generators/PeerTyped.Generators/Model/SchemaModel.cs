namespace PeerTyped.Generators.Model
{
    // Everything the emitter needs, as plain equatable data: no Roslyn symbols, no parsed JSON trees.

    internal enum ValueKind { String, Integer, Number, Boolean, DateTime, Enum, Object, Array, RawObject }

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
        string? Pattern);

    internal sealed record PropertyModel(
        string JsonName,
        string MemberName,
        TypeRef Type,
        bool IsRequired,
        string? Description);

    internal sealed record ObjectModel(
        string Name,
        string? Description,
        EquatableArray<PropertyModel> Properties,
        bool AllowsExtraProperties);

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
