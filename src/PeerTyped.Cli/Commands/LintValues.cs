using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PeerTyped.Runtime;

namespace PeerTyped.Cli.Commands;

/// <summary>A rewrite lint --fix makes: <paramref name="Length"/> characters at <paramref name="Offset"/> become <paramref name="Replacement"/>.</summary>
internal sealed record LintFix(int Offset, int Length, string Replacement);

/// <summary>
/// The value checks of peer-typed lint: every place an agent file writes state (jq assignments, the JSON they build,
/// JSON templates of whole documents, output contracts, the values its checks compare with) is read with
/// <see cref="LooseJson"/> and judged by the schema through <see cref="LintSchema"/>.
/// </summary>
internal static partial class AgentLinter
{
    [GeneratedRegex(@"(?<![\w$\]\).])((?:\.[A-Za-z_][A-Za-z0-9_]*)+)[ \t]*(?:\|=|=(?!=))[ \t]*")]
    private static partial Regex JqAssignment();

    [GeneratedRegex(@"^[ \t]*-[ \t]+([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)[ \t]*=[ \t]*", RegexOptions.Multiline)]
    private static partial Regex ContractAssignment();

    [GeneratedRegex(@"^([ \t]*)update_fields:[ \t]*\r?\n((?:\1[ \t]*-[^\n]*\n)+)", RegexOptions.Multiline)]
    private static partial Regex UpdateFields();

    [GeneratedRegex(@"^[ \t]*-[ \t]+([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)[ \t]*(?:\([^\n]*\))?[ \t]*$", RegexOptions.Multiline)]
    private static partial Regex UpdateField();

    [GeneratedRegex(@"<check\s+field=""current_state\.([A-Za-z0-9_.]+)""\s+(equals|not_equals|in_values)=""([^""]*)""")]
    private static partial Regex StateCheck();

    [GeneratedRegex(@"'([^']*)'")]
    private static partial Regex QuotedItem();

    [GeneratedRegex(@"^[ \t]*\{[ \t]*\r?$", RegexOptions.Multiline)]
    private static partial Regex BareBrace();

    [GeneratedRegex(@"\b(?:SET|CREATE)[ \t]+([a-z_][a-z0-9_]*)[ \t]*(?:=|AS)[ \t]*\{")]
    private static partial Regex PseudoObject();

    [GeneratedRegex(@"\bSET[ \t]+([a-z_][a-z0-9_]*)[ \t]*=[^\n]*?<!--[ \t]*([A-Za-z_]+(?:/[A-Za-z_]+)+)[ \t]*-->")]
    private static partial Regex PseudoChoice();

    [GeneratedRegex(@"^\$([A-Za-z_][A-Za-z0-9_]*)(?:\[0\])?$")]
    private static partial Regex JqVariable();

    [GeneratedRegex(@"--json-file[ \t]+""?([A-Za-z_][A-Za-z0-9_]*)=\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?""?")]
    private static partial Regex JsonFileOption();

    [GeneratedRegex(@"^[ \t]*([A-Z_][A-Z0-9_]*)=""([^""]+)""", RegexOptions.Multiline)]
    private static partial Regex FileVariable();

    [GeneratedRegex(@"WRITE_TOOL[ \t]+(\S+)(?:[ \t]+WITH:\s*\$\{([a-z_][a-z0-9_]*)\})?")]
    private static partial Regex WriteTool();

    /// <summary>Findings for every value the file writes or compares state with.</summary>
    private static void CheckValues(string path, string text, string? role, Func<int, (int Line, int Column)> locate, List<LintFinding> findings)
    {
        var reported = new HashSet<(string Code, int Offset)>();
        void Add(int offset, string code, string message, LintFix? fix = null)
        {
            if (!reported.Add((code, offset))) return;
            var (line, column) = locate(offset);
            findings.Add(new LintFinding(path, line, column, "error", code, message) { Fix = fix });
        }

        var choices = PseudoChoice().Matches(text).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);
        var jqTargets = new Dictionary<string, string>(StringComparer.Ordinal);

