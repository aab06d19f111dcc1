using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using PeerTyped.Client;
using PeerTyped.Client.Jq;

namespace PeerTyped.Integration.Tests;

/// <summary>
/// libjq in process against the jq binary, filter by filter: the same outcome, the same exit code jq would give, the
/// same first error line, and the same output bytes (both print compact JSON with jq 1.6's own printer). Results that
/// hold the current time are compared with every ISO timestamp masked, and checked to be the current time.
/// </summary>
public partial class JqDifferentialTests
{
    public sealed record Case(string Filter, string Input, params JqArgument[] Arguments);

    private static readonly string Fixture = Encoding.UTF8.GetString(Docs.Large());

    private static readonly string SlurpDirectory = Directory.CreateTempSubdirectory("jq-slurp-").FullName;

    private static string SlurpFile(string name, string content)
    {
        var path = Path.Combine(SlurpDirectory, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static JqArgument Arg(string name, string value) => new(JqArgumentKind.Arg, name, value);

    private static JqArgument ArgJson(string name, string value) => new(JqArgumentKind.ArgJson, name, value);

    private static JqArgument Slurp(string name, string path) => new(JqArgumentKind.SlurpFile, name, path);

    private const string Small = """{"a":1,"s":"x","list":[1,2,3],"phases":{"plan":{"status":"pending"}}}""";

    /// <summary>The corpus. Every shape agents use (and near misses of each) is here, so a fast path can be held to it.</summary>
    public static readonly IReadOnlyDictionary<string, Case> Corpus = new Dictionary<string, Case>
    {
        ["identity"] = new(".", Fixture),
        ["assign literal"] = new(""".phases.plan.status = "completed" """, Fixture),
        ["assign literal (small)"] = new(""".phases.plan.status = "completed" """, Small),
        ["assign new path"] = new(""".phases.review.output.notes = "ok" """, Small),
        ["assign number"] = new(".phases.execute.output.progress = 50", Fixture),
        ["assign $arg"] = new(".phases.plan.status = $s", Fixture, Arg("s", "in_progress")),
        ["append $arg"] = new(".phases.execute.output.files_created += [$f]", Fixture, Arg("f", "docs/new.md")),
        ["append to missing"] = new(".phases.plan.output.risks += [$f]", Small, Arg("f", "fsync")),
        ["append to a string (error)"] = new(".s += [$f]", Small, Arg("f", "x")),
        ["assign $argjson"] = new(".context.extra = $v", Fixture, ArgJson("v", """{"a":[1,2,{"b":null}],"n":1.5}""")),
        ["append $argjson"] = new(".list += $v", Small, ArgJson("v", "[4,5]")),
        ["assign now|todate"] = new(".metadata.updated_at = (now|todate)", Fixture),
        ["chain of assignments"] = new(""".phases.plan.status = "completed" | .phases.plan.completed_at = (now|todate) | .metadata.updated_at = (now|todate)""", Fixture),
        ["update-assign"] = new(""".phases.plan |= (.status = "completed")""", Fixture),
        ["update-assign with +"] = new(".a |= . + 1", Small),
        ["arithmetic assign"] = new(".a += 1 | .a *= 3 | .a -= 2", Small),
        ["alternative assign"] = new(""".missing //= "default" """, Small),
        ["slurpfile"] = new(".context.extra = $files[0]", Small, Slurp("files", SlurpFile("one.json", """{"k":"v"}"""))),
        ["slurpfile of several texts"] = new(".context.extra = $files", Small, Slurp("files", SlurpFile("two.json", "1 \"two\" [3]"))),
        ["slurpfile missing"] = new(".", Small, Slurp("files", Path.Combine(SlurpDirectory, "absent.json"))),
        ["slurpfile not JSON"] = new(".", Small, Slurp("files", SlurpFile("bad.json", "{not json"))),
        ["bad --argjson"] = new(".", Small, ArgJson("v", "{bad")),
        ["--argjson with two texts"] = new(".", Small, ArgJson("v", "1 2")),
        ["first binding wins"] = new(".x = $a", Small, Arg("a", "first"), Arg("a", "second")),
        ["first binding wins across kinds"] = new(".x = $a", Small, ArgJson("a", "1"), Arg("a", "second")),
        ["$ARGS"] = new(".x = $ARGS", Small, Arg("a", "1"), ArgJson("b", "[2]")),
        ["$__loc__"] = new("$__loc__", Small),
        ["$__loc__ on line 2"] = new(".\n| $__loc__", Small),
        ["$__prog_args is not jq 1.6"] = new("$__prog_args", Small),
        ["input"] = new("input", Small),
        ["inputs"] = new("[inputs]", Small),
        ["input_filename"] = new("input_filename", Small),
        ["input_line_number"] = new("input_line_number", Small),
        ["error string"] = new("""error("boom")""", Small),
        ["error object"] = new("""error({"a":1})""", Small),
        ["error null (backtracks in 1.6)"] = new("error(null)", Small),
        ["runtime type error"] = new(".a.b = 1", Small),
        ["index a number"] = new(".a.b", Small),
        ["one result then error"] = new("""., error("late")""", Small),
        ["two results then error"] = new("""., ., error("late")""", Small),
        ["empty"] = new("empty", Small),
        ["two results"] = new(".a, .s", Small),
        ["many results"] = new(".list[]", Small),
        ["repeat"] = new("repeat(.)", Small),
        ["limit repeat"] = new("[limit(5; repeat(1))]", Small),
        ["first of several"] = new("first(.list[])", Small),
        ["syntax error"] = new(".a |", Small),
        ["unbalanced"] = new("(.a", Small),
        ["undefined variable"] = new(".x = $nope", Small),
        ["undefined function"] = new("nope(1)", Small),
        ["comment only"] = new("# nothing", Small),
        ["include"] = new("""include "x"; .""", Small),
        ["definitions"] = new("def inc(f): f + 1; def three: 3; .a = (three | inc(.))", Small),
        ["reduce"] = new("reduce range(10) as $i (.; .a += $i)", Small),
        ["as binding"] = new(".phases.plan.status as $s | .copy = $s", Small),
        ["string interpolation"] = new(""".note = "\(.a) and \(.s)" """, Small),
        ["del"] = new("del(.phases)", Small),
        ["with_entries"] = new(""".phases |= with_entries(.value.status = "done")""", Fixture),
        ["to/from entries"] = new("to_entries | from_entries", Fixture),
        ["keys"] = new("{k: keys, u: keys_unsorted}", Fixture),
        ["sort/group/unique"] = new("{s: (.list | sort_by(-.)), u: ([.list[], .list[]] | unique), g: ([.list[] | {v: (. % 2)}] | group_by(.v))}", Small),
        ["regex"] = new("""{t: (.s | test("X"; "i")), m: ("a1b22" | [match("[0-9]+"; "g").string]), s: ("a,b, c" | [splits(", *")])}""", Small),
        ["formats"] = new("""{b: (.s | @base64), d: ("eA==" | @base64d), u: ("a b&c" | @uri), h: ("<&>" | @html), sh: ([.s, "it's"] | @sh), csv: ([1, "a\"b"] | @csv), j: (. | @json)}""", Small),
        ["tojson/fromjson"] = new("""{a: ({"n": 1.0} | tojson), b: ("[1e3, 0.10]" | fromjson)}""", Small),
        ["paths"] = new("[paths] | length", Fixture),
        ["getpath/setpath"] = new("""setpath(["x","y"]; getpath(["phases","plan","status"]))""", Small),
        ["todate fixed"] = new("1700000000 | todate", Small),
        ["fromdate"] = new("\"2026-11-28T13:41:03Z\" | fromdate", Small),
        ["gmtime/mktime/strftime"] = new("""1700000000 | {g: gmtime, m: (gmtime | mktime), f: strftime("%Y-%m-%dT%H:%M:%SZ %A %j")}""", Small),
        ["now is a number"] = new("now | type", Small),
        ["now|todate shape"] = new("""now | todate | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")""", Small),
        ["unicode literal"] = new(""".s = "héllo ☃ 𝄞 \u00e9" """, Small),
        ["unicode input"] = new(".", """{"s":"caf\u00e9 \ud834\udd1e ☃","k\u00e9y":"\u0000\u001f\"\\/"}"""),
        ["lone surrogate in input"] = new(".", """{"s":"\ud800"}"""),
        ["unicode functions"] = new("""{l: ("héllo☃" | length), u: ("héllo" | ascii_upcase), e: ("☃" | explode), i: ([9731, 233] | implode), b: ("𝄞" | utf8bytelength)}""", Small),
        ["big numbers"] = new(".", """{"n":9223372036854775808,"m":1.0,"e":1e400,"ne":-1e400,"f":0.1,"g":1e-7,"h":100000000000000000000,"i":12345678901234567890,"j":1.5e300,"k":-0,"l":0.30000000000000004}"""),
        ["big number arithmetic"] = new("{a: (9007199254740993 + 0), b: (1e308 * 10), c: (1 / 3), d: ([1e17, 1e16, 123456789012] | map(tostring))}", Small),
        ["nan and infinite"] = new("{n: nan, i: infinite, m: -infinite, t: (nan | type), c: ([nan] | sort)}", Small),
        ["halt"] = new("halt", Small),
        ["result then halt"] = new("., halt", Small),
        ["halt_error string"] = new("\"bye\\n\" | halt_error", Small),
        ["halt_error object"] = new("""{"a":1} | halt_error(1)""", Small),
        ["halt_error exit 0"] = new("\"quiet\" | halt_error(0)", Small),
        ["halt_error exit 300"] = new("\"wrapped\" | halt_error(300)", Small),
        ["debug"] = new(".a |= debug", Small),
        ["env is empty"] = new("{e: env, E: $ENV, p: env.PATH, h: $ENV.HOME}", Small),
        ["env in an assignment"] = new(".context.leak = ($ENV | tostring)", Small),
        ["long output"] = new("""[range(20000) | "item \(.)"]""", Small),
        ["deep but fine"] = new("reduce range(60) as $i (1; [.])", Small),
        ["object construction"] = new("{cycle_id, status: .metadata.status, phases: (.phases | keys)}", Fixture),
        ["optional and alternative"] = new("{a: .nope?.x, b: (.a // 5), c: [.[]?], d: (try error(\"x\") catch .)}", Small),
        ["label/break"] = new("[label $out | .list[] | if . == 2 then break $out else . end]", Small),
        ["limit/until/while"] = new("{u: (0 | until(. > 5; . + 2)), w: [1 | while(. < 20; . * 3)], r: [range(0; 10; 3)]}", Small),
        ["path expressions"] = new("""[path(..)] | length""", Fixture),
        ["tostream/fromstream"] = new("fromstream(tostream)", Fixture),
        ["walk"] = new("walk(if type == \"number\" then . + 1 else . end)", Small),
        ["ltrimstr/split/join"] = new("""{a: ("peer.spec.x" | ltrimstr("peer.")), b: ("a.b.c" | split(".") | join("/")), c: ("x" * 3)}""", Small),
        ["sql-ish builtins"] = new("{i: (.list | index(2)), c: (.list | contains([2])), a: (.list | any(. > 2)), m: (.list | max), s: (.list | add)}", Small),
        ["getpath on fixture"] = new("""getpath(["phases","execute","output","files_created"]) | length""", Fixture),
        // Shapes of the fast path and their near misses (the fast path must decline every near miss or agree with jq).
        ["fast: chain with a pipe in a string"] = new(""".phases.plan.status = "a|b" | .phases.plan.note = "c = d" """, Small),
        ["fast: append several values"] = new(""".phases.plan.output.risks += ["a", $f, 3, -4, null, true, (now|todate)]""", Fixture, Arg("f", "fsync")),
        ["fast: append to an array"] = new(".list += [4]", Small),
        ["fast: no spaces"] = new(".a.b=1|.c+=[2]", """{"c":[],"a":{}}"""),
        ["fast: null on the way"] = new(".p.q.r = 1", """{"p":null}"""),
        ["fast: keyword fields"] = new(".if = 1 | .and.or = 2 | .__loc__ = 3", Small),
        ["fast: $argjson object"] = new(".context.extra = $v", Fixture, ArgJson("v", """{"k":[1,2,"x"],"b":false}""")),
        ["fast: $argjson string"] = new(".s = $v", Small, ArgJson("v", "\"str\"")),
        ["fast: slurpfile whole"] = new(".context.extra = $files", Small, Slurp("files", SlurpFile("fast.json", "1 \"two\" [3] null {\"a\":4}"))),
        ["fast: argument bound twice"] = new(".x = $a", Small, Arg("a", "first"), ArgJson("a", "2")),
        ["fast: unicode in a literal and an argument"] = new(".s = \"héllo ☃ 𝄞\" | .t = $u", Small, Arg("u", "ünï 𝄞")),
        ["fast: pretty input"] = new(".a = 2", "{\n  \"a\": 1,\n  \"b\": [1, 2]\n}\n"),
        ["fast: counter"] = new(".phases.plan.output.estimated_duration += 1 | .a += -3 | .missing += 5", Fixture.Replace("\"phases\"", "\"a\": 2, \"phases\"", StringComparison.Ordinal)),
        ["fast: counter near 15 digits"] = new(".a += 1", """{"a":999999999999998}"""),
        ["near: counter past 15 digits"] = new(".a += 1", """{"a":999999999999999}"""),
        ["near: counter on a string"] = new(".s += 1", Small),
        ["near: counter by a fraction"] = new(".a += 1.5", Small),
        ["near: counter by a variable"] = new(".a += $n", Small, ArgJson("n", "2")),
        ["near: literal 1.0"] = new(".a = 1.0", Small),
        ["near: literal 1e3"] = new(".a = 1e3", Small),
        ["near: literal -0"] = new(".a = -0", Small),
        ["near: 16-digit integer"] = new(".a = 1234567890123456", Small),
        ["near: escape in a literal"] = new(""".a = "\u00e9" """, Small),
        ["near: interpolation"] = new(""".a = "x\(1)" """, Small),
        ["near: $argjson 1.5"] = new(".a = $v", Small, ArgJson("v", "1.5")),
        ["near: $argjson big"] = new(".a = $v", Small, ArgJson("v", "12345678901234567890")),
        ["near: $argjson null"] = new(".a = $v", Small, ArgJson("v", "null")),
        ["near: document with big numbers"] = new(".x = 1", """{"n":9223372036854775808,"m":1.0}"""),
        ["near: document with an escape"] = new(".x = 1", """{"s":"caf\u00e9"}"""),
        ["near: document with a lone surrogate"] = new(".x = 1", """{"s":"\ud800"}"""),
        ["near: duplicate keys"] = new(".x = 1", """{"a":1,"a":2}"""),
        ["near: document is an array"] = new(".a = 1", "[1]"),
        ["near: through a number"] = new(".a.b = 1", Small),
        ["near: through an array"] = new(".list.x = 1", Small),
        ["near: through a string"] = new(".s.x = 1", Small),
        ["near: append to a number"] = new(".a += [1]", Small),
        ["near: append a number"] = new(".list += 1", Small),
        ["near: append nothing"] = new(".list += []", Small),
        ["near: append to an object"] = new(".phases += [1]", Small),
        ["near: undefined variable"] = new(".a = $nope", Small),
        ["near: $__loc__"] = new(".a = $__loc__", Small),
        ["near: $ENV"] = new(".a = $ENV", Small),
        ["near: $ARGS"] = new(".a = $ARGS", Small, Arg("x", "1")),
        ["near: comma"] = new(".a = 1, .b = 2", Small),
        ["near: update-assign"] = new(".a |= 2", Small),
        ["near: comparison"] = new(".a == 1", Small),
        ["near: double assignment"] = new(".a = .b = 1", Small),
        ["near: space inside a path"] = new(".a .b = 1", Small),
        ["near: bracket path"] = new(""".["a"] = 2""", Small),
        ["near: comment"] = new(".a = 2 # set a", Small),
        ["near: now without todate"] = new(".a = now | .a |= type", Small),
        ["near: empty step"] = new(".a = 1 |", Small),
        ["near: slurpfile missing"] = new(".a = $files", Small, Slurp("files", Path.Combine(SlurpDirectory, "absent.json"))),
        ["near: slurpfile with a float"] = new(".a = $files", Small, Slurp("files", SlurpFile("float.json", "1.5"))),
    };

    /// <summary>Corpus cases the fast path answers itself; every other case must go to jq.</summary>
    private static readonly HashSet<string> FastPathCases = new(StringComparer.Ordinal)
    {
        "assign literal", "assign literal (small)", "assign new path", "assign number", "assign $arg", "append $arg", "append to missing",
        "assign now|todate", "chain of assignments", "first binding wins", "first binding wins across kinds", "slurpfile of several texts",
        "fast: chain with a pipe in a string", "fast: append several values", "fast: append to an array", "fast: no spaces",
        "fast: null on the way", "fast: keyword fields", "fast: $argjson object", "fast: $argjson string", "fast: slurpfile whole",
        "fast: argument bound twice", "fast: unicode in a literal and an argument", "fast: pretty input",
        "fast: counter", "fast: counter near 15 digits",
    };

    public static TheoryData<string> CaseNames() => new(Corpus.Keys);

    private static readonly JqOptions InProcess = new() { Engine = JqEngine.InProcess };
    private static readonly JqOptions Binary = new() { Engine = JqEngine.Process };

    [GeneratedRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")]
    private static partial Regex Timestamp();

    private static string Describe(JqResult result) =>
        $"{result.Outcome} exit {result.ExitCode}: {result.Message} | {(result.Output is null ? "(none)" : Timestamp().Replace(Encoding.UTF8.GetString(result.Output), "<now>"))}";

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Libjq_in_process_gives_what_the_jq_binary_gives(string name)
    {
        var @case = Corpus[name];
        var input = Encoding.UTF8.GetBytes(@case.Input);
        using var expected = JqFilter.Create(@case.Filter, @case.Arguments, Binary);
        using var actual = JqFilter.Create(@case.Filter, @case.Arguments, InProcess);
        Assert.Equal("libjq", actual.EngineName);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var binary = await expected.RunAsync(input);
        var libjq = await actual.RunAsync(input);
        Assert.Equal(Describe(binary), Describe(libjq));
        // The compiled state is reused by the next compare-and-set attempt: the second run must agree with the first.
        var again = await actual.RunAsync(input);
        Assert.Equal(Describe(libjq), Describe(again));
        if (libjq.Output is { } output)
        {
            foreach (Match stamp in Timestamp().Matches(Encoding.UTF8.GetString(output)))
            {
                var when = DateTimeOffset.Parse(stamp.Value, System.Globalization.CultureInfo.InvariantCulture);
                if (when.Year > 2026 || (@case.Filter.Contains("now", StringComparison.Ordinal) && !@case.Input.Contains(stamp.Value, StringComparison.Ordinal)))
                {
                    Assert.InRange(when, before, DateTimeOffset.UtcNow.AddSeconds(1));
                }
            }
        }
    }

    /// <summary>The same JSON: values and member order as jq printed them, whatever the escaping.</summary>
    private static string Canonical(JqResult result)
    {
        if (result.Output is null) return Describe(result);
        var relaxed = new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        var text = System.Text.Json.Nodes.JsonNode.Parse(result.Output)?.ToJsonString(relaxed) ?? "null";
        return $"{result.Outcome}: {Timestamp().Replace(text, "<now>")}";
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task The_fast_path_or_its_fallback_gives_what_the_jq_binary_gives(string name)
    {
        var @case = Corpus[name];
        var input = Encoding.UTF8.GetBytes(@case.Input);
        using var expected = JqFilter.Create(@case.Filter, @case.Arguments, Binary);
        using var actual = JqFilter.Create(@case.Filter, @case.Arguments);
        var binary = await expected.RunAsync(input);
        var auto = await actual.RunAsync(input);
        // The store re-reads whatever jq prints, so the same JSON is what must agree; errors must agree exactly.
        Assert.Equal(Canonical(binary), Canonical(auto));
        Assert.Equal(binary.Output is null ? Describe(binary) : string.Empty, auto.Output is null ? Describe(auto) : string.Empty);
        Assert.True(FastPathCases.Contains(name) == (actual.FastPathRuns == 1), $"{name}: the fast path ran {actual.FastPathRuns} times");
    }

    [Fact]
    public async Task The_corpus_covers_each_outcome()
    {
        var outcomes = new HashSet<JqOutcome>();
        foreach (var @case in Corpus.Values)
        {
            using var filter = JqFilter.Create(@case.Filter, @case.Arguments, InProcess);
            outcomes.Add((await filter.RunAsync(Encoding.UTF8.GetBytes(@case.Input))).Outcome);
        }
        Assert.Superset(new HashSet<JqOutcome> { JqOutcome.Document, JqOutcome.NoDocument, JqOutcome.SeveralDocuments, JqOutcome.CompileError, JqOutcome.RuntimeError }, outcomes);
    }

    [Theory]
    [InlineData(JqEngine.InProcess)]
    [InlineData(JqEngine.Process)]
    public async Task No_variable_of_this_process_reaches_the_filter_unless_named(JqEngine engine)
    {
        // A credential in the environment of the process running jq, as NATS_PASSWORD is for peer-typed.
        Environment.SetEnvironmentVariable("NATS_PASSWORD_JQ_TEST", "s3cret-jq-test");
        Environment.SetEnvironmentVariable("PEER_JQ_TEST_VISIBLE", "shown");
        using var hidden = JqFilter.Create("[env, $ENV] | tostring", [], new JqOptions { Engine = engine });
        var all = await hidden.RunAsync("{}"u8.ToArray());
        Assert.Equal("\"[{},{}]\"", Encoding.UTF8.GetString(all.Output!));

        using var named = JqFilter.Create("{e: env.PEER_JQ_TEST_VISIBLE, E: $ENV.PEER_JQ_TEST_VISIBLE, n: (env | length)}", [], new JqOptions { Engine = engine, ExposedEnvironment = ["PEER_JQ_TEST_VISIBLE", "PEER_JQ_TEST_UNSET"] });
        Assert.Equal("""{"e":"shown","E":"shown","n":1}""", Encoding.UTF8.GetString((await named.RunAsync("{}"u8.ToArray())).Output!));

        var refused = Assert.Throws<PeerUsageException>(() => JqFilter.Create(".", [], new JqOptions { Engine = engine, ExposedEnvironment = ["NATS_PASSWORD_JQ_TEST", "MY_API_TOKEN"] }));
        Assert.Contains("NATS_PASSWORD_JQ_TEST, MY_API_TOKEN", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_jq_child_is_stopped_at_the_time_limit()
    {
        // In process a run that never ends is abandoned, not stopped, so it is tested through the CLI (which exits).
        using var filter = JqFilter.Create("def f: f; f", [], new JqOptions { Engine = JqEngine.Process, Timeout = TimeSpan.FromSeconds(1) });
        var result = await filter.RunAsync("{}"u8.ToArray());
        Assert.Equal(JqOutcome.TimedOut, result.Outcome);
        Assert.Contains("longer than 1 s", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_jq_child_is_stopped_at_the_memory_cap()
    {
        using var filter = JqFilter.Create("[repeat(.)]", [], new JqOptions { Engine = JqEngine.Process, MaxMemoryBytes = 64L << 20, Timeout = TimeSpan.FromSeconds(60) });
        var result = await filter.RunAsync("""{"a":"some text to copy"}"""u8.ToArray());
        Assert.Equal(JqOutcome.MemoryExceeded, result.Outcome);
    }

    [Theory]
    [InlineData(JqEngine.InProcess)]
    [InlineData(JqEngine.Process)]
    public async Task A_result_over_the_output_cap_is_refused(JqEngine engine)
    {
        using var filter = JqFilter.Create("[range(100000)]", [], new JqOptions { Engine = engine, MaxOutputBytes = 4096 });
        var result = await filter.RunAsync("{}"u8.ToArray());
        Assert.Equal(JqOutcome.OutputTooLarge, result.Outcome);
        Assert.Null(result.Output);
    }

    /// <summary>
    /// Every jv taken from libjq must be freed exactly once: a double free crashes this test host; a leak shows as a
    /// resident set that keeps growing from one block of runs to the next (a leaked 13 KB document per run would add
    /// 39 MB per block). The first block warms up (allocator arenas, thread stacks), the second must not grow.
    /// </summary>
    private static async Task AssertNoGrowthAsync(string label, Func<Task> run, int warmUp = 1_000, int runs = 3_000)
    {
        for (var i = 0; i < warmUp; i++) await run();
        GC.Collect();
        var before = Environment.WorkingSet;
        for (var i = 0; i < runs; i++) await run();
        GC.Collect();
        var grown = Environment.WorkingSet - before;
        Assert.True(grown < 16L << 20, $"{label}: the resident set grew by {grown >> 20} MiB over {runs} runs after {warmUp} warm-up runs");
    }

    [Fact]
    public async Task Repeated_runs_of_one_compiled_filter_do_not_leak()
    {
        var input = Docs.Large();
        using var filter = JqFilter.Create(""".phases.execute.output.files_created += [$f] | .metadata.updated_at = (now|todate)""", [Arg("f", "x.md")], InProcess);
        await AssertNoGrowthAsync("one document", async () => Assert.Equal(JqOutcome.Document, (await filter.RunAsync(input)).Outcome));
    }

    [Fact]
    public async Task Failing_runs_free_what_they_took()
    {
        var input = Docs.Large();
        using var several = JqFilter.Create(".phases[]", [], InProcess);
        using var failing = JqFilter.Create(""".metadata, error({"big": .})""", [], InProcess);
        using var halting = JqFilter.Create(""". , ({"big": .} | halt_error(3))""", [], InProcess);
        // A second result ends the run mid-execution and the state is compiled afresh (~23 ms), hence fewer runs.
        await AssertNoGrowthAsync("several documents", async () => Assert.Equal(JqOutcome.SeveralDocuments, (await several.RunAsync(input)).Outcome), 50, 250);
        await AssertNoGrowthAsync("an error after one document", async () => Assert.Equal(JqOutcome.RuntimeError, (await failing.RunAsync(input)).Outcome));
        await AssertNoGrowthAsync("halt_error", async () => Assert.Equal(JqOutcome.RuntimeError, (await halting.RunAsync(input)).Outcome));
    }
}
