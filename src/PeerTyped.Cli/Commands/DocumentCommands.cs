using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PeerTyped.Cli.Console;
using PeerTyped.Client;
using PeerTyped.Client.Jq;
using PeerTyped.Contracts;
using PeerTyped.Runtime;

namespace PeerTyped.Cli.Commands;

internal sealed partial class CommandFactory
{
    private Command Get()
    {
        var revision = new Option<ulong>("--revision", "-r") { Description = "Read this revision instead of the latest" };
        var path = new Option<string?>("--path", "-p") { Description = "Print one value: a short path (plan.status) or a JSON Pointer (/phases/plan/output/risks/0)" };
        path.CompletionSources.Add(context => Paths(context.WordToComplete ?? string.Empty));
        path.HelpName = "path";
        var rawOutput = new Option<bool>("--raw-output") { Description = "With --path, print a string without JSON quotes (as jq -r)" };
        var raw = new Option<bool>("--raw") { Description = "Print exactly the stored bytes, no newline added, even when they are not valid (operators)" };
        return DefineForKey("get", "Print the document (or one value) as JSON on stdout; on a cycle counter (<prefix>.cycle.current), the number it holds", counterAllowed: true, async (invocation, resolved, store) =>
        {
            if (CycleCounter.IsCounterKey(resolved, out var counterOf))
            {
                // Upstream's orchestrator reads its counter through read-state.sh: print the number, not the stored bytes ("N\n").
                if (invocation.Get(revision) > 0 || invocation.Get(path) is not null) throw new PeerUsageException($"{resolved} is a cycle counter: it has no revisions or paths to select; `get {resolved}` prints its number");
                if (invocation.Get(raw))
                {
                    invocation.Terminal.RawData((await store.ReadRawAsync(resolved, 0, invocation.CancellationToken).ConfigureAwait(false)).Value.Span);
                    return 0;
                }
                var number = await store.ReadCycleCounterAsync(counterOf, invocation.CancellationToken).ConfigureAwait(false)
                    ?? throw new PeerNotFoundException($"{resolved}: not found (no cycle allocated yet; `peer-typed cycle next {counterOf}` allocates one)");
                invocation.Terminal.Data(number.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return 0;
            }
            if (invocation.Get(raw))
            {
                var entry = await store.ReadRawAsync(resolved, invocation.Get(revision), invocation.CancellationToken).ConfigureAwait(false);
                invocation.Terminal.RawData(entry.Value.Span);
                return 0;
            }
            var document = invocation.Get(revision) is > 0 and var at
                ? await store.ReadAsync(resolved, at, invocation.CancellationToken).ConfigureAwait(false)
                : await store.ReadAsync(resolved, invocation.CancellationToken).ConfigureAwait(false);
            if (invocation.Get(path) is not { } selected)
            {
                invocation.Terminal.Data(Json.Pretty(document.Json.Span));
                return 0;
            }
            var pointer = selected.StartsWith('/') ? selected : PeerCycleFields.Find(selected)?.Pointer ?? ExtensionPaths.Pointer(selected) ?? throw UnknownPath(resolved, selected);
            using var json = JsonDocument.Parse(document.Json);
            var value = Navigate(json.RootElement, pointer) ?? throw new PeerNotFoundException($"{resolved}: {pointer} is not set");
            invocation.Terminal.Data(invocation.Get(rawOutput) && value.ValueKind == JsonValueKind.String ? value.GetString()! : Json.Pretty(Encoding.UTF8.GetBytes(value.GetRawText())));
            return 0;
        }, revision, path, rawOutput, raw);
    }

    private static JsonElement? Navigate(JsonElement element, string pointer)
    {
        foreach (var token in pointer.Split('/').Skip(1).Select(JsonPointer.Unescape))
        {
            if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(token, out var child)) element = child;
            else if (element.ValueKind == JsonValueKind.Array && int.TryParse(token, out var index) && index >= 0 && index < element.GetArrayLength()) element = element[index];
            else return null;
        }
        return element;
    }

