using System.CommandLine;
using PeerTyped.Client;
using PeerTyped.Generators.Compatibility;
using PeerTyped.Generators.Parsing;

namespace PeerTyped.Cli.Commands;

internal sealed partial class CommandFactory
{
    private Command Schema() => new("schema", "Schema evolution: compare two versions of the PEER schema, check stored documents against a new one") { Subcommands = { SchemaDiff(), SchemaCheck() } };

    private Command SchemaDiff()
    {
        var oldPath = new Argument<string>("old") { Description = "The older schema (e.g. schemas/shipped/peer-cycle.v1.schema.json)" };
        var newPath = new Argument<string>("new") { Description = "The newer schema (e.g. schemas/peer-cycle.schema.json)" };
        return Define("diff", "Classify every change between two schemas as the build-time check does: breaking (stored documents may become invalid), unsafe for readers one version behind, or safe", async invocation =>
        {
            var (oldRoot, _) = await ReadSchemaAsync(invocation.Get(oldPath)!, invocation.CancellationToken).ConfigureAwait(false);
            var (newRoot, newText) = await ReadSchemaAsync(invocation.Get(newPath)!, invocation.CancellationToken).ConfigureAwait(false);
            var oldVersion = SchemaCompatibility.VersionOf(oldRoot);
            var newVersion = SchemaCompatibility.VersionOf(newRoot);
            var upgrade = newVersion > oldVersion ? SchemaCompatibility.UpgradeFrom(newRoot, oldVersion) : null;
            var changes = SchemaCompatibility.Compare(oldRoot, newRoot, newText, upgrade);
            if (invocation.JsonOutput)
            {
                invocation.Terminal.Data(Console.Json.Object(w =>
                {
                    w.WriteNumber("old_version", oldVersion);
                    w.WriteNumber("new_version", newVersion);
                    w.WriteBoolean("upgrade_declared", upgrade is not null);
                    w.WriteStartArray("changes");
                    foreach (var change in changes)
                    {
                        w.WriteStartObject();
                        w.WriteString("class", ClassName(change.Class));
                        if (change.Class != ChangeClass.Safe) w.WriteString("id", change.Id);
                        w.WriteString("schema_pointer", change.Pointer);
                        w.WriteString("document_path", change.DocumentPath);
                        w.WriteString("message", change.Message);
                        w.WriteBoolean("covered_by_upgrade", change.CoveredByUpgrade);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }, indented: true));
                return 0;
            }
            foreach (var change in changes)
            {
                invocation.Terminal.Data($"{ClassName(change.Class)}{(change.Class == ChangeClass.Safe ? string.Empty : " " + change.Id)} {change.Pointer}: {change.Message}{(change.CoveredByUpgrade ? " (covered by the declared upgrade)" : string.Empty)}");
            }
            invocation.Terminal.Data($"version {oldVersion} -> {newVersion}{(newVersion > oldVersion ? upgrade is null ? ", no upgrade declared" : ", upgrade declared" : string.Empty)}; "
                + $"{changes.Count} changes: {changes.Count(c => c.Class == ChangeClass.Breaking)} breaking, {changes.Count(c => c.Class == ChangeClass.UnsafeForOlderReaders)} unsafe for older readers, {changes.Count(c => c.Class == ChangeClass.Safe)} safe");
            return 0;
        }, oldPath, newPath);
    }

    private static string ClassName(ChangeClass kind) => kind switch
    {
        ChangeClass.Breaking => "breaking",
        ChangeClass.UnsafeForOlderReaders => "unsafe-for-older-readers",
        _ => "safe",
    };

    private static async Task<(SchemaJson Root, string Text)> ReadSchemaAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path)) throw new PeerUsageException($"{path}: no such file");
        var text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        var root = SchemaJson.Parse(text, out var offset, out var error);
        if (root is null || root.Kind != JsonKind.Object)
        {
            throw new PeerValidationException(path, [new Runtime.Violation(string.Empty, "json", error is null ? "a schema is a JSON object" : $"malformed JSON at offset {offset}: {error}")]);
        }
        return (root, text);
    }
}