        // jq assignments: .metadata.status = "COMPLETE", .phases.execute.error = { ... }, .cycle_summary = $summary_data[0]
        foreach (Match assignment in JqAssignment().Matches(text))
        {
            if (Pointer(assignment.Groups[1].Value) is not { } pointer) continue;
            var reader = new LooseJson(text);
            reader.Read(assignment.Index + assignment.Length, pointer, inJq: true);
            var top = reader.Values.FirstOrDefault(v => v.Pointer == pointer);
            if (top is { Kind: LooseKind.Expression } && JqVariable().Match(text.Substring(top.Offset, top.Length).Trim()) is { Success: true } variable)
            {
                jqTargets.TryAdd(variable.Groups[1].Value, pointer);
            }
            if (role is not null && !pointer.StartsWith("/phases/", StringComparison.Ordinal) && !LintSchema.MayWrite(role, pointer) && LintSchema.Field(pointer) is { } owned)
            {
                Add(assignment.Index, "PTL005", $"writes {assignment.Groups[1].Value}, owned by {string.Join(", ", owned.Owners)}; {Path.GetFileName(path)} writes as {role}");
            }
            Judge(reader.Values, assignment.Groups[1].Value, assignment.Index);
        }

        // Output contracts: "- phases.plan.status = "complete"", "- status = "EXECUTING"".
        foreach (Match assignment in ContractAssignment().Matches(text))
        {
            var pointer = Pointer("." + assignment.Groups[1].Value)!;
            var reader = new LooseJson(text);
            reader.Read(assignment.Index + assignment.Length, pointer, inJq: true);
            Judge(reader.Values, assignment.Groups[1].Value, assignment.Groups[1].Index);
        }
        foreach (Match block in UpdateFields().Matches(text))
        {
            foreach (Match field in UpdateField().Matches(block.Groups[2].Value))
            {
                var offset = block.Groups[2].Index + field.Groups[1].Index;
                Exists(Pointer("." + field.Groups[1].Value)!, field.Groups[1].Value, offset);
            }
        }

        // What the agent compares state with decides what it does next: <check field="current_state.phases.plan.status" equals="complete">.
        foreach (Match check in StateCheck().Matches(text))
        {
            var pointer = Pointer("." + check.Groups[1].Value)!;
            if (!Exists(pointer, "current_state." + check.Groups[1].Value, check.Groups[1].Index)) continue;
            var values = check.Groups[2].Value == "in_values"
                ? QuotedItem().Matches(check.Groups[3].Value).Select(m => (m.Groups[1].Value, check.Groups[3].Index + m.Groups[1].Index)).ToList()
                : [(check.Groups[3].Value, check.Groups[3].Index)];
            foreach (var (value, offset) in values)
            {
                EnumValue(pointer, "current_state." + check.Groups[1].Value, value, offset, compared: true);
            }
        }

        // Whole documents written as JSON templates (the orchestrator's initial state).
        foreach (Match brace in BareBrace().Matches(text))
        {
            var open = brace.Index + brace.Value.IndexOf('{', StringComparison.Ordinal);
            var reader = new LooseJson(text);
            reader.Read(open, string.Empty);
            var rootFields = reader.Values.Count(v => v.Pointer.Count(c => c == '/') == 1 && LintSchema.Field(v.Pointer) is not null);
            if (rootFields >= 2)
            {
                Judge(reader.Values.Where(v => v.Pointer.Length > 0).ToList(), null, -1);
                continue;
            }
            // Not a whole document: in an agent file, a JSON structure made mostly of its own phase output's fields is that output.
            if (role is null || OwnOutput(role) is not { } output) continue;
            var ownFields = reader.Values.Count(v => v.Pointer.Count(c => c == '/') == 1 && LintSchema.Field(output + v.Pointer) is not null);
            if (ownFields < 2) continue;
            var placed = new LooseJson(text);
            placed.Read(open, output);
            Judge(placed.Values.Where(v => v.Pointer != output).ToList(), null, -1);
        }

        // JSON built in pseudo-code and handed to update-state.sh through --json-file: follow the file from WRITE_TOOL to $var[0].
        var sources = Sources(text, jqTargets);
        foreach (Match pseudo in PseudoObject().Matches(text))
        {
            if (!sources.TryGetValue(pseudo.Groups[1].Value, out var pointer)) continue;
            var reader = new LooseJson(text);
            reader.Read(pseudo.Index + pseudo.Length - 1, pointer);
            Judge(reader.Values.Where(v => v.Pointer != pointer).ToList(), null, -1);
        }

