using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Json.Schema;

namespace PeerTyped.Contracts.Tests;

/// <summary>
/// Property-based run (CsCheck): random bytes, byte-level damage to real documents and JSON-level mutations with edge
/// values go through the generated validator, the generated reader and JsonSchema.Net. Never a crash; the same verdict
/// as JsonSchema.Net except where the validator is stricter on purpose (each such rule is listed in
/// <see cref="StricterOnPurpose"/>); a document the validator accepts is one the reader reads and writes back valid.
/// CI runs <see cref="DefaultIterations"/> cases; set PEER_PROPERTY_ITERATIONS (e.g. 100000) for a long run:
/// <c>PEER_PROPERTY_ITERATIONS=100000 dotnet test tests/PeerTyped.Contracts.Tests --filter FullyQualifiedName~PropertyTests</c>.
/// </summary>
public class PropertyTests
{
    private const int DefaultIterations = 3000;

    // Its own registry: DifferentialTests registers the same schema id in the global one.
    private static readonly JsonSchema Reference = JsonSchema.FromText(Documents.SchemaText(), new BuildOptions { SchemaRegistry = new SchemaRegistry() });
    private static readonly EvaluationOptions Options = new() { RequireFormatValidation = true, OutputFormat = OutputFormat.Flag };

    private static long Iterations => long.TryParse(Environment.GetEnvironmentVariable("PEER_PROPERTY_ITERATIONS"), out var n) && n > 0 ? n : DefaultIterations;

