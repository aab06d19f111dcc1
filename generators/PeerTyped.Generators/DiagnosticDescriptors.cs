using Microsoft.CodeAnalysis;

namespace PeerTyped.Generators
{
    /// <summary>Every diagnostic the schema generator reports. IDs are stable: tooling and docs refer to them.</summary>
    internal static class DiagnosticDescriptors
    {
        private const string Category = "PeerTyped.Schema";

        public static readonly DiagnosticDescriptor MalformedJson = new(
            "PTG001", "Schema file is not valid JSON",
            "Schema '{0}' is not valid JSON: {1}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor UnsupportedConstruct = new(
            "PTG002", "Unsupported schema keyword or construct",
            "Unsupported schema construct at '{0}': {1}; PeerTyped generates no code for a schema it cannot enforce exactly",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor UnresolvableReference = new(
            "PTG003", "Unresolvable $ref",
            "The $ref '{0}' at '{1}' does not resolve; only local references of the form #/$defs/<name> or #/definitions/<name> are supported",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor SectionWithoutOwner = new(
            "PTG004", "Owned section without an owner",
            "Section '{0}' lies in an object marked x-peer-owned-sections but declares no x-peer-owner",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor NameCollision = new(
            "PTG005", "Generated names collide",
            "'{0}' and '{1}' both become the C# name '{2}'",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor UnknownRole = new(
            "PTG006", "Unknown role",
            "Owner '{0}' at '{1}' is not one of the roles declared in x-peer-roles ({2})",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor InvalidKeywordValue = new(
            "PTG007", "Invalid keyword value",
            "Keyword '{0}' at '{1}' is invalid: {2}",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor DuplicateEnumName = new(
            "PTG008", "Two enums get the same name",
            "The enum at '{0}' gets the C# name '{2}', which the enum at '{1}' already has; give one a different title, or define it once in $defs and $ref it",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor IntegerBoundNotInteger = new(
            "PTG009", "Bound of an integer is not a whole number",
            "'{0}' at '{1}' is {2}, but the value is an integer (a C# long): the bound must be a whole number from -9223372036854775808 to 9223372036854775807",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor RuleDoesNotFitSchema = new(
            "PTG010", "Conditional rule does not fit the schema",
            "The rule at '{0}' {1}",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        // Compatibility with the last shipped schema version (schemas/shipped/<name>.v<N>.schema.json).
        private const string CompatibilityHelp = "; bump x-peer-schema-version and declare the upgrade in x-peer-upgrades (README \"Changing the schema\")";

        public static readonly DiagnosticDescriptor PropertyRemoved = new(
            "PTG011", "Property removed or renamed",
            "At '{0}': {1}" + CompatibilityHelp + " that removes or renames it",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor TypeNarrowed = new(
            "PTG012", "Type narrowed or changed",
            "At '{0}': {1}" + CompatibilityHelp,
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor EnumValueRemoved = new(
            "PTG013", "Enum value removed",
            "At '{0}': {1}" + CompatibilityHelp,
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor RequiredWithoutUpgrade = new(
            "PTG014", "New required property without an upgrade",
            "At '{0}': {1}" + CompatibilityHelp + " with {{\"op\":\"add\"}} for it",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor BoundsTightened = new(
            "PTG015", "Bounds tightened",
            "At '{0}': {1}" + CompatibilityHelp,
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor OwnershipChanged = new(
            "PTG016", "Ownership changed",
            "At '{0}': {1}" + CompatibilityHelp,
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor UnsafeForOlderReaders = new(
            "PTG017", "Change unsafe for readers one version behind",
            "At '{0}': {1}; bump x-peer-schema-version so older readers report the newer version instead of an invalid document",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor BumpWithoutUpgrade = new(
            "PTG018", "Version bumped without an upgrade",
            "x-peer-schema-version is {0} but x-peer-upgrades declares no step from version {1}, the last shipped one",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor VersionNotNext = new(
            "PTG019", "Schema version is neither the shipped one nor the next",
            "x-peer-schema-version is {0}, but the last shipped version is {1}: a schema is the shipped version or the one after it",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static DiagnosticDescriptor? Find(string id) => id switch
        {
            "PTG011" => PropertyRemoved,
            "PTG012" => TypeNarrowed,
            "PTG013" => EnumValueRemoved,
            "PTG014" => RequiredWithoutUpgrade,
            "PTG015" => BoundsTightened,
            "PTG016" => OwnershipChanged,
            "PTG017" => UnsafeForOlderReaders,
            "PTG018" => BumpWithoutUpgrade,
            "PTG019" => VersionNotNext,
            "PTG001" => MalformedJson,
            "PTG002" => UnsupportedConstruct,
            "PTG003" => UnresolvableReference,
            "PTG004" => SectionWithoutOwner,
            "PTG005" => NameCollision,
            "PTG006" => UnknownRole,
            "PTG007" => InvalidKeywordValue,
            "PTG008" => DuplicateEnumName,
            "PTG009" => IntegerBoundNotInteger,
            "PTG010" => RuleDoesNotFitSchema,
            _ => null,
        };
    }
}