        void Judge(IReadOnlyList<LooseValue> values, string? written, int pathOffset)
        {
            var skipUnder = new List<string>();
            var unknownReported = new HashSet<string>(StringComparer.Ordinal);
            foreach (var value in values)
            {
                if (skipUnder.Any(p => value.Pointer.StartsWith(p + "/", StringComparison.Ordinal))) continue;
                var shown = value.Pointer == (values.Count > 0 ? values[0].Pointer : null) && written is not null ? (written.StartsWith('.') ? written : "." + written) : LintSchema.Dotted(value.Pointer);
                var at = value.Pointer == values[0].Pointer && pathOffset >= 0 ? pathOffset : value.Offset;
                if (!Exists(value.Pointer, shown, at, unknownReported))
                {
                    skipUnder.Add(value.Pointer);
                    continue;
                }
                var (node, template, note) = value switch
                {
                    { Kind: LooseKind.Object } => ((JsonNode?)new JsonObject(), false, (string?)null),
                    { Kind: LooseKind.Array, Node: null } => (new JsonArray(), false, null),
                    { Kind: LooseKind.Expression, Identifier: { } name } when choices.TryGetValue(name, out var options) => (JsonValue.Create(options.Split('/')[0]), false, $"{name} ({options})"),
                    { Kind: LooseKind.Expression } => (null, false, null),
                    _ => (value.Node, value.Template, null),
                };
                if (value.Kind == LooseKind.Expression && note is null) continue;
                if (value.Kind == LooseKind.String && node is null) continue;
                var violations = LintSchema.Check(value.Pointer, node, template).Where(v => v.Rule != "additionalProperties" || v.Pointer == value.Pointer).ToList();
                if (violations.Count == 0) continue;
                if (value.Kind == LooseKind.Object) skipUnder.Add(value.Pointer);
                if (violations.Any(v => v.Rule == "enum") && value.Kind == LooseKind.String && node is JsonValue text)
                {
                    EnumValue(value.Pointer, shown, text.GetValue<string>(), value.Offset + 1, compared: false, at);
                    continue;
                }
                var first = violations[0];
                var what = note is null ? Show(value) : note;
                var detail = first.Pointer == value.Pointer ? first.Message : $"{Under(LintSchema.Dotted(first.Pointer)[Math.Min(shown.Length, LintSchema.Dotted(first.Pointer).Length)..].TrimStart('.'))}: {first.Message}";
                if (first.Pointer != value.Pointer && !LintSchema.Dotted(first.Pointer).StartsWith(shown, StringComparison.Ordinal)) detail = first.ToString();
                Add(at, "PTL008", $"{shown} gets {what}: {detail}{Advice(value.Pointer, first)}");
            }
        }

        bool Exists(string pointer, string shown, int offset, HashSet<string>? reportedOnce = null)
        {
            var unknown = LintSchema.Check(pointer, JsonValue.Create(0), typeOnly: true).FirstOrDefault(v => v.Rule == "additionalProperties");
            if (unknown is null) return true;
            // Within one JSON structure, an unknown object is reported once, not once per member.
            if (reportedOnce is not null && !reportedOnce.Add(unknown.Pointer)) return false;
            // An unknown phase in an agent file is PTL005's finding already.
            if (role is not null && unknown.Pointer.StartsWith("/phases/", StringComparison.Ordinal) && unknown.Pointer.Count(c => c == '/') == 2) return false;
            var missing = LintSchema.Dotted(unknown.Pointer);
            var elsewhere = LintSchema.Elsewhere(unknown.Pointer) is { } home ? $"; did you mean {LintSchema.Dotted(home)}?" : string.Empty;
            var parent = unknown.Pointer[..unknown.Pointer.LastIndexOf('/')];
            Add(offset, "PTL007", $"{shown}: {missing} is not a field of the schema ({(parent.Length == 0 ? "root" : LintSchema.Dotted(parent))} allows {Allowed(unknown)}){elsewhere}");
            return false;
        }

