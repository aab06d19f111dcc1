using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using PeerTyped.Cli.Console;
using PeerTyped.Client;
using PeerTyped.Contracts;
using PeerTyped.Runtime;

namespace PeerTyped.Cli.Commands;

internal sealed partial class CommandFactory
{
    /// <summary>One revision as an operator sees it.</summary>
    /// <summary>
    /// One revision as an operator sees it. <see cref="SchemaVersion"/> is the version that wrote it; a revision of a
    /// newer version than this build knows is <see cref="Newer"/>, never "invalid" (older ones are validated after their upgrade).
    /// </summary>
    private sealed record RevisionReport(PeerRawEntry Entry, bool JsonValid, ValidationResult Validation, IReadOnlyList<string> ChangedSections, string? JsonError, int? SchemaVersion, bool Newer)
    {
        public string SchemaText => Newer ? $"v{SchemaVersion} (newer)" : Validation.IsValid ? "valid" : "INVALID";
    }

    private static async Task<List<RevisionReport>> HistoryReportsAsync(PeerStateStore store, string key, CancellationToken cancellationToken)
    {
        var entries = new List<PeerRawEntry>();
        await foreach (var entry in store.HistoryAsync(key, cancellationToken).ConfigureAwait(false)) entries.Add(entry);
        return Analyze(entries);
    }

    private static List<RevisionReport> Analyze(IReadOnlyList<PeerRawEntry> entries)
    {
        var reports = new List<RevisionReport>();
        ReadOnlyMemory<byte>? previous = null;
        foreach (var entry in entries)
        {
            var version = entry.Operation == PeerOperation.Put ? PeerDocumentVersions.VersionOf(entry.Value.Span) : null;
            var newer = version > PeerDocumentVersions.Current;
            var validation = entry.Operation != PeerOperation.Put ? ValidationResult.Of([new Violation(string.Empty, "operation", entry.Operation.ToString().ToLowerInvariant())])
                : newer ? ValidationResult.Valid
                : PeerDocumentVersions.Validate(entry.Key, entry.Value);
            var jsonError = JsonError(entry.Value);
            IReadOnlyList<string> sections = [];
            if (jsonError is null && entry.Operation == PeerOperation.Put)
            {
                sections = previous is { } before
                    ? JsonChanges.Between(before, entry.Value).Select(c => Section(c.Pointer)).Distinct().ToList()
                    : ["(created)"];
                previous = entry.Value;
            }
            reports.Add(new RevisionReport(entry, jsonError is null && entry.Operation == PeerOperation.Put, validation, sections, jsonError, version, newer));
        }
        return reports;
    }

    private static string? JsonError(ReadOnlyMemory<byte> value)
    {
        if (value.IsEmpty) return "empty value";
        try
        {
            using var _ = JsonDocument.Parse(value);
            return null;
        }
        catch (JsonException ex)
        {
            return $"malformed JSON at byte {ex.BytePositionInLine} of line {ex.LineNumber + 1}";
        }
    }

