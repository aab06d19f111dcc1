#if SCHEMA_CHECK
extern alias JsonEverything;
#endif

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
#if SCHEMA_CHECK
using JsonEverything::Json.Schema;
#endif
using PeerTyped.Cli.Console;
using PeerTyped.Client;
using PeerTyped.Contracts;
using PeerTyped.Runtime;

namespace PeerTyped.Cli.Commands;

/// <summary>
/// The operator's side of a schema change: <c>schema check NEW.json</c> (would the stored documents be valid under the
/// new schema, after its declared upgrades?) and <c>migrate --to N</c> (store every document as version N).
/// </summary>
internal sealed partial class CommandFactory
{
    private static Option<string?> PrefixOption(string what) => new("--prefix") { Description = $"Only keys under this prefix (e.g. peer.spec.my-feature, or peer.spec); default: every cycle key in the bucket. {what}" };


    private Command SchemaCheck()
    {
        var newPath = new Argument<string>("new") { Description = "The new schema (e.g. schemas/peer-cycle.schema.json after your change)" };
        var prefix = PrefixOption("Counter keys (.cycle.current) are not documents and are skipped.");
        return Define("check", "Read the latest revision of every key and report whether it is valid under NEW.json after NEW.json's declared upgrades (JsonSchema.Net, formats checked); exit 0 only when all are", invocation =>
#if SCHEMA_CHECK
            CheckSchemaAsync(invocation, invocation.Get(newPath)!, invocation.Get(prefix)),
#else
            SchemaCheckProcess.RunAsync(invocation),
#endif
            newPath, prefix);
    }

#if SCHEMA_CHECK
    /// <summary>One stored document judged against a schema that is not this build's: the key, its revision and what is wrong.</summary>
    private sealed record CheckedKey(string Key, ulong Revision, int? Version, IReadOnlyList<Violation> Violations);