    private Command Create()
    {
        var key = KeyArgument();
        var keyOption = KeyOption();
        var file = new Argument<string?>("file") { Description = "The document: a file, or - for stdin. Without it, a fresh cycle is built from --instruction, --spec and --requirements", Arity = ArgumentArity.ZeroOrOne };
        var instruction = new Option<string?>("--instruction") { Description = "instruction_name of a fresh cycle (e.g. create-spec)" };
        var spec = new Option<string?>("--spec") { Description = "spec_name of a fresh cycle (makes it spec-aware)" };
        var requirements = new Option<string?>("--requirements") { Description = "user_requirements of a fresh cycle" };
        var mode = new Option<string>("--mode") { Description = "peer_mode of a fresh cycle", DefaultValueFactory = _ => "new" }.AcceptOnlyFromAmong("new", "continue");
        return Define("create", "Create a cycle document: validated, and only if the key does not exist", async invocation =>
        {
            var resolved = ResolveKey(invocation, key, keyOption);
            byte[] json;
            if (invocation.Get(file) is { } source)
            {
                json = source == "-" ? await ReadStdinAsync(invocation.CancellationToken).ConfigureAwait(false) : await InputFile.ReadAsync(source, $"{resolved}: the document file", invocation.CancellationToken).ConfigureAwait(false);
            }
            else
            {
                var name = invocation.Get(instruction) ?? throw new PeerUsageException("create needs a document (FILE or -) or --instruction to build a fresh cycle");
                json = PeerCycles.New(resolved, name, invocation.Get(spec), invocation.Get(requirements) ?? string.Empty, invocation.Get(mode) == "continue").ToUtf8Bytes();
            }
            await using var store = await invocation.OpenStoreAsync().ConfigureAwait(false);
            var result = await store.CreateJsonAsync(resolved, json, RoleOrNull(invocation), invocation.CancellationToken).ConfigureAwait(false);
            if (invocation.DryRun) PrintWrite(invocation, result);
            else if (invocation.JsonOutput) PrintWrite(invocation, result with { Changes = [] });
            else
            {
                invocation.Terminal.Success($"Created state at key {resolved}: revision {result.Revision}");
                invocation.Terminal.Ok();
            }
            return 0;
        }, key, file, keyOption, instruction, spec, requirements, mode, options.DryRun);
    }

    private Command Set()
    {
        var keyOption = KeyOption();
        var pairs = new Argument<string[]>("path-value") { Description = "[KEY] PATH VALUE [PATH VALUE ...]; PATH as in `peer-typed paths` (plan.status); date-time values accept now", Arity = ArgumentArity.OneOrMore };
        pairs.CompletionSources.Add(context => SetWords(context, pairs));
        pairs.HelpName = "path-value";
        return Define("set", "Set typed values: peer-typed set [KEY] plan.status completed metadata.updated_at now", async invocation =>
        {
            var tokens = invocation.Get(pairs)!.ToList();
            string? positionalKey = null;
            // A key starts with "peer." and no path does, so the first word says which it is; counting words would
            // mistake `set KEY plan.status` (a missing value) for a path and a value with no key.
            if (tokens[0].StartsWith("peer.", StringComparison.Ordinal) || (tokens.Count % 2 == 1 && PeerCycleFields.Find(tokens[0]) is null))
            {
                positionalKey = tokens[0];
                tokens.RemoveAt(0);
            }
            var resolved = positionalKey ?? ResolveKey(invocation, null, keyOption);
            invocation.Terminal.Key = resolved;
            if (tokens.Count == 0) throw new PeerUsageException($"{resolved}: set needs PATH VALUE pairs, e.g. peer-typed set {resolved} plan.status completed");
            if (tokens.Count % 2 == 1) throw new PeerUsageException($"{resolved}: set: {tokens[^1]} has no value; give PATH VALUE pairs, e.g. {tokens[^1]} VALUE");
            PeerKey.Parse(resolved);
            var assignments = new List<(FieldInfo<PeerCycle> Field, string Value)>();
            var extensions = new List<(string Pointer, System.Text.Json.Nodes.JsonNode? Value)>();
            for (var i = 0; i < tokens.Count; i += 2)
            {
                if (PeerCycleFields.Find(tokens[i]) is { } field) assignments.Add((field, tokens[i + 1]));
                else extensions.Add((ExtensionPaths.Pointer(tokens[i]) ?? throw UnknownPath(resolved, tokens[i]), ExtensionPaths.Value(tokens[i + 1])));
            }
            await using var store = await invocation.OpenStoreAsync().ConfigureAwait(false);
            PeerCycle Apply(PeerCycle document)
            {
                foreach (var (field, value) in assignments)
                {
                    try
                    {
                        document = field.Set(document, value);
                    }
                    catch (Exception ex) when (ex is FormatException or InvalidOperationException)
                    {
                        var allowed = field.AllowedValues.Count > 0 ? string.Empty : $" ({field.Type})";
                        throw new PeerValidationException(resolved, [new Violation(field.Pointer, "type", ex.Message + allowed)], $"cannot set {field.Path} to {Json.Quote(value)}");
                    }
                }
                return document;
            }
            // Members the schema does not declare (plan.output.custom_thing) have no typed setter: the typed fields are
            // set first, then the extension members on the JSON, and the result passes the same checks as every write.
            var result = extensions.Count == 0
                ? await store.UpdateAsync(resolved, RoleOrNull(invocation), Apply, invocation.CancellationToken).ConfigureAwait(false)
                : await store.UpdateJsonAsync(resolved, RoleOrNull(invocation), (current, _) =>
                    ValueTask.FromResult(ExtensionPaths.Set(Apply(PeerCycle.Parse(current.Span)).ToUtf8Bytes(), extensions)), invocation.CancellationToken).ConfigureAwait(false);
            PrintWrite(invocation, result);
            return 0;
        }, pairs, keyOption, options.DryRun);
    }

