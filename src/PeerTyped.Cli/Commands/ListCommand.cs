using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using PeerTyped.Cli.Console;
using PeerTyped.Client;
using PeerTyped.Runtime;

namespace PeerTyped.Cli.Commands;

internal sealed partial class CommandFactory
{
    /// <summary>One cycle document as `ls` shows it; the fields are read leniently, since any bytes may be stored.</summary>
    private sealed record ListedCycle(PeerRawEntry Entry, string? Status, string? CurrentPhase, string? UpdatedAt, string Validity, bool Valid);

    /// <summary>
    /// PREFIX → a NATS filter: a filter with * or > as given; * or > alone: every key; a cycle key: that key;
    /// anything else: the keys under it (PREFIX.>).
    /// </summary>
    internal static string FilterOf(string? prefix)
    {
        if (string.IsNullOrEmpty(prefix) || prefix is "*" or ">") return ">";
        if (prefix.Contains('*') || prefix.Contains('>')) return PeerStateStore.CheckFilter(prefix);
        if (IsCycleKey(prefix)) return prefix;
        return PeerStateStore.CheckFilter(prefix.TrimEnd('.') + ".>");
    }

    private Command ListCycles()
    {
        var prefix = new Argument<string?>("prefix") { Description = "Which keys: a prefix (peer.spec.my-feature), a key, or a filter with * and > (peer.spec.*.cycle.1); default every key", Arity = ArgumentArity.ZeroOrOne };
        return Define("ls", "List the cycle documents: key, revision, status, current phase, updated, valid (cycle counters left out)", async invocation =>
        {
            var filter = FilterOf(invocation.Get(prefix));
            await using var store = await invocation.OpenStoreAsync().ConfigureAwait(false);
            var cycles = new List<ListedCycle>();
            await foreach (var entry in store.ListAsync(filter, invocation.CancellationToken).ConfigureAwait(false))
            {
                if (CycleCounter.IsCounterKey(entry.Key, out _)) continue;
                cycles.Add(Describe(entry));
            }
            cycles.Sort((a, b) => CompareKeys(a.Entry.Key, b.Entry.Key));
            if (invocation.JsonOutput)
            {
                invocation.Terminal.Data(Json.Array(cycles, (w, c) =>
                {
                    w.WriteString("key", c.Entry.Key);
                    w.WriteNumber("revision", c.Entry.Revision);
                    WriteNullable(w, "status", c.Status);
                    WriteNullable(w, "current_phase", c.CurrentPhase);
                    WriteNullable(w, "updated_at", c.UpdatedAt);
                    w.WriteString("written", Timestamp.Format(c.Entry.Created));
                    w.WriteBoolean("valid", c.Valid);
                    w.WriteString("validity", c.Validity);
                }));
                return 0;
            }
            if (cycles.Count == 0)
            {
                invocation.Terminal.Info($"no cycle documents match {filter} in bucket {store.Options.Bucket}");
                return 0;
            }
            invocation.Terminal.Data(Table.Render(["KEY", "REVISION", "STATUS", "PHASE", "UPDATED", "VALID"], cycles.Select(c => new[]
            {
                c.Entry.Key,
                c.Entry.Revision.ToString(CultureInfo.InvariantCulture),
                c.Status ?? "-",
                c.CurrentPhase ?? "-",
                c.UpdatedAt ?? "-",
                c.Validity,
            }).ToList()));
            return 0;
        }, prefix);
    }

    private static bool IsCycleKey(string text)
    {
        try
        {
            PeerKey.Parse(text);
            return true;
        }
        catch (PeerUsageException)
        {
            return false;
        }
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null) writer.WriteNull(name);
        else writer.WriteString(name, value);
    }

    /// <summary>Keys in natural order: peer.spec.x.cycle.2 before peer.spec.x.cycle.10.</summary>
    private static int CompareKeys(string a, string b)
    {
        var left = a.Split('.');
        var right = b.Split('.');
        for (var i = 0; i < Math.Min(left.Length, right.Length); i++)
        {
            var order = long.TryParse(left[i], NumberStyles.None, CultureInfo.InvariantCulture, out var x) && long.TryParse(right[i], NumberStyles.None, CultureInfo.InvariantCulture, out var y)
                ? x.CompareTo(y)
                : string.CompareOrdinal(left[i], right[i]);
            if (order != 0) return order;
        }
        return left.Length.CompareTo(right.Length);
    }

    private static ListedCycle Describe(PeerRawEntry entry)
    {
        string? status = null, phase = null, updated = null;
        if (JsonError(entry.Value) is null)
        {
            using var document = JsonDocument.Parse(entry.Value, new JsonDocumentOptions { MaxDepth = JsonText.ReaderOptions.MaxDepth });
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object)
            {
                string? Text(string name) => metadata.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
                status = Text("status");
                phase = Text("current_phase");
                updated = Text("updated_at");
            }
        }
        if (PeerDocumentVersions.IsNewer(entry.Value.Span)) return new ListedCycle(entry, status, phase, updated, $"v{PeerDocumentVersions.VersionOf(entry.Value.Span)} (newer)", true);
        var valid = JsonError(entry.Value) is null && PeerDocumentVersions.Validate(entry.Key, entry.Value).IsValid;
        return new ListedCycle(entry, status, phase, updated, valid ? "valid" : "INVALID", valid);
    }
}