    private static async Task<int> CheckSchemaAsync(Invocation invocation, string path, string? prefix)
    {
        var (_, text) = await ReadSchemaAsync(path, invocation.CancellationToken).ConfigureAwait(false);
        var (newVersion, upgrades, schema) = LoadNewSchema(path, text);
        var evaluation = new EvaluationOptions { OutputFormat = OutputFormat.Hierarchical, RequireFormatValidation = true };
        var results = new List<CheckedKey>();
        await using var store = await invocation.OpenStoreAsync().ConfigureAwait(false);
        await foreach (var key in store.CycleKeysAsync(prefix, invocation.CancellationToken).ConfigureAwait(false))
        {
            PeerRawEntry entry;
            try
            {
                entry = await store.ReadRawAsync(key, 0, invocation.CancellationToken).ConfigureAwait(false);
            }
            catch (PeerNotFoundException)
            {
                continue; // deleted between the listing and the read
            }
            results.Add(CheckOne(entry, newVersion, upgrades, schema, evaluation));
        }
        var invalid = results.Where(r => r.Violations.Count > 0).ToList();
        if (invocation.JsonOutput)
        {
            invocation.Terminal.Data(Json.Object(w =>
            {
                w.WriteNumber("schema_version", newVersion);
                w.WriteNumber("keys", results.Count);
                w.WriteNumber("valid", results.Count - invalid.Count);
                w.WriteNumber("invalid", invalid.Count);
                w.WriteStartArray("invalid_keys");
                foreach (var result in invalid)
                {
                    w.WriteStartObject();
                    w.WriteString("key", result.Key);
                    w.WriteNumber("revision", result.Revision);
                    if (result.Version is { } version) w.WriteNumber("schema_version", version);
                    else w.WriteNull("schema_version");
                    w.WriteStartArray("violations");
                    foreach (var violation in result.Violations)
                    {
                        w.WriteStartObject();
                        w.WriteString("pointer", violation.Pointer);
                        w.WriteString("message", violation.Message);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }, indented: true));
        }
        else
        {
            foreach (var result in invalid)
            {
                foreach (var violation in result.Violations)
                {
                    invocation.Terminal.Data($"{result.Key}: revision {result.Revision}: {(violation.Pointer.Length == 0 ? "(document)" : violation.Pointer)}: {violation.Message}");
                }
            }
            invocation.Terminal.Data($"{results.Count} keys: {results.Count - invalid.Count} valid, {invalid.Count} invalid");
        }
        if (invalid.Count == 0) return 0;
        invocation.Terminal.Error($"{invalid.Count} of {results.Count} keys would not be valid under {path} (schema version {newVersion}); first: {invalid[0].Key}: {invalid[0].Violations[0]}");
        return PeerExitCodes.Invalid;
    }

    /// <summary>NEW.json's version, its declared upgrades (run by the same interpreter the generated code uses) and the schema itself.</summary>
    private static (int Version, SchemaUpgrades Upgrades, JsonSchema Schema) LoadNewSchema(string path, string text)
    {
        try
        {
            var root = JsonNode.Parse(text)!.AsObject();
            var version = root["x-peer-schema-version"] is { } declared ? declared.GetValue<int>() : 1;
            var upgrades = SchemaUpgrades.Parse(version, root["x-peer-upgrades"]?.ToJsonString() ?? string.Empty);
            return (version, upgrades, JsonSchema.FromText(text));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or ArgumentException or NullReferenceException)
        {
            throw new PeerValidationException(path, [new Violation(string.Empty, "schema", $"not a usable schema: {ex.Message}")]);
        }
    }

    private static CheckedKey CheckOne(PeerRawEntry entry, int newVersion, SchemaUpgrades upgrades, JsonSchema schema, EvaluationOptions evaluation)
    {
        CheckedKey Invalid(int? version, string message) => new(entry.Key, entry.Revision, version, [new Violation(string.Empty, "document", message)]);
        if (entry.Value.IsEmpty) return Invalid(null, "the stored value is empty");
        var version = SchemaUpgrades.VersionOf(entry.Value.Span);
        var document = entry.Value;
        if (version > newVersion) return Invalid(version, $"written by schema version {version}, newer than the checked schema's version {newVersion}");
        if (version < newVersion)
        {
            if (!upgrades.CanRead(version.Value)) return Invalid(version, $"written by schema version {version}, and the checked schema declares no chain of upgrades from it");
            try
            {
                document = upgrades.Upgrade(entry.Value.Span, version.Value);
            }
            catch (JsonException ex)
            {
                return Invalid(version, "malformed JSON: " + ex.Message);
            }
        }
        JsonDocument parsed;
        try
        {
            parsed = JsonDocument.Parse(document, new JsonDocumentOptions { MaxDepth = JsonText.ReaderOptions.MaxDepth });
        }
        catch (JsonException ex)
        {
            return Invalid(version, $"malformed JSON at byte {ex.BytePositionInLine} of line {ex.LineNumber + 1}");
        }
        using (parsed)
        {
            var results = schema.Evaluate(parsed.RootElement, evaluation);
            if (results.IsValid) return new CheckedKey(entry.Key, entry.Revision, version, []);
            var violations = new List<Violation>();
            CollectFailures(results, violations);
            if (violations.Count == 0) violations.Add(new Violation(string.Empty, "schema", "not valid under the checked schema"));
            return new CheckedKey(entry.Key, entry.Revision, version, violations);
        }
    }

    /// <summary>
    /// The errors that make the document invalid, walking the hierarchical output through invalid nodes only. An
    /// <c>if</c> that does not match fails without making anything invalid (it only chooses then/else), so its subtree
    /// is not a reason.
    /// </summary>
    private static void CollectFailures(EvaluationResults node, List<Violation> violations)
    {
        if (node.IsValid) return;
        foreach (var (keyword, message) in node.Errors ?? new Dictionary<string, string>())
        {
            var violation = new Violation(node.InstanceLocation.ToString(), keyword, message);
            if (!violations.Contains(violation)) violations.Add(violation);
        }
        foreach (var child in node.Details ?? [])
        {
            if (child.EvaluationPath.ToString().EndsWith("/if", StringComparison.Ordinal)) continue;
            CollectFailures(child, violations);
        }
    }

#endif

    private Command Migrate()
    {
        var to = new Option<int>("--to") { Description = "The schema version to store every document as: the version this peer-typed writes (`peer-typed --version`)", Required = true };
        var prefix = PrefixOption("Counter keys are skipped.");
        var dryRun = new Option<bool>("--dry-run") { Description = "Write nothing: print what would be migrated" };
        return Define("migrate", "Store every document of an older schema version as the current one, key by key, by compare-and-set as the operator (through the gate when one is used); re-run after an interruption to finish: keys already at the version are skipped. Old revisions stay in the history", async invocation =>
        {
            var target = invocation.Get(to);
            if (target != PeerDocumentVersions.Current)
            {
                throw new PeerUsageException($"this peer-typed writes schema version {PeerDocumentVersions.Current} (reads {string.Join(", ", PeerDocumentVersions.Readable)}); "
                    + $"migrating to version {target} needs the peer-typed that writes version {target}");
            }
            if (RoleOrNull(invocation) is { } role && role != PeerCycle.Superuser)
            {
                throw new PeerOwnershipException("migrate", role, [new OwnershipViolation("(migrate)", [PeerCycle.Superuser ?? "(none)"])]);
            }
            var dry = invocation.Get(dryRun);
            var progress = !System.Console.IsErrorRedirected && invocation.Terminal.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Information);
            await using var store = await invocation.OpenStoreAsync().ConfigureAwait(false);
            var keys = new List<string>();
            await foreach (var key in store.CycleKeysAsync(invocation.Get(prefix), invocation.CancellationToken).ConfigureAwait(false)) keys.Add(key);
            var outcomes = new List<(string Key, string Action, int? From, ulong Revision, string? Problem)>();
            int? firstFailure = null;
            for (var i = 0; i < keys.Count; i++)
            {
                var key = keys[i];
                var (action, from, revision, problem, code) = await MigrateOneAsync(store, key, target, dry, invocation.CancellationToken).ConfigureAwait(false);
                if (action == "failed")
                {
                    firstFailure ??= code;
                    invocation.Terminal.Error(problem!);
                }
                else if (dry && action == "would-migrate")
                {
                    if (!invocation.JsonOutput) invocation.Terminal.Data($"would migrate {key}: revision {revision}, schema version {from} -> {target}");
                }
                if (progress) invocation.Terminal.Info($"[{i + 1}/{keys.Count}] {key}: {action}{(from is { } v && action != "already" ? $" (schema version {v})" : string.Empty)}");
                outcomes.Add((key, action, from, revision, problem));
            }
            var migrated = outcomes.Count(o => o.Action is "migrated" or "would-migrate");
            var already = outcomes.Count(o => o.Action == "already");
            var failed = outcomes.Count(o => o.Action == "failed");
            if (invocation.JsonOutput)
            {
                invocation.Terminal.Data(Json.Object(w =>
                {
                    w.WriteNumber("to", target);
                    w.WriteBoolean("dry_run", dry);
                    w.WriteNumber(dry ? "would_migrate" : "migrated", migrated);
                    w.WriteNumber("already", already);
                    w.WriteNumber("failed", failed);
                    w.WriteStartArray("keys");
                    foreach (var outcome in outcomes)
                    {
                        w.WriteStartObject();
                        w.WriteString("key", outcome.Key);
                        w.WriteString("action", outcome.Action);
                        if (outcome.From is { } version) w.WriteNumber("from_version", version);
                        else w.WriteNull("from_version");
                        w.WriteNumber("revision", outcome.Revision);
                        if (outcome.Problem is { } problem) w.WriteString("problem", problem);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }, indented: true));
            }
            else
            {
                invocation.Terminal.Data($"{(dry ? "would migrate" : "migrated")} {migrated}, already at {target}: {already}, failed {failed}");
            }
            return firstFailure ?? 0;
        }, to, prefix, dryRun);
    }

    /// <summary>
    /// One key: already at the version (nothing to do), newer (a failure: this build cannot know it is valid),
    /// or older — checked after its upgrade, then (unless dry) written by compare-and-set. Every failure is caught
    /// here so the run goes on to the next key; the revision is the one written, or the one read.
    /// </summary>
    private static async Task<(string Action, int? From, ulong Revision, string? Problem, int Code)> MigrateOneAsync(PeerStateStore store, string key, int target, bool dry, CancellationToken cancellationToken)
    {
        int? from = null;
        ulong revision = 0;
        try
        {
            var entry = await store.ReadRawAsync(key, 0, cancellationToken).ConfigureAwait(false);
            revision = entry.Revision;
            from = PeerDocumentVersions.VersionOf(entry.Value.Span);
            if (from == target) return ("already", from, revision, null, 0);
            // ToCurrent throws for a newer version (exit 8); the check says what an older one lacks after its upgrade.
            var validation = PeerDocumentVersions.Validate(key, entry.Value);
            if (!validation.IsValid)
            {
                throw new PeerValidationException(key, validation.Violations, $"revision {revision} is not schema-valid after its upgrade to version {target}, so it is not migrated (`peer-typed doctor {key}`)");
            }
            if (dry) return ("would-migrate", from, revision, null, 0);
            var result = await store.MigrateAsync(key, cancellationToken).ConfigureAwait(false);
            return (result.Changed ? "migrated" : "already", from, result.Revision, null, 0);
        }
        catch (PeerStateException ex)
        {
            var problem = ex.Details.Count == 0 ? ex.Message : $"{ex.Message}: {string.Join("; ", ex.Details)}";
            return ("failed", from, revision, problem, PeerExitCodes.For(ex.Kind));
        }
    }
}