    /// <summary>phases.plan for /phases/plan/..., metadata for /metadata/..., (document) for the root.</summary>
    private static string Section(string pointer)
    {
        var tokens = pointer.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0) return "(document)";
        return tokens[0] == "phases" && tokens.Length > 1 ? "phases." + tokens[1] : tokens[0];
    }

    private Command History()
    {
        return DefineForKey("history", "Every revision still in the bucket: time, operation, size, JSON and schema validity, sections changed", async (invocation, resolved, store) =>
        {
            var reports = await HistoryReportsAsync(store, resolved, invocation.CancellationToken).ConfigureAwait(false);
            if (invocation.JsonOutput)
            {
                PrintHistoryJson(invocation, reports);
                return 0;
            }
            invocation.Terminal.Data(Table.Render(["REVISION", "CREATED", "OP", "SIZE", "VERSION", "JSON", "SCHEMA", "CHANGED"], reports.Select(r => new[]
            {
                r.Entry.Revision.ToString(CultureInfo.InvariantCulture),
                Timestamp.Format(new DateTimeOffset(r.Entry.Created.UtcTicks - r.Entry.Created.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero)),
                r.Entry.Operation.ToString().ToLowerInvariant(),
                r.Entry.Value.Length.ToString(CultureInfo.InvariantCulture),
                r.SchemaVersion is { } v ? v.ToString(CultureInfo.InvariantCulture) : "-",
                r.JsonValid ? "valid" : "INVALID",
                r.SchemaText,
                r.ChangedSections.Count == 0 ? "-" : string.Join(",", r.ChangedSections),
            }).ToList()));
            return 0;
        });
    }

    private static void PrintHistoryJson(Invocation invocation, IReadOnlyList<RevisionReport> reports) =>
        invocation.Terminal.Data(Json.Array(reports, (w, r) =>
        {
            w.WriteNumber("revision", r.Entry.Revision);
            w.WriteString("created", Timestamp.Format(r.Entry.Created));
            w.WriteString("operation", r.Entry.Operation.ToString().ToLowerInvariant());
            w.WriteNumber("size", r.Entry.Value.Length);
            w.WriteBoolean("json_valid", r.JsonValid);
            if (r.SchemaVersion is { } version) w.WriteNumber("schema_version", version);
            else w.WriteNull("schema_version");
            w.WriteBoolean("newer_schema_version", r.Newer);
            // Whether a newer version's document is valid is for a build that knows that version to say.
            if (r.Newer) w.WriteNull("schema_valid");
            else w.WriteBoolean("schema_valid", r.Validation.IsValid);
            w.WriteStartArray("changed");
            foreach (var section in r.ChangedSections) w.WriteStringValue(section);
            w.WriteEndArray();
        }));

    private Command Diff()
    {
        var key = KeyArgument();
        var from = new Argument<ulong>("from") { Description = "The older revision" };
        var to = new Argument<ulong?>("to") { Description = "The newer revision (default: the latest)", Arity = ArgumentArity.ZeroOrOne };
        return Define("diff", "What changed between two revisions, as JSON Pointers with old and new values", async invocation =>
        {
            var resolved = ResolveKey(invocation, key, null);
            await using var store = await invocation.OpenStoreAsync().ConfigureAwait(false);
            var before = await store.ReadRawAsync(resolved, invocation.Get(from), invocation.CancellationToken).ConfigureAwait(false);
            var after = await store.ReadRawAsync(resolved, invocation.Get(to) ?? 0, invocation.CancellationToken).ConfigureAwait(false);
            foreach (var side in new[] { before, after })
            {
                if (JsonError(side.Value) is { } problem) throw new PeerValidationException(resolved, [new Violation(string.Empty, "json", $"revision {side.Revision}: {problem}")]);
            }
            var changes = JsonChanges.Between(before.Value, after.Value);
            if (invocation.JsonOutput)
            {
                invocation.Terminal.Data(Json.Array(changes, (w, c) =>
                {
                    w.WriteString("pointer", c.Pointer);
                    w.WriteRaw("old", c.OldJson);
                    w.WriteRaw("new", c.NewJson);
                }));
            }
            else
            {
                foreach (var change in changes) invocation.Terminal.Data(change.ToString());
            }
            return 0;
        }, key, from, to);
    }

    private Command Watch()
    {
        return DefineForKey("watch", "Print the current revision and every later one as JSON lines, until interrupted", async (invocation, resolved, store) =>
        {
            try
            {
                await foreach (var entry in store.WatchAsync(resolved, invocation.CancellationToken).ConfigureAwait(false))
                {
                    invocation.Terminal.Data(Json.Object(w =>
                    {
                        w.WriteString("key", entry.Key);
                        w.WriteNumber("revision", entry.Revision);
                        w.WriteString("operation", entry.Operation.ToString().ToLowerInvariant());
                        w.WriteString("created", Timestamp.Format(entry.Created));
                        var valid = entry.Operation == PeerOperation.Put && JsonError(entry.Value) is null;
                        var newer = valid && PeerDocumentVersions.IsNewer(entry.Value.Span);
                        if (newer) w.WriteNumber("schema_version", PeerDocumentVersions.VersionOf(entry.Value.Span)!.Value);
                        w.WriteBoolean("schema_valid", valid && !newer && PeerDocumentVersions.Validate(entry.Key, entry.Value).IsValid);
                        if (valid) w.WriteRaw("value", System.Text.Encoding.UTF8.GetString(JsonText.Reformat(entry.Value.Span, indented: false)));
                        else w.WriteNull("value");
                    }));
                }
            }
            catch (OperationCanceledException) when (invocation.CancellationToken.IsCancellationRequested)
            {
                return 0;
            }
            return 0;
        });
    }
}