    private static PeerUsageException UnknownPath(string key, string path)
    {
        var head = path.Split('.')[0];
        var near = PeerCycleFields.All.Where(f => f.Path.StartsWith(head + ".", StringComparison.Ordinal) || f.Path == head).Select(f => f.Path).Take(12).ToList();
        return new PeerUsageException($"{key}: unknown path '{path}'; " + (near.Count > 0 ? "paths under " + head + ": " + string.Join(", ", near) : "the sections are " + string.Join(", ", PeerCycleFields.All.Where(f => !f.Path.Contains('.')).Select(f => f.Path))) + " (all: peer-typed paths)");
    }

    private Command Update()
    {
        var key = KeyArgument();
        var keyOption = KeyOption();
        var filter = new Option<string>("--jq") { Description = "A jq filter from the current document to the new one; it must produce exactly one document", Required = true };
        var arg = new Option<string[]>("--arg") { Description = "--arg NAME VALUE: $NAME is the string VALUE (as jq)", Arity = new ArgumentArity(2, 2), AllowMultipleArgumentsPerToken = true };
        var argjson = new Option<string[]>("--argjson") { Description = "--argjson NAME JSON: $NAME is the JSON value (as jq)", Arity = new ArgumentArity(2, 2), AllowMultipleArgumentsPerToken = true };
        var slurpfile = new Option<string[]>("--slurpfile") { Description = "--slurpfile NAME FILE: $NAME is an array of the JSON values in FILE (as jq)", Arity = new ArgumentArity(2, 2), AllowMultipleArgumentsPerToken = true };
        var jqTimeout = Jq.TimeoutOption();
        return Define("update", "Change the document with a jq filter, inside the compare-and-set loop and through the same validation and ownership gate", async invocation =>
        {
            var resolved = ResolveKey(invocation, key, keyOption);
            // Prepared once, run on every compare-and-set attempt (libjq compiles on the first run only).
            using var program = JqFilter.Create(invocation.Get(filter)!, Jq.Arguments(invocation.Parse, arg, argjson, slurpfile), Jq.Options(invocation.Get(jqTimeout)));
            await using var store = await invocation.OpenStoreAsync().ConfigureAwait(false);
            var result = await store.UpdateJsonAsync(resolved, RoleOrNull(invocation),
                async (current, cancellationToken) =>
                {
                    FaultInjection.At("after-read");
                    var changed = await Jq.RunAsync(resolved, program, current, cancellationToken).ConfigureAwait(false);
                    FaultInjection.At("after-jq");
                    return changed;
                }, invocation.CancellationToken).ConfigureAwait(false);
            PrintWrite(invocation, result);
            return 0;
        }, key, keyOption, filter, arg, argjson, slurpfile, jqTimeout, options.DryRun);
    }

    private Command Patch()
    {
        var key = KeyArgument();
        var keyOption = KeyOption();
        var merge = new Option<string>("--merge") { Description = "An RFC 7386 JSON merge patch, or @FILE to read it from FILE (null removes a member)", Required = true };
        return Define("patch", "Apply an RFC 7386 merge patch through the same gate as every write", async invocation =>
        {
            var resolved = ResolveKey(invocation, key, keyOption);
            var text = invocation.Get(merge)!;
            // Bytes, not text: reading a file as a string would quietly turn invalid UTF-8 into U+FFFD.
            var patchBytes = text.StartsWith('@')
                ? await InputFile.ReadAsync(text[1..], $"{resolved}: the merge patch file", invocation.CancellationToken).ConfigureAwait(false)
                : Encoding.UTF8.GetBytes(text);
            var patch = MergePatch.Parse(resolved, patchBytes);
            await using var store = await invocation.OpenStoreAsync().ConfigureAwait(false);
            var result = await store.UpdateJsonAsync(resolved, RoleOrNull(invocation),
                (current, _) => ValueTask.FromResult(MergePatch.Apply(current, patch)), invocation.CancellationToken).ConfigureAwait(false);
            PrintWrite(invocation, result);
            return 0;
        }, key, keyOption, merge, options.DryRun);
    }

