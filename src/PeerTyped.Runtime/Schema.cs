namespace PeerTyped.Runtime;

/// <summary>A settable path of a generated document type: what the CLI's <c>set</c> and <c>paths</c> are built on.</summary>
/// <param name="Path">Short dotted path (<c>plan.status</c>).</param>
/// <param name="Pointer">Where it lives in the document (<c>/phases/plan/status</c>).</param>
/// <param name="Type">string, integer, number, boolean, date-time, enum, array of T, object.</param>
/// <param name="AllowedValues">The enum's values in their JSON spelling; empty for other types.</param>
/// <param name="Owners">The roles that may change it (<c>*</c> for every role).</param>
/// <param name="Setter">Sets the value from its command-line text; throws <see cref="FormatException"/> naming what was expected.</param>
public sealed record FieldInfo<TDocument>(string Path, string Pointer, string Type, IReadOnlyList<string> AllowedValues, IReadOnlyList<string> Owners, Func<TDocument, string, TDocument> Setter)
{
    public TDocument Set(TDocument document, string value) => Setter(document, value);
}

/// <summary>A role's write access to a document: generated per role with With* methods only for what the role owns.</summary>
public interface IRoleView<TSelf, TDocument> where TSelf : IRoleView<TSelf, TDocument>
{
    /// <summary>The role's name as the schema spells it.</summary>
    static abstract string RoleName { get; }

    /// <summary>A view over <paramref name="document"/>.</summary>
    static abstract TSelf Over(TDocument document);

    /// <summary>The document with the changes made through this view.</summary>
    TDocument Document { get; }
}

/// <summary>A document type generated from a schema: parse, write, validate, and say who owns which part.</summary>
public interface ISchemaDocument<TSelf> where TSelf : ISchemaDocument<TSelf>
{
    /// <summary>Validates raw UTF-8 JSON against the schema, reporting every violation.</summary>
    static abstract ValidationResult Validate(ReadOnlySpan<byte> utf8Json);

    /// <summary>Reads a document; throws <see cref="System.Text.Json.JsonException"/> when it does not fit the schema's shape.</summary>
    static abstract TSelf Parse(ReadOnlySpan<byte> utf8Json);

    /// <summary>The roles that may change the value at <paramref name="pointer"/>.</summary>
    static abstract IReadOnlyList<string> OwnersOf(string pointer);

    /// <summary>The role that may write anything (human recovery), if the schema names one.</summary>
    static abstract string? Superuser { get; }

    /// <summary>Every role the schema declares.</summary>
    static abstract IReadOnlyList<string> Roles { get; }

    /// <summary>Writes the document as UTF-8 JSON.</summary>
    byte[] ToUtf8Bytes(bool indented = false);
}

/// <summary>
/// Put by the generator on a role view, once per section the role does not own: the With method the view lacks, the
/// section's path and its owners. The PTA003 analyzer reads it to say who owns a section where the compiler would only
/// report that the method does not exist (CS1061).
/// </summary>
[AttributeUsage(AttributeTargets.Struct | AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class NotOwnedSectionAttribute(string method, string path, string owners, string role) : Attribute
{
    /// <summary>The With method an owner's view has (<c>WithExecute</c>).</summary>
    public string Method { get; } = method;

    /// <summary>The section as a dotted path (<c>phases.execute</c>).</summary>
    public string Path { get; } = path;

    /// <summary>The roles that own it, comma-separated (<c>executor</c>).</summary>
    public string Owners { get; } = owners;

    /// <summary>The role whose view this is (<c>planner</c>).</summary>
    public string Role { get; } = role;
}
