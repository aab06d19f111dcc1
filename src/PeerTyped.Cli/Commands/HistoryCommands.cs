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
            // Any bytes at all may be stored by another tool: each revision ends in a verdict, never an exception.
            var version = entry.Operation == PeerOperation.Put ? PeerDocumentVersions.VersionOf(entry.Value.Span) : null;
            var newer = version > PeerDocumentVersions.Current;
            var validation = entry.Operation != PeerOperation.Put ? ValidationResult.Of([new Violation(string.Empty, "operation", entry.Operation.ToString().ToLowerInvariant())])
                : newer ? ValidationResult.Valid
                : PeerDocumentVersions.Validate(entry.Key, entry.Value);
            var jsonError = JsonError(entry.Value);
            IReadOnlyList<string> sections = [];
            if (jsonError is null && entry.Operation == PeerOperation.Put)
            {
                sections = previous is { } before ? ChangedSections(before, entry.Value) : ["(created)"];
                previous = entry.Value;
            }
            reports.Add(new RevisionReport(entry, jsonError is null && entry.Operation == PeerOperation.Put, validation, sections, jsonError, version, newer));
        }
        return reports;
    }

    private static IReadOnlyList<string> ChangedSections(ReadOnlyMemory<byte> before, ReadOnlyMemory<byte> after)
    {
        try
        {
            return JsonChanges.Between(before, after).Select(c => Section(c.Pointer)).Distinct().ToList();
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            return ["(cannot compare)"];
        }
    }

    private static string? JsonError(ReadOnlyMemory<byte> value)
    {
        if (value.IsEmpty) return "empty value";
        if (!System.Text.Unicode.Utf8.IsValid(value.Span)) return "invalid UTF-8";
        try
        {
            using var _ = JsonDocument.Parse(value, new JsonDocumentOptions { MaxDepth = JsonText.ReaderOptions.MaxDepth });
            return null;
        }
        catch (JsonException ex)
        {
            return $"malformed JSON at byte {ex.BytePositionInLine} of line {ex.LineNumber + 1}";
        }
    }

    private static string? Compact(ReadOnlyMemory<byte> value)
    {
        try
        {
            return System.Text.Encoding.UTF8.GetString(JsonText.Reformat(value.Span, indented: false));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            return null;
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
        var last = new Option<int?>("--last", "-n") { Description = "Only the N most recent revisions (N ≥ 1)" };
        return DefineForKey("history", "Every revision still in the bucket: time, operation, size, JSON and schema validity, sections changed", async (invocation, resolved, store) =>
        {
            var reports = await HistoryReportsAsync(store, resolved, invocation.CancellationToken).ConfigureAwait(false);
            if (invocation.Get(last) is { } count)
            {
                if (count < 1) throw new PeerUsageException($"{resolved}: -n/--last takes a number of revisions ≥ 1, not {count}");
                // Sections changed are computed against the previous revision first, so the first one shown keeps its diff.
                reports = reports.Skip(Math.Max(0, reports.Count - count)).ToList();
            }
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
        }, last);
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
        var keyOption = KeyOption();
        var positional = new Argument<string[]>("revisions") { Description = "[KEY] FROM [TO]: the older revision and the newer one (default: the latest); revisions are bucket-wide numbers, as `peer-typed history KEY` lists them", Arity = new ArgumentArity(1, 3) };
        return Define("diff", "What changed between two revisions, as JSON Pointers with old and new values", async invocation =>
        {
            var tokens = invocation.Get(positional)!.ToList();
            string? positionalKey = null;
            if (tokens.Count > 0 && !tokens[0].All(char.IsAsciiDigit))
            {
                positionalKey = tokens[0];
                tokens.RemoveAt(0);
            }
            if (tokens.Count is 0 or > 2) throw new PeerUsageException("diff needs [KEY] FROM [TO]: one or two revision numbers, as `peer-typed history KEY` lists them");
            var revisions = tokens.Select(t => ulong.TryParse(t, System.Globalization.NumberStyles.None, CultureInfo.InvariantCulture, out var r) && r > 0 ? r
                : throw new PeerUsageException($"'{t}' is not a revision number (a whole number ≥ 1, as `peer-typed history KEY` lists them)")).ToList();
            var resolved = positionalKey ?? ResolveKey(invocation, null, keyOption);
            invocation.Terminal.Key = resolved;
            PeerKey.Parse(resolved);
            await using var store = await invocation.OpenStoreAsync().ConfigureAwait(false);
            var before = await ReadRevisionAsync(store, resolved, revisions[0], invocation.CancellationToken).ConfigureAwait(false);
            var after = await ReadRevisionAsync(store, resolved, revisions.Count > 1 ? revisions[1] : 0, invocation.CancellationToken).ConfigureAwait(false);
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
        }, positional, keyOption);
    }

    /// <summary>A revision of one key; a number that is not one of its revisions is explained, since they are bucket-wide.</summary>
    private static async Task<PeerRawEntry> ReadRevisionAsync(PeerStateStore store, string key, ulong revision, CancellationToken cancellationToken)
    {
        try
        {
            return await store.ReadRawAsync(key, revision, cancellationToken).ConfigureAwait(false);
        }
        catch (PeerNotFoundException ex) when (revision > 0)
        {
            throw new PeerNotFoundException($"{ex.Message}; revision numbers are bucket-wide (every write to any key takes the next one), so a key's revisions are not 1, 2, 3 — `peer-typed history {key}` lists this key's");
        }
    }

    private Command Watch()
    {
        var target = new Argument<string?>("key-or-filter") { Description = "A key, a prefix (peer.spec.my-feature: every key under it), or a filter with * and > (peer.spec.*.cycle.1, peer.spec.x.>; * alone: every key); or --key, or STATE_KEY", Arity = ArgumentArity.ZeroOrOne };
        var keyOption = KeyOption();
        return Define("watch", "Print the current revision of each matching key and every later one as JSON lines, until interrupted", async invocation =>
        {
            var given = invocation.Get(target) ?? invocation.Get(keyOption) ?? Environment.GetEnvironmentVariable("STATE_KEY");
            if (string.IsNullOrEmpty(given)) throw new PeerUsageException("no key given: pass a key, a prefix or a filter as an argument, with --key/-k, or in STATE_KEY");
            var filter = FilterOf(given);
            if (filter == given && !given.Contains('*') && !given.Contains('>')) invocation.Terminal.Key = given;
            await using var store = await invocation.OpenStoreAsync().ConfigureAwait(false);
            try
            {
                await foreach (var entry in store.WatchFilterAsync(filter, invocation.CancellationToken).ConfigureAwait(false))
                {
                    invocation.Terminal.Data(Json.Object(w =>
                    {
                        w.WriteString("key", entry.Key);
                        w.WriteNumber("revision", entry.Revision);
                        w.WriteString("operation", entry.Operation.ToString().ToLowerInvariant());
                        w.WriteString("created", Timestamp.Format(entry.Created));
                        var valid = entry.Operation == PeerOperation.Put && JsonError(entry.Value) is null;
                        // As history reports it: a newer version's document is not invalid, only unknown to this build.
                        var version = valid ? PeerDocumentVersions.VersionOf(entry.Value.Span) : null;
                        var newer = version > PeerDocumentVersions.Current;
                        if (version is { } v) w.WriteNumber("schema_version", v);
                        else w.WriteNull("schema_version");
                        w.WriteBoolean("newer_schema_version", newer);
                        // A cycle counter holds a number, not a document: no schema verdict for it; nor for a newer version's document.
                        if (newer || CycleCounter.IsCounterKey(entry.Key, out _)) w.WriteNull("schema_valid");
                        else w.WriteBoolean("schema_valid", valid && PeerDocumentVersions.Validate(entry.Key, entry.Value).IsValid);
                        if (valid && Compact(entry.Value) is { } compact) w.WriteRaw("value", compact);
                        else w.WriteNull("value");
                    }));
                }
            }
            catch (OperationCanceledException) when (invocation.CancellationToken.IsCancellationRequested)
            {
                return 0;
            }
            return 0;
        }, target, keyOption);
    }
}