    private Command Validate()
    {
        var file = new Argument<string?>("file") { Description = "A document file, or - for stdin (default)", Arity = ArgumentArity.ZeroOrOne };
        return Define("validate", "Validate a document against the schema, offline; every violation with its JSON Pointer", async invocation =>
        {
            var source = invocation.Get(file) ?? "-";
            var bytes = source == "-" ? await ReadStdinAsync(invocation.CancellationToken).ConfigureAwait(false) : await InputFile.ReadAsync(source, "validate", invocation.CancellationToken).ConfigureAwait(false);
            var result = PeerCycle.Validate(bytes);
            if (invocation.JsonOutput)
            {
                invocation.Terminal.Data(Json.Object(w =>
                {
                    w.WriteBoolean("valid", result.IsValid);
                    w.WriteStartArray("violations");
                    foreach (var v in result.Violations)
                    {
                        w.WriteStartObject();
                        w.WriteString("pointer", v.Pointer);
                        w.WriteString("rule", v.Rule);
                        w.WriteString("message", v.Message);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }, indented: true));
            }
            if (result.IsValid)
            {
                if (!invocation.JsonOutput) invocation.Terminal.Ok();
                return 0;
            }
            var name = source == "-" ? "stdin" : source;
            invocation.Terminal.Error($"{name}: {result.Violations[0]}" + (result.Violations.Count > 1 ? $" (and {result.Violations.Count - 1} more)" : string.Empty));
            foreach (var violation in result.Violations.Skip(1)) invocation.Terminal.Detail(violation.ToString());
            return PeerExitCodes.Invalid;
        }, file);
    }

    private Command Paths() => Define("paths", "Every settable path with its type, allowed values, bounds and pattern, whether it is required, and its owner", invocation =>
    {
        if (invocation.JsonOutput)
        {
            invocation.Terminal.Data(Json.Array(PeerCycleFields.All, (w, field) =>
            {
                var detail = PathDetails.Of(field.Pointer);
                w.WriteString("path", field.Path);
                w.WriteString("pointer", field.Pointer);
                w.WriteString("type", field.Type);
                w.WriteStartArray("allowed");
                foreach (var value in field.AllowedValues) w.WriteStringValue(value);
                w.WriteEndArray();
                w.WriteBoolean("required", detail?.Required ?? false);
                WriteNumber(w, "minimum", detail?.Minimum);
                WriteNumber(w, "maximum", detail?.Maximum);
                WriteNumber(w, "min_length", detail?.MinLength);
                WriteNumber(w, "max_length", detail?.MaxLength);
                WriteNumber(w, "min_items", detail?.MinItems);
                WriteNumber(w, "max_items", detail?.MaxItems);
                WriteNullable(w, "pattern", detail?.Pattern);
                w.WriteStartArray("owners");
                foreach (var owner in field.Owners) w.WriteStringValue(owner);
                w.WriteEndArray();
            }));
            return Task.FromResult(0);
        }
        var rows = PeerCycleFields.All.Select(f =>
        {
            var detail = PathDetails.Of(f.Pointer);
            return new[] { f.Path, f.AllowedValues.Count > 0 ? string.Join("|", f.AllowedValues) : f.Type, detail?.Text is { Length: > 0 } text ? text : "-", detail?.Required == true ? "yes" : "no", OwnersText(f.Owners) };
        }).ToList();
        invocation.Terminal.Data(Table.Render(["PATH", "TYPE / ALLOWED", "RANGE / PATTERN", "REQUIRED", "OWNER"], rows));
        return Task.FromResult(0);
    });

    /// <summary>A schema number as written (0, 100, 1.5), or null.</summary>
    private static void WriteNumber(Utf8JsonWriter writer, string name, string? number)
    {
        writer.WritePropertyName(name);
        if (number is null) writer.WriteNullValue();
        else writer.WriteRawValue(number, skipInputValidation: false);
    }

    private static async Task<byte[]> ReadStdinAsync(CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await using var stdin = System.Console.OpenStandardInput();
        await stdin.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }
}
