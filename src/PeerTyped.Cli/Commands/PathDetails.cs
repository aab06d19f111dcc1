using PeerTyped.Generators.Parsing;

namespace PeerTyped.Cli.Commands;

/// <summary>What `paths` says about a field beyond its type and owner: bounds, pattern and whether it is required.</summary>
internal sealed record PathDetail(bool Required, string? Minimum, string? Maximum, string? MinLength, string? MaxLength, string? MinItems, string? MaxItems, string? Pattern)
{
    /// <summary>"0..100", "length 1..", "at most 3 items", "pattern ^…$"; empty when unbounded.</summary>
    public string Text
    {
        get
        {
            var parts = new List<string>();
            if (Minimum is not null || Maximum is not null) parts.Add($"{Minimum}..{Maximum}");
            if (MinLength is not null || MaxLength is not null) parts.Add($"length {MinLength}..{MaxLength}");
            if (MinItems is not null || MaxItems is not null) parts.Add($"items {MinItems}..{MaxItems}");
            if (Pattern is not null) parts.Add("pattern " + Pattern);
            return string.Join(", ", parts);
        }
    }
}

/// <summary>
/// Reads the schema the binary was built from (embedded, the generator's own JSON reader) to describe each path:
/// `required` is the parent object's required list (the if/then/else rules that make a member required or forbidden
/// by status are not repeated here; `validate` applies them).
/// </summary>
internal static class PathDetails
{
    private static readonly Lazy<SchemaJson?> Schema = new(Load);

    private static SchemaJson? Load()
    {
        using var stream = typeof(PathDetails).Assembly.GetManifestResourceStream("peer-cycle.schema.json");
        if (stream is null) return null;
        using var reader = new StreamReader(stream);
        return SchemaJson.Parse(reader.ReadToEnd(), out _, out _);
    }

    public static PathDetail? Of(string pointer)
    {
        if (Schema.Value is not { } root) return null;
        var node = root;
        var required = true;
        foreach (var token in pointer.Split('/').Skip(1))
        {
            node = Resolve(root, node);
            var child = node["properties"]?[token];
            if (child is null) return null;
            required = node["required"]?.Items?.Any(item => item.Kind == JsonKind.String && item.Text == token) == true;
            node = child;
        }
        node = Resolve(root, node);
        string? Number(string keyword) => node[keyword] is { Kind: JsonKind.Number } value ? value.Text : null;
        var pattern = node["pattern"]?.Text ?? Resolve(root, node["items"])?["pattern"]?.Text;
        return new PathDetail(required, Number("minimum"), Number("maximum"), Number("minLength"), Number("maxLength"), Number("minItems"), Number("maxItems"), pattern);
    }

    /// <summary>Follows a local $ref (#/$defs/Name), as often as it chains.</summary>
    private static SchemaJson Resolve(SchemaJson root, SchemaJson? node)
    {
        for (var hops = 0; node?["$ref"] is { Kind: JsonKind.String, Text: { } reference } && hops < 16; hops++)
        {
            if (!reference.StartsWith("#/", StringComparison.Ordinal)) break;
            var target = root;
            foreach (var token in reference[2..].Split('/')) target = target?[token];
            if (target is null) break;
            node = target;
        }
        return node ?? root;
    }
}