        void EnumValue(string pointer, string shown, string value, int offset, bool compared, int? reportAt = null)
        {
            var allowed = LintSchema.AllowedValues(pointer);
            if (allowed.Count == 0 || allowed.Contains(value)) return;
            if (value.Length == 0 || value.Contains('$') || value.Contains('[')) return;
            var respelled = LintSchema.Respelling(value, allowed);
            var verb = compared ? "compares with" : "=";
            var message = compared
                ? $"{shown} {verb} \"{value}\", which the schema never stores: not one of {string.Join(", ", allowed)}"
                : $"{shown} = \"{value}\": not one of {string.Join(", ", allowed)}";
            Add(reportAt ?? offset, "PTL006", message + (respelled is null ? "; no unambiguous respelling, choose one" : $"; lint --fix writes \"{respelled}\""),
                respelled is null ? null : new LintFix(offset, value.Length, respelled));
        }
    }

    /// <summary>The output pointer of the phase <paramref name="role"/> owns (/phases/plan/output for the planner).</summary>
    private static string? OwnOutput(string role) =>
        Contracts.PeerCycleFields.All.FirstOrDefault(f => f.Pointer.StartsWith("/phases/", StringComparison.Ordinal) && f.Pointer.Count(c => c == '/') == 2 && f.Owners.Contains(role))?.Pointer + "/output" is { } output
        && LintSchema.Field(output) is not null ? output : null;

    /// <summary>The JSON Pointer of a dotted jq path; null for template paths (.phases.PHASE_NAME).</summary>
    private static string? Pointer(string dotted)
    {
        var tokens = dotted.Split('.', StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0 || tokens.Any(t => t.Length > 1 && t.All(c => char.IsAsciiLetterUpper(c) || c == '_'))) return null;
        return "/" + string.Join('/', tokens.Select(JsonPointer.Escape));
    }

    private static string Under(string relative) => relative.Length > 0 && relative.All(char.IsAsciiDigit) ? "item " + relative : relative.Replace('.', '/');

    private static string Allowed(Violation unknown)
    {
        var start = unknown.Message.IndexOf("(allowed: ", StringComparison.Ordinal);
        return start < 0 ? "other fields" : unknown.Message[(start + 10)..].TrimEnd(')');
    }

    private static string Show(LooseValue value) => value.Kind switch
    {
        LooseKind.Object => "an object",
        LooseKind.Array => "an array",
        LooseKind.String when value.Node is JsonValue s => "\"" + s.GetValue<string>() + "\"",
        _ => value.Node?.ToJsonString() ?? "a value",
    };

    private static string Advice(string pointer, Violation violation)
    {
        var field = LintSchema.Field(pointer);
        var type = field?.Type ?? "the schema's type";
        return violation.Rule switch
        {
            "type" when pointer.EndsWith("/error", StringComparison.Ordinal) => "; the schema keeps the error as a string: assign the message alone (e.g. $err_msg) and keep details in the phase's output",
            "type" => $"; the schema says {type}",
            "maxItems" => "; keep at most the allowed number of items",
            _ => string.Empty,
        };
    }

    /// <summary>Pseudo-code variables whose JSON reaches a pointer: SET x = {…} → WRITE_TOOL FILE WITH ${x} → FILE_VAR="FILE" → --json-file "v=${FILE_VAR}" → .path = $v[0].</summary>
    private static Dictionary<string, string> Sources(string text, Dictionary<string, string> jqTargets)
    {
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        var fileOf = FileVariable().Matches(text).GroupBy(m => m.Groups[1].Value).ToDictionary(g => g.Key, g => g.First().Groups[2].Value, StringComparer.Ordinal);
        var targetOfFile = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match option in JsonFileOption().Matches(text))
        {
            if (jqTargets.TryGetValue(option.Groups[1].Value, out var pointer) && fileOf.TryGetValue(option.Groups[2].Value, out var file)) targetOfFile.TryAdd(file, pointer);
        }
        var objects = PseudoObject().Matches(text).ToList();
        foreach (Match write in WriteTool().Matches(text))
        {
            if (!targetOfFile.TryGetValue(write.Groups[1].Value, out var pointer)) continue;
            // WRITE_TOOL FILE WITH: ${x}, or a bare WRITE_TOOL FILE right after CREATE x AS {…}.
            var source = write.Groups[2].Success ? write.Groups[2].Value : objects.LastOrDefault(o => o.Index < write.Index)?.Groups[1].Value;
            if (source is not null) sources.TryAdd(source, pointer);
        }
        // A variable named like the field it fills (review_output → .phases.review.output, cycle_summary, insights).
        foreach (Match pseudo in objects)
        {
            var name = pseudo.Groups[1].Value;
            if (sources.ContainsKey(name)) continue;
            var field = Contracts.PeerCycleFields.All.FirstOrDefault(f => f.Path.Replace('.', '_') == name && f.Type.StartsWith("object", StringComparison.Ordinal));
            if (field is not null) sources.TryAdd(name, field.Pointer);
        }
        return sources;
    }
}