    /// <summary>
    /// Rules where the generated validator refuses what JSON Schema alone allows, because a stored document must mean one
    /// thing to every reader: repeated member names, unpaired surrogate escapes, numbers the generated types cannot hold,
    /// nesting deeper than the reader's bound, a date-time with a space where RFC 3339's grammar has "T" (JsonSchema.Net
    /// allows the space RFC 3339's prose mentions). A divergence is accepted only when one of these is the reason given.
    /// </summary>
    private static readonly System.Text.RegularExpressions.Regex[] StricterOnPurpose =
    [
        new("appears twice"), new("surrogate"), new("64-bit integer"), new("cannot be stored exactly"), new("depth"),
        new(@"""\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[^""]*"" is not an RFC 3339 date-time"),
    ];

    private static readonly byte[][] Bases = [Documents.Large(), Encoding.UTF8.GetBytes(Documents.Minimal()), Encoding.UTF8.GetBytes(Documents.Minimal("peer.global.cycle.7"))];

    /// <summary>Edge values as raw JSON text, so that escapes and numbers reach the validator exactly as written.</summary>
    private static readonly string[] EdgeValues =
    [
        "0", "-1", "100", "101", "1.0", "1.5", "-0", "1e2", "1E400", "1e300", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "123456789012345678901234567890",
        "0.1", "null", "true", "false", "[]", "{}", "\"\"",
        "\"x\"", "\"\\ud800\"", "\"\\udc00x\"", "\"\\\\ud800\"", "\"\\ud83d\\ude00\"", "\"\\u0000\"", "\"\\\"\"", "\"é\"", "\"COMPLETED\"", "\"completed\"",
        "\"plan\"", "\"2025-08-06T09:12:44Z\"", "\"2025-08-06T09:12:44.123456789Z\"", "\"2016-12-31T23:59:60Z\"", "\"2025-02-30T00:00:00Z\"",
        "\"2025-08-06 09:12:44Z\"", "\"2025-08-06T09:12:44+25:00\"", "[\"a\",\"b\",\"c\"]", "[\"a\",\"b\",\"c\",\"d\"]", "[1]",
        "{\"nested\":[1,\"two\",null]}", new string('[', 70) + new string(']', 70), new string('[', 300) + new string(']', 300),
        "\"" + new string('y', 5000) + "\"",
    ];

    [Fact]
    public void Random_and_mutated_input_never_crashes_and_agrees_with_JsonSchemaNet()
    {
        var inputs = Gen.Frequency(
            (1, Gen.Byte.Array[0, 600]),
            (3, Gen.Select(Gen.Int[0, Bases.Length - 1], Gen.Int, (b, seed) => DamageBytes(Bases[b], seed))),
            (6, Gen.Select(Gen.Int[0, Bases.Length - 1], Gen.Int, (b, seed) => MutateJson(Bases[b], seed))));
        inputs.Sample(CheckOne, iter: Iterations, print: bytes => Encoding.UTF8.GetString(bytes));
    }

    /// <summary>Every valid base document stays valid through the property's checks (the run is not vacuous).</summary>
    [Fact]
    public void The_base_documents_are_valid_and_both_verdicts_occur_in_the_mutations()
    {
        foreach (var document in Bases) Assert.True(PeerCycle.Validate(document).IsValid);
        var verdicts = Enumerable.Range(0, 400).Select(seed => PeerCycle.Validate(MutateJson(Bases[seed % Bases.Length], seed)).IsValid).ToList();
        Assert.Contains(true, verdicts);
        Assert.Contains(false, verdicts);
    }

    /// <summary>
    /// The typed diff (generated <c>DiffJson</c>, which decides ownership for every write) finds exactly the changes the
    /// JSON diff finds (System.Text.Json's <see cref="JsonElement.DeepEquals"/> at the leaves), on pairs of valid
    /// documents that differ by edits that keep them valid: other strings, numbers spelled differently or changed, the
    /// same instant at another offset, items and members removed or added, free-form values rewritten.
    /// </summary>
    [Fact]
    public void The_typed_diff_finds_exactly_the_changes_the_JSON_diff_finds()
    {
        var compared = 0;
        var withChanges = 0;
        Gen.Select(Gen.Int[0, Bases.Length - 1], Gen.Int, Gen.Int, (b, first, second) => (b, first, second)).Sample(pair =>
        {
            var before = Nudge(Bases[pair.b], pair.first);
            var after = Nudge(before, pair.second);
            if (!PeerCycle.Validate(before).IsValid || !PeerCycle.Validate(after).IsValid) return;
            compared++;
            if (!before.AsSpan().SequenceEqual(after)) withChanges++;
            // Both ways: an edit removes members and items, so the reverse diff is the one that sees them added.
            AssertSameChanges(before, after);
            AssertSameChanges(after, before);
        }, iter: Iterations, print: pair => $"base {pair.b}, seeds {pair.first} and {pair.second}");
        Assert.True(compared > Iterations / 4 && withChanges > compared / 2, $"{compared} valid pairs compared, {withChanges} with changes");
    }

    [Theory]
    [InlineData("/phases/execute/started_at", "\"2025-08-06T10:12:44+01:00\"", true)] // the same instant, another text
    [InlineData("/phases/plan/output/estimated_duration", "3600000.0", false)]            // the same number, spelled otherwise
    [InlineData("/phases/execute/output/results", "{\"b\": 2, \"a\": 1.0}", false)]     // free-form: member order and spelling
    [InlineData("/phases/execute/output/results", "{\"a\":1,\"b\":3}", true)]
    [InlineData("/phases/plan/output/extra", "{\"n\": {\"deep\": 2}}", true)]            // a member the schema does not name
    public void The_typed_diff_sees_what_JSON_sees(string pointer, string valueJson, bool changed)
    {
        var before = Documents.Node(Documents.Minimal());
        before["phases"]!["execute"] = Documents.Node("""{"status":"in_progress","started_at":"2025-08-06T09:12:44Z","output":{"results":{"a":1,"b":2}}}""");
        before["phases"]!["plan"] = Documents.Node("""{"status":"completed","started_at":"2025-08-06T09:00:00Z","completed_at":"2025-08-06T09:10:00Z","output":{"estimated_duration":3600000,"extra":{"n":{"deep":1}}}}""");
        var after = before.DeepClone();
        var path = pointer.Split('/')[1..];
        var parent = path[..^1].Aggregate(after, (node, step) => node[step]!);
        parent[path[^1]] = Documents.Node(valueJson);
        var (beforeBytes, afterBytes) = (Documents.Bytes(before), Documents.Bytes(after));
        Assert.True(PeerCycle.Validate(beforeBytes).IsValid && PeerCycle.Validate(afterBytes).IsValid);
        var diff = new PeerTyped.Runtime.JsonDiff();
        PeerCycle.DiffJson(PeerCycle.Parse(beforeBytes), PeerCycle.Parse(afterBytes), string.Empty, diff);
        Assert.Equal(PeerTyped.Runtime.JsonDiff.Between(beforeBytes, afterBytes).Select(c => c.Pointer), diff.Changes.Select(c => c.Pointer));
        Assert.Equal(changed, diff.Changes.Count > 0);
        if (changed) Assert.StartsWith(pointer, diff.Changes[0].Pointer, StringComparison.Ordinal);
    }

    /// <summary>Field values for typed changes: valid ones, and ones that break a minimum, a pattern, a rule or an enum.</summary>
    private static readonly string[] FieldValues =
    [
        "completed", "pending", "failed", "in_progress", "COMPLETED", "-1", "0", "5", "1.5", "101", "x", "", "peer.spec.demo.cycle.1",
        "peer.spec.other.cycle.2", "bad key", "2025-08-06T09:12:44Z", "true", "false", "[]", "[\"a\"]", "{}", "{\"a\":1}", "\ud800",
    ];

    /// <summary>
    /// IsValidChange (the typed proof of validity a typed write uses instead of validating the written bytes) never says
    /// "valid" where the validator of the written bytes says otherwise: for typed changes made through the path table
    /// (sections shared with the valid document they change, values that break minimums, patterns, rules and enums), and
    /// for documents read from JSON mutations (nothing shared). It must also show most valid changes valid, or it saves
    /// nothing.
    /// </summary>
    [Fact]
    public void A_typed_change_shown_valid_is_valid_as_written()
    {
        var fields = PeerCycleFields.All;
        var (shownValid, valid, invalid) = (0, 0, 0);
        Gen.Select(Gen.Int[0, Bases.Length - 1], Gen.Int, Gen.Bool, (b, seed, typed) => (b, seed, typed)).Sample(c =>
        {
            var before = PeerCycle.Parse(Bases[c.b]);
            var random = new Random(c.seed);
            PeerCycle after;
            if (c.typed)
            {
                after = before;
                for (var n = random.Next(1, 4); n > 0; n--)
                {
                    try
                    {
                        after = fields[random.Next(fields.Count)].Set(after, FieldValues[random.Next(FieldValues.Length)]);
                    }
                    catch (Exception ex) when (ex is FormatException or ArgumentException or JsonException or InvalidOperationException)
                    {
                        // Text the field's type does not accept: the CLI refuses it before any write.
                    }
                }
            }
            else
            {
                try
                {
                    after = PeerCycle.Parse(MutateJson(Bases[c.b], c.seed));
                }
                catch (JsonException)
                {
                    return; // not the shape of a document: nothing typed to check
                }
            }
            byte[] written;
            try
            {
                written = after.ToUtf8Bytes();
            }
            catch (ArgumentException)
            {
                return; // a value the writer refuses never reaches validation
            }
            var verdict = PeerCycle.Validate(written);
            var shown = PeerCycle.IsValidChange(before, after);
            Assert.True(!shown || verdict.IsValid, "shown valid, but the written bytes are not: " + verdict);
            Assert.True(!PeerCycle.IsValidChange(null, after) || verdict.IsValid, "shown valid without a base, but the written bytes are not: " + verdict);
            if (verdict.IsValid) valid++;
            else invalid++;
            if (shown) shownValid++;
        }, iter: Iterations, print: c => $"base {c.b}, seed {c.seed}, {(c.typed ? "typed" : "JSON")}");
        Assert.True(invalid > Iterations / 20, $"only {invalid} invalid changes were tried");
        Assert.True(shownValid > valid * 3 / 4, $"{shownValid} of {valid} valid changes shown valid");
    }

    /// <summary>
    /// A document written after typed changes, with the bytes of the sections it shares with earlier versions copied
    /// (<see cref="PeerTyped.Runtime.WrittenJson"/>), is byte for byte the document a writer that copies nothing writes,
    /// compact and indented, over chains of changes through the path table (valid or not, sections shared or replaced).
    /// </summary>
    [Fact]
    public void A_document_written_from_remembered_sections_is_the_document_written_in_full()
    {
        var fields = PeerCycleFields.All;
        var reused = 0;
        Gen.Select(Gen.Int[0, Bases.Length - 1], Gen.Int, (b, seed) => (b, seed)).Sample(c =>
        {
            var random = new Random(c.seed);
            var document = PeerCycle.Parse(Bases[c.b]);
            for (var version = 0; version < 4; version++)
            {
                byte[] remembering;
                try
                {
                    remembering = PeerTyped.Runtime.JsonText.WriteRemembering(document, static (d, writer) => d.WriteJson(writer));
                }
                catch (ArgumentException)
                {
                    return; // a value the writer refuses (a lone surrogate): the full write refuses it too
                }
                var full = WriteInFull(document);
                Assert.Equal(Encoding.UTF8.GetString(full), Encoding.UTF8.GetString(remembering));
                Assert.Equal(full, document.ToUtf8Bytes());
                Assert.Equal(WriteInFull(document, PeerTyped.Runtime.JsonText.IndentedWriterOptions), document.ToUtf8Bytes(indented: true));
                if (version > 0 && Bases[c.b].Length > 4 * PeerTyped.Runtime.WrittenJson.MinimumLength) reused++;
                for (var n = random.Next(1, 3); n > 0; n--)
                {
                    try
                    {
                        document = fields[random.Next(fields.Count)].Set(document, FieldValues[random.Next(FieldValues.Length)]);
                    }
                    catch (Exception ex) when (ex is FormatException or ArgumentException or JsonException or InvalidOperationException)
                    {
                        // Text the field's type does not accept.
                    }
                }
            }
        }, iter: Iterations / 3, print: c => $"base {c.b}, seed {c.seed}");
        Assert.True(reused > Iterations / 10, $"only {reused} writes of the large document could copy sections");
    }

    /// <summary>
    /// Remembered bytes are compact and reach only the compact writes of <see cref="PeerTyped.Runtime.JsonText"/>: an
    /// indented write, or a writer of the caller's own, writes every section itself, before and after it was remembered.
    /// </summary>
    [Fact]
    public void Remembered_sections_reach_only_compact_writes_of_the_documents_they_were_written_from()
    {
        var document = PeerCycle.Parse(Bases[0]);
        var (compact, indented) = (WriteInFull(document), WriteInFull(document, PeerTyped.Runtime.JsonText.IndentedWriterOptions));
        Assert.Equal(compact, PeerTyped.Runtime.JsonText.WriteRemembering(document, static (d, writer) => d.WriteJson(writer)));

        Assert.Equal(indented, WriteInFull(document, PeerTyped.Runtime.JsonText.IndentedWriterOptions));
        Assert.Equal(indented, document.ToUtf8Bytes(indented: true));
        Assert.Equal(compact, document.ToUtf8Bytes());
        var changed = PlannerView.Over(document).WithPlan(p => p.WithOutput(o => o.WithEstimatedDuration(42))).Document;
        var fresh = PeerCycle.Parse(changed.ToUtf8Bytes());
        Assert.Equal(fresh.ToUtf8Bytes(indented: true), changed.ToUtf8Bytes(indented: true));
        Assert.Equal(WriteInFull(fresh, PeerTyped.Runtime.JsonText.IndentedWriterOptions), WriteInFull(changed, PeerTyped.Runtime.JsonText.IndentedWriterOptions));
        Assert.Equal(WriteInFull(fresh), changed.ToUtf8Bytes());
        Assert.True(changed.ToUtf8Bytes().AsSpan().IndexOf("\"estimated_duration\":42"u8) >= 0, "the change is not in what was written");
    }

    /// <summary>
    /// A write inside a write (a callback that logs a document) gets a writer of its own: both return their document.
    /// Before, the inner one took the outer one's writer, and the outer one returned nothing.
    /// </summary>
    [Fact]
    public void A_write_inside_a_write_does_not_take_its_writer()
    {
        var document = PeerCycle.Parse(Bases[0]);
        var expected = WriteInFull(document);
        byte[]? inner = null;
        var outer = PeerTyped.Runtime.JsonText.Write(document, (d, writer) =>
        {
            inner = d.ToUtf8Bytes();
            d.WriteJson(writer);
        });
        Assert.Equal(expected, outer);
        Assert.Equal(expected, inner);
        outer = PeerTyped.Runtime.JsonText.Write(document, (d, writer) =>
        {
            d.WriteJson(writer);
            inner = d.ToUtf8Bytes(indented: true);
            inner = d.ToUtf8Bytes();
        });
        Assert.Equal(expected, outer);
        Assert.Equal(expected, inner);
    }

    /// <summary>
    /// Bytes are remembered only where the writer's byte counts are positions in its buffer: a callback that resets the
    /// writer between documents (JSON lines), or writes another document inside, leaves nothing wrong behind for the
    /// next write of the same sections. (Found by an outside review: a reset restarts the counts, not the buffer.)
    /// </summary>
    [Fact]
    public void A_writer_reset_between_documents_leaves_no_wrong_bytes_remembered()
    {
        var first = PeerCycle.Parse(Bases[0]);
        // Texts as long as the one they replace, so that a section cut at the wrong place still starts and ends with a brace.
        Assert.Equal("All 7 steps done", first.Phases.Execute.Output!.Progress);
        var second = ExecutorView.Over(first).WithExecute(e => e.WithOutput(o => o!.WithProgress("All 8 steps done"))).Document;
        var third = ExecutorView.Over(first).WithExecute(e => e.WithOutput(o => o!.WithProgress("All 9 steps done"))).Document;
        PeerTyped.Runtime.JsonText.WriteRemembering(new[] { first, second }, static (documents, writer) =>
        {
            foreach (var document in documents)
            {
                document.WriteJson(writer);
                writer.Flush();
                writer.Reset();
            }
        });
        PeerTyped.Runtime.JsonText.WriteRemembering(new[] { first, third }, static (documents, writer) =>
        {
            writer.WriteStartArray();
            foreach (var document in documents)
            {
                document.WriteJson(writer);
                _ = document.ToJson();
            }
            writer.WriteEndArray();
        });
        foreach (var document in new[] { first, second, third }) Assert.Equal(Encoding.UTF8.GetString(WriteInFull(document)), document.ToJson());
    }

    /// <summary>
    /// The hooks generated code calls are public, but only a mark made by the remembering write in progress remembers
    /// anything: a caller's own JsonText.Write that writes other bytes and hands the hooks a mark (its own, or the
    /// default one) leaves the section's bytes as they were. (Found by the second outside review.)
    /// </summary>
    [Fact]
    public void Marks_from_outside_the_remembering_write_remember_nothing()
    {
        var document = PeerCycle.Parse(Bases[0]);
        var expected = WriteInFull(document);
        var garbage = Encoding.UTF8.GetBytes("{" + new string(' ', PeerTyped.Runtime.WrittenJson.MinimumLength) + "\"garbage\":1}");
        void Forge()
        {
            PeerTyped.Runtime.JsonText.Write((document.Phases.Execute, garbage), static (forged, writer) =>
            {
                writer.WriteRawValue(forged.garbage, skipInputValidation: true);
                PeerTyped.Runtime.WrittenJson.Remember(writer, forged.Execute, PeerTyped.Runtime.WrittenJson.Start(writer));
                PeerTyped.Runtime.WrittenJson.Remember(writer, forged.Execute, default);
            });
        }
        Forge();
        Assert.Equal(expected, document.ToUtf8Bytes());
        Assert.Equal(expected, PeerTyped.Runtime.JsonText.WriteRemembering(document, static (d, writer) => d.WriteJson(writer)));
        Forge();
        Assert.Equal(expected, document.ToUtf8Bytes());
    }

    /// <summary>
    /// A caller's callback may keep the writer it was lent; the writer that remembers bytes is never the one lent, so
    /// using the kept one later (from another thread, say) cannot reach a store's write. (Second outside review.)
    /// </summary>
    [Fact]
    public void The_remembering_writer_is_never_lent_to_a_callers_callback()
    {
        System.Text.Json.Utf8JsonWriter? lent = null, remembering = null;
        PeerTyped.Runtime.JsonText.Write(0, (_, writer) => { lent = writer; writer.WriteNumberValue(0); });
        PeerTyped.Runtime.JsonText.WriteRemembering(PeerCycle.Parse(Bases[0]), (d, writer) => { remembering = writer; d.WriteJson(writer); });
        PeerTyped.Runtime.JsonText.Write(0, (_, writer) => { lent = writer; writer.WriteNumberValue(0); });
        Assert.NotNull(remembering);
        Assert.NotSame(lent, remembering);
    }

    /// <summary>
    /// What is lent to a caller's delegate is the caller's alone: a writer or validation context it keeps is not the
    /// one a later write or validation on the thread uses (a store's, say), so using it afterwards changes nothing there.
    /// (Third outside review: a kept context, cleared from another thread, let a store write a document its own
    /// validation had refused; a kept writer, flushed from another thread, corrupted later writes.)
    /// </summary>
    [Fact]
    public void A_writer_or_validation_context_a_callback_keeps_is_never_used_again()
    {
        var document = PeerCycle.Parse(Bases[0]);
        var expected = WriteInFull(document);
        System.Text.Json.Utf8JsonWriter? keptWriter = null, laterWriter = null;
        PeerTyped.Runtime.JsonText.Write(0, (_, writer) => { keptWriter = writer; writer.WriteNumberValue(0); });
        PeerTyped.Runtime.JsonText.Write(0, (_, writer) => { laterWriter = writer; writer.WriteNumberValue(0); });
        Assert.NotSame(keptWriter, laterWriter);
        keptWriter!.WriteStartObject();
        keptWriter.WriteString("kept", "writer");
        keptWriter.Flush();
        Assert.Equal(expected, document.ToUtf8Bytes());

        PeerTyped.Runtime.ValidationContext? keptContext = null, laterContext = null;
        PeerTyped.Runtime.ValidationContext.Run("{}"u8, (ref Utf8JsonReader _, PeerTyped.Runtime.ValidationContext context) => keptContext = context);
        PeerTyped.Runtime.ValidationContext.Run("{}"u8, (ref Utf8JsonReader _, PeerTyped.Runtime.ValidationContext context) => laterContext = context);
        Assert.NotSame(keptContext, laterContext);
        keptContext!.Add("kept", "a violation added after the validation ended");
        Assert.True(PeerCycle.Validate(expected).IsValid);
        Assert.False(PeerCycle.Validate(Encoding.UTF8.GetBytes("{}")).IsValid);
    }

    /// <summary>The document through a writer of its own (compact unless told), which no remembered bytes reach.</summary>
    private static byte[] WriteInFull(PeerCycle document, JsonWriterOptions? options = null)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, options ?? PeerTyped.Runtime.JsonText.CompactWriterOptions)) document.WriteJson(writer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Extension members a change keeps from the valid document are valid again, but a name kept twice is written
    /// twice: that is not shown valid, and the validator refuses it.
    /// </summary>
    [Fact]
    public void Extension_members_kept_from_the_old_document_are_shown_valid_unless_a_name_repeats()
    {
        var node = Documents.Node(Documents.Minimal());
        node["phases"]!["plan"] = Documents.Node("""{"status":"in_progress","started_at":"2025-08-06T09:00:00Z","output":{"notes":"a","extra":{"k":1}}}""");
        var before = PeerCycle.Parse(Documents.Bytes(node));
        var members = before.Phases.Plan.Output!.ExtensionData;
        Assert.Equal(2, members.Count);
        PeerCycle Keep(PeerTyped.Runtime.ExtensionMembers kept) => PlannerView.Over(before).WithPlan(p => p.WithOutput(o => o with { ExtensionData = kept })).Document;

        var fewer = Keep(PeerTyped.Runtime.ExtensionMembers.From([members[1]]));
        Assert.True(PeerCycle.IsValidChange(before, fewer));
        Assert.True(PeerCycle.Validate(fewer.ToUtf8Bytes()).IsValid);

        var repeated = Keep(PeerTyped.Runtime.ExtensionMembers.From([members[0], members[0]]));
        Assert.False(PeerCycle.IsValidChange(before, repeated));
        Assert.Contains(PeerCycle.Validate(repeated.ToUtf8Bytes()).Violations, v => v.Message.Contains("appears twice", StringComparison.Ordinal));
    }

    /// <summary>A list is a copy of what it was made from: changing that array later changes no document (a store's
    /// typed diff and proof of validity skip what a change shares with the document it remembers).</summary>
    [Fact]
    public void A_list_does_not_change_when_the_array_it_was_made_from_does()
    {
        string[] items = ["a", "b"];
        var list = PeerTyped.Runtime.ValueList.Create<string>(items);
        items[0] = "changed";
        Assert.Equal(["a", "b"], list);
        var parsed = PeerCycle.Parse(Bases[0]);
        Assert.DoesNotContain(typeof(PeerTyped.Runtime.ValueList).GetMethods(), m => m.Name == "Adopt");
        Assert.Equal(parsed, PeerCycle.Parse(parsed.ToUtf8Bytes()));
    }

    private static void AssertSameChanges(byte[] before, byte[] after)
    {
        var json = PeerTyped.Runtime.JsonDiff.Between(before, after);
        var typedDiff = new PeerTyped.Runtime.JsonDiff();
        PeerCycle.DiffJson(PeerCycle.Parse(before), PeerCycle.Parse(after), string.Empty, typedDiff);
        var typed = typedDiff.Changes;
        Assert.Equal(json.Select(c => c.Pointer).Order(StringComparer.Ordinal), typed.Select(c => c.Pointer).Order(StringComparer.Ordinal));
        foreach (var change in typed)
        {
            var expected = json.Single(c => c.Pointer == change.Pointer);
            Assert.True(SameJson(expected.OldJson, change.OldJson) && SameJson(expected.NewJson, change.NewJson), $"{change.Pointer}: {change.OldJson} -> {change.NewJson}, the JSON diff says {expected.OldJson} -> {expected.NewJson}");
        }
    }

    private static bool SameJson(string? left, string? right)
    {
        if (left is null || right is null) return left is null && right is null;
        using var a = JsonDocument.Parse(left);
        using var b = JsonDocument.Parse(right);
        return JsonElement.DeepEquals(a.RootElement, b.RootElement);
    }

    /// <summary>Edits that mostly keep a document valid, so that the diff comparison sees many valid pairs.</summary>
    private static byte[] Nudge(byte[] source, int seed)
    {
        var random = new Random(seed);
        var root = JsonNode.Parse(source)!;
        for (var n = random.Next(0, 4); n > 0; n--)
        {
            var slots = Slots(root).Where(s => s.Parent != root || s.Name is "metadata" or "phases" or "cycle_summary" or "insights").ToList();
            var (parent, name, index) = slots[random.Next(slots.Count)];
            var value = name is not null ? parent[name] : parent[index];
            JsonNode? replacement = value switch
            {
                JsonValue v when v.TryGetValue<string>(out var text) && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var instant) && text.Contains('T') =>
                    JsonValue.Create(instant.ToOffset(TimeSpan.FromHours(random.Next(-3, 4))).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture)),
                JsonValue v when v.TryGetValue<string>(out var text) => random.Next(3) == 0 ? JsonValue.Create(text) : JsonValue.Create(text + "x"),
                JsonValue v when v.TryGetValue<bool>(out var flag) => JsonValue.Create(!flag),
                JsonValue v when v.GetValueKind() == JsonValueKind.Number => JsonNode.Parse(random.Next(3) switch { 0 when !v.ToJsonString().Contains('.') && !v.ToJsonString().Contains('e') => v.ToJsonString() + ".0", 1 => (decimal.Parse(v.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), _ => v.ToJsonString() }),
                JsonArray a when a.Count > 0 && random.Next(2) == 0 => new JsonArray(a.Take(a.Count - 1).Select(i => i?.DeepClone()).ToArray()),
                JsonArray a when a.Count > 0 => new JsonArray(a.Select(i => i?.DeepClone()).Append(a[0]?.DeepClone()).ToArray()),
                JsonObject o when o.Count > 0 && random.Next(3) == 0 => Without(o, o.ElementAt(random.Next(o.Count)).Key),
                JsonObject o => With(o, "extra_" + random.Next(3), random.Next(2) == 0 ? JsonValue.Create(random.Next(3)) : new JsonObject { ["k"] = random.Next(2) }),
                _ => value?.DeepClone(),
            };
            Set(parent, name, index, replacement!);
        }
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    private static JsonObject Without(JsonObject source, string name)
    {
        var copy = (JsonObject)source.DeepClone();
        copy.Remove(name);
        return copy;
    }

    private static JsonObject With(JsonObject source, string name, JsonNode value)
    {
        var copy = (JsonObject)source.DeepClone();
        copy[name] = value;
        return copy;
    }

    private static void CheckOne(byte[] bytes)
    {
        var ours = PeerCycle.Validate(bytes);
        var reference = ReferenceVerdict(bytes, out var undecided);
        if (ours.IsValid)
        {
            Assert.True(reference is true || undecided, $"the generated validator accepts what JsonSchema.Net {(reference is null ? "cannot parse" : "rejects")}");
            var document = PeerCycle.Parse(bytes);
            var written = document.ToUtf8Bytes();
            var again = PeerCycle.Validate(written);
            Assert.True(again.IsValid, "the reader's document, written back, is invalid: " + again);
            Assert.Equal(document, PeerCycle.Parse(written));
            return;
        }
        if (reference is true)
        {
            var reason = string.Join("; ", ours.Violations);
            Assert.True(StricterOnPurpose.Any(r => r.IsMatch(reason)),
                "JsonSchema.Net accepts what the generated validator rejects: " + reason);
        }
    }

    /// <summary>JsonSchema.Net's verdict; null when the bytes are not JSON at all (then ours must say invalid too).</summary>
    private static bool? ReferenceVerdict(byte[] bytes, out bool undecided)
    {
        undecided = false;
        // JsonDocument does not check that string contents are UTF-8; JSON text must be (RFC 8259 §8.1).
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) return null;
        try
        {
            using var parsed = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 1000 });
            return Reference.Evaluate(parsed.RootElement, Options).IsValid;
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            return null; // System.Text.Json cannot turn an unpaired surrogate escape into a string
        }
        catch (ArgumentException)
        {
            return null;
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            // JsonSchema.Net compares enum numbers as decimals and throws on 1E400: it has no verdict to compare with.
            undecided = true;
            return null;
        }
    }

    /// <summary>Byte-level damage: a flipped byte, a cut, an inserted run, a duplicated slice, a truncation.</summary>
    private static byte[] DamageBytes(byte[] source, int seed)
    {
        var random = new Random(seed);
        var bytes = source.ToList();
        for (var n = random.Next(1, 4); n > 0 && bytes.Count > 0; n--)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1: bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 40))); break;
                case 2: bytes.InsertRange(at, Enumerable.Range(0, random.Next(1, 8)).Select(_ => (byte)random.Next(256))); break;
                case 3:
                    var length = Math.Min(bytes.Count - at, random.Next(1, 60));
                    bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(at, length));
                    break;
                default: bytes.RemoveRange(at, bytes.Count - at); break;
            }
        }
        return [.. bytes];
    }

    /// <summary>JSON-level mutations: a value replaced by an edge value, a member removed, added or repeated.</summary>
    private static byte[] MutateJson(byte[] source, int seed)
    {
        var random = new Random(seed);
        var root = JsonNode.Parse(source)!;
        var edges = new List<string>();
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            var slots = Slots(root).ToList();
            var (parent, name, index) = slots[random.Next(slots.Count)];
            switch (random.Next(4))
            {
                case 0 or 1:
                    var marker = "__edge_" + edges.Count + "__";
                    edges.Add(EdgeValues[random.Next(EdgeValues.Length)]);
                    Set(parent, name, index, JsonValue.Create(marker));
                    break;
                case 2:
                    if (parent is JsonObject removeFrom && name is not null) removeFrom.Remove(name);
                    else if (parent is JsonArray removeAt && index < removeAt.Count) removeAt.RemoveAt(index);
                    break;
                default:
                    if (parent is JsonObject addTo) addTo["extra_" + random.Next(5)] = random.Next(2) == 0 ? JsonValue.Create(1) : new JsonObject { ["k"] = "v" };
                    break;
            }
        }
        var text = root.ToJsonString();
        for (var i = 0; i < edges.Count; i++) text = text.Replace("\"__edge_" + i + "__\"", edges[i], StringComparison.Ordinal);
        if (random.Next(8) == 0)
        {
            // Repeat the first member of the root object: the same name twice.
            var firstMember = text.IndexOf(',', StringComparison.Ordinal);
            if (firstMember > 1) text = "{" + text[1..firstMember] + "," + text[1..];
        }
        return Encoding.UTF8.GetBytes(text);
    }

    private static IEnumerable<(JsonNode Parent, string? Name, int Index)> Slots(JsonNode node)
    {
        if (node is JsonObject obj)
        {
            foreach (var (name, child) in obj.ToList())
            {
                yield return (obj, name, -1);
                if (child is not null) foreach (var slot in Slots(child)) yield return slot;
            }
        }
        else if (node is JsonArray array)
        {
            for (var i = 0; i < array.Count; i++)
            {
                yield return (array, null, i);
                if (array[i] is { } child) foreach (var slot in Slots(child)) yield return slot;
            }
        }
    }

    private static void Set(JsonNode parent, string? name, int index, JsonNode value)
    {
        if (parent is JsonObject obj && name is not null) obj[name] = value;
        else if (parent is JsonArray array) array[index] = value;
    }
}
