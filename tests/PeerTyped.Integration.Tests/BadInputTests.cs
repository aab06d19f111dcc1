using System.Text;
using PeerTyped.Client;

namespace PeerTyped.Integration.Tests;

/// <summary>One server, one bucket with one document, and a small bucket for oversize documents, shared by every case.</summary>
public sealed class BadInputFixture : IAsyncLifetime
{
    public const string Key = "peer.spec.demo.cycle.1";
    public const string NewKey = "peer.spec.demo.cycle.2";
    public const string TinyBucket = "peer-tiny";

    public NatsServer Server { get; private set; } = null!;
    public CliRunner Cli { get; private set; } = null!;
    public PeerStateStore Store { get; private set; } = null!;
    public PeerStateStore Tiny { get; private set; } = null!;

    public string File(string name) => Path.Combine(Cli.Home, name);

    public async Task InitializeAsync()
    {
        Server = await NatsServer.StartAsync();
        Cli = new CliRunner(Server);
        Store = await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [Server.Url] }, new PeerStoreOptions { Bucket = Cli.Bucket });
        await Store.EnsureBucketAsync();
        await Store.CreateAsync(Key, Docs.New(Key));
        await Store.CreateAsync("peer.spec.demo.cycle.3", Docs.New("peer.spec.demo.cycle.3"));
        Tiny = await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [Server.Url] }, new PeerStoreOptions { Bucket = TinyBucket, MaxValueSize = 1000 });
        await Tiny.EnsureBucketAsync();
        await Tiny.CreateAsync(Key, Docs.New(Key));

        var invalidUtf8 = Docs.New(NewKey).ToUtf8Bytes();
        invalidUtf8[Array.IndexOf(invalidUtf8, (byte)'W')] = 0xC3;
        await System.IO.File.WriteAllBytesAsync(File("invalid-utf8.json"), invalidUtf8);
        await System.IO.File.WriteAllBytesAsync(File("invalid-utf8-patch.json"), [(byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}']);
        var deep = Encoding.UTF8.GetString(Docs.New(NewKey).ToUtf8Bytes()).Replace("\"Write the spec.\"", "\"x\",\"deep\":" + new string('[', 5000) + new string(']', 5000), StringComparison.Ordinal);
        await System.IO.File.WriteAllTextAsync(File("deep.json"), deep);
        await System.IO.File.WriteAllTextAsync(File("deep-patch.json"), "{\"metadata\":" + new string('[', 5000) + new string(']', 5000) + "}");

        // Issue 13: a document over the bucket's 1 MiB max value size, one with a member twice, a stored document of
        // another cycle, a selected nats context that does not exist, an nkey seed with a broken checksum.
        var big = Encoding.UTF8.GetString(Docs.New(NewKey).ToUtf8Bytes()).Replace("\"Write the spec.\"", "\"" + new string('x', 1024 * 1024) + "\"", StringComparison.Ordinal);
        await System.IO.File.WriteAllTextAsync(File("big.json"), big);
        var json = Encoding.UTF8.GetString(Docs.New(NewKey).ToUtf8Bytes());
        await System.IO.File.WriteAllTextAsync(File("duplicate.json"), "{\"version\":1," + json[1..]);
        await RawPublish.PutAsync(Server, Cli.Bucket, WrongCycleKey, Docs.New("peer.spec.demo.cycle.2").ToUtf8Bytes());
        Directory.CreateDirectory(Path.Combine(File("config"), "nats"));
        await System.IO.File.WriteAllTextAsync(Path.Combine(File("config"), "nats", "context.txt"), "gone\n");
        using (var pair = NATS.NKeys.KeyPair.CreatePair(NATS.NKeys.PrefixByte.User))
        {
            var seed = pair.GetSeed().ToCharArray();
            seed[^3] = seed[^3] == 'A' ? 'B' : 'A';
            await System.IO.File.WriteAllTextAsync(File("broken.nk"), new string(seed) + "\n");
        }
    }

    /// <summary>Holds cycle 2's document under cycle 4's key, written around the gate.</summary>
    public const string WrongCycleKey = "peer.spec.demo.cycle.4";

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        await Tiny.DisposeAsync();
        await Server.DisposeAsync();
    }
}

/// <summary>
/// Bad input through the CLI and the wrappers: each case gets its documented exit code, exactly one ERROR line naming
/// what was wrong, nothing on stdout, and the buckets' message counts unchanged, read from the stream itself.
/// </summary>
public class BadInputTests(BadInputFixture fixture) : IClassFixture<BadInputFixture>
{
    private const string K = BadInputFixture.Key;
    private const string New = BadInputFixture.NewKey;
    private const string Missing = "peer.spec.demo.cycle.99";

    /// <summary>Program (peer-typed or a wrapper), arguments, role, stdin, exit code, and a fragment of the ERROR line.</summary>
    private sealed record Case(string Program, string[] Arguments, string? Role, string? Stdin, int ExitCode, string Message, bool ServerDown = false, Dictionary<string, string?>? Environment = null);

    private static Dictionary<string, string?> With(string name, string? value) => new() { [name] = value };

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // malformed JSON
        ["create-state: truncated JSON"] = new("create-state.sh", [New, "{\"version\": 1,"], null, null, 4, "malformed JSON"),
        ["create: truncated JSON on stdin"] = new("peer-typed", ["create", New, "-"], null, "{\"version\": 1,", 4, "malformed JSON"),
        ["create-state: not JSON"] = new("create-state.sh", [New, "not json"], null, null, 4, "malformed JSON"),
        ["patch: truncated merge patch"] = new("peer-typed", ["patch", K, "--merge", "{\"phases\": "], null, null, 4, "the merge patch is not valid JSON"),
        ["validate: broken JSON"] = new("peer-typed", ["validate", "-"], null, "{bad", 4, "stdin: (document): malformed JSON"),
        ["update: jq yields a string"] = new("peer-typed", ["update", K, "--jq", "\"not an object\""], null, null, 4, "(document): \"not an object\" is not an object"),
        ["update: jq yields an array"] = new("peer-typed", ["update", K, "--jq", "[1,2]"], null, null, 4, "(document): an array is not an object"),
        ["set: broken JSON array"] = new("peer-typed", ["set", K, "execute.output.files_created", "[\"a\","], "executor", null, 4, "expected a JSON array of string"),
        ["set: broken JSON object"] = new("peer-typed", ["set", K, "execute.output.results", "{\"a\":"], "executor", null, 4, "expected a JSON object"),
        // wrong types
        ["set: number from letters"] = new("peer-typed", ["set", K, "review.output.quality_score", "abc"], "review", null, 4, "/phases/review/output/quality_score: expected a number (at most 28 significant digits), got \"abc\""),
        ["set: boolean from yes"] = new("peer-typed", ["set", K, "context.spec_aware", "yes"], "orchestrator", null, 4, "/context/spec_aware: expected true or false"),
        ["set: integer from a fraction"] = new("peer-typed", ["set", K, "metadata.cycle_number", "1.5"], "review", null, 4, "expected an integer"),
        ["set: date-time from words"] = new("peer-typed", ["set", K, "plan.started_at", "yesterday"], "planner", null, 4, "expected an RFC 3339 date-time"),
        ["set: negative duration"] = new("peer-typed", ["set", K, "plan.output.estimated_duration", "-5"], "planner", null, 4, "/phases/plan/output/estimated_duration: -5 is less than the minimum 0"),
        ["patch: number as string"] = new("peer-typed", ["patch", K, "--merge", "{\"phases\":{\"review\":{\"output\":{\"quality_score\":\"88\"}}}}"], "review", null, 4, "/phases/review/output/quality_score: \"88\" is not a number"),
        ["update: boolean as string"] = new("peer-typed", ["update", K, "--jq", ".context.spec_aware = \"yes\""], "orchestrator", null, 4, "/context/spec_aware: \"yes\" is not a boolean"),
        ["update: progress as a number"] = new("peer-typed", ["update", K, "--jq", ".phases.execute.output.progress = 150"], "executor", null, 4, "/phases/execute/output/progress: 150 is not a string"),
        ["update: negative score"] = new("peer-typed", ["update", K, "--jq", ".phases.review.output.quality_score = -1"], "review", null, 4, "-1 is less than the minimum 0"),
        ["set: field of an absent summary"] = new("peer-typed", ["set", K, "cycle_summary.completion", "50"], "review", null, 4, "'cycle_summary' does not exist yet"),
        ["update: four highlights"] = new("peer-typed", ["update", K, "--jq", ".cycle_summary = {success: true, summary: \"s\", highlights: [\"a\",\"b\",\"c\",\"d\"]}"], "review", null, 4, "/cycle_summary/highlights: has 4 items, more than the maximum 3"),
        ["set: version 2"] = new("peer-typed", ["set", K, "version", "2"], "orchestrator", null, 4, "/version: 2 is not one of 1, 1.1"),
        ["update: cycle id changed"] = new("peer-typed", ["update", K, "--jq", ".cycle_id = \"peer.spec.demo.cycle.3\""], "orchestrator", null, 4, "/cycle_id: \"peer.spec.demo.cycle.3\" must equal the key"),
        ["update: key prefix changed"] = new("peer-typed", ["update", K, "--jq", ".metadata.key_prefix = \"peer.spec.other\""], null, null, 4, "/metadata/key_prefix: \"peer.spec.other\" must equal the key's prefix"),
        // enum misspellings
        ["set: COMPLETD"] = new("peer-typed", ["set", K, "metadata.status", "COMPLETD"], null, null, 4, "expected one of INITIALIZED, PLANNING, EXECUTING, EXPRESSING, REVIEWING, COMPLETED, FAILED"),
        ["set: Completed capitalised"] = new("peer-typed", ["set", K, "plan.status", "Completed"], "planner", null, 4, "expected one of pending, in_progress, completed, failed"),
        ["set: phase name planning"] = new("peer-typed", ["set", K, "metadata.current_phase", "planning"], null, null, 4, "expected one of plan, execute, express, review"),
        ["update: DONE"] = new("peer-typed", ["update", K, "--jq", ".metadata.status = \"DONE\""], null, null, 4, "/metadata/status: \"DONE\" is not one of"),
        ["update-state: COMPLETD"] = new("update-state.sh", [K, ".metadata.status = \"COMPLETD\""], null, null, 4, "/metadata/status: \"COMPLETD\" is not one of"),
        ["patch: peer mode fresh"] = new("peer-typed", ["patch", K, "--merge", "{\"context\":{\"peer_mode\":\"fresh\"}}"], "orchestrator", null, 4, "/context/peer_mode: \"fresh\" is not one of new, continue"),
        ["update-state: phase status done"] = new("update-state.sh", [K, ".phases.plan.status = \"done\""], "planner", null, 4, "/phases/plan/status: \"done\" is not one of pending, in_progress, completed, failed"),
        // unknown paths
        ["set: typo in path"] = new("peer-typed", ["set", K, "plan.staus", "completed"], "planner", null, 2, "unknown path 'plan.staus'"),
        ["set: long form path"] = new("peer-typed", ["set", K, "phases.plan.status", "completed"], "planner", null, 2, "unknown path 'phases.plan.status'"),
        ["set: metadata field that does not exist"] = new("peer-typed", ["set", K, "metadata.owner", "me"], null, null, 2, "unknown path 'metadata.owner'"),
        // issue 16: a phase output keeps extra members, so execute.output.unknown_field is a short path now (CliConventionTests); a closed object's is not.
        ["set: extra field on a closed object"] = new("peer-typed", ["set", K, "execute.unknown_field", "1"], "executor", null, 2, "unknown path 'execute.unknown_field'"),
        ["get: unknown path"] = new("peer-typed", ["get", K, "--path", "plan.nothing"], null, null, 2, "unknown path 'plan.nothing'"),
        // another role's section
        ["set: planner writes execute"] = new("peer-typed", ["set", K, "execute.status", "completed"], "planner", null, 6, "role 'planner' may not change /phases/execute/status (owned by executor)"),
        ["update: executor writes review"] = new("peer-typed", ["update", K, "--jq", ".phases.review.status = \"completed\""], "executor", null, 6, "role 'executor' may not change /phases/review/status (owned by review)"),
        ["patch: review writes plan"] = new("peer-typed", ["patch", K, "--merge", "{\"phases\":{\"plan\":{\"status\":\"failed\"}}}"], "review", null, 6, "role 'review' may not change /phases/plan/status (owned by planner)"),
        ["update-state: planner writes express"] = new("update-state.sh", [K, ".phases.express.status = \"completed\""], "planner", null, 6, "may not change /phases/express/status (owned by express)"),
        ["update: planner writes context"] = new("peer-typed", ["update", K, "--jq", ".context.user_requirements = \"x\""], "planner", null, 6, "may not change /context/user_requirements (owned by orchestrator)"),
        ["patch: express writes the insights"] = new("peer-typed", ["patch", K, "--merge", "{\"insights\":{\"learnings\":[]}}"], "express", null, 6, "may not change /insights (owned by review)"),
        ["update-state: two phases without a role"] = new("update-state.sh", [K, ".phases.plan.status = \"completed\" | .phases.execute.status = \"completed\""], null, null, 6, "with no role (PEER_ROLE unset)"),
        ["set: two phases without a role"] = new("peer-typed", ["set", K, "plan.status", "completed", "review.status", "completed"], null, null, 6, "with no role (PEER_ROLE unset)"),
        ["set: unknown role"] = new("peer-typed", ["set", K, "plan.status", "completed"], "plannr", null, 2, "unknown role 'plannr'"),
        // fields the schema does not have
        ["update: root field"] = new("peer-typed", ["update", K, "--jq", ".extra = 1"], null, null, 4, "/extra: property \"extra\" is not allowed here"),
        ["patch: root object"] = new("peer-typed", ["patch", K, "--merge", "{\"foo\":{\"bar\":1}}"], null, null, 4, "/foo: property \"foo\" is not allowed here"),
        ["update-state: phase typo"] = new("update-state.sh", [K, ".phases.paln = {\"status\": \"pending\"}"], null, null, 4, "/phases/paln: property \"paln\" is not allowed here"),
        ["update: metadata field"] = new("peer-typed", ["update", K, "--jq", ".metadata.owner = \"me\""], null, null, 4, "/metadata/owner: property \"owner\" is not allowed here"),
        // empty documents
        ["create-state: empty"] = new("create-state.sh", [New, ""], null, null, 2, "STATE_KEY and INITIAL_JSON are required"),
        ["create: empty stdin"] = new("peer-typed", ["create", New, "-"], null, "", 4, "the document is empty"),
        ["update: null"] = new("peer-typed", ["update", K, "--jq", "null"], null, null, 4, "(document): null is not an object"),
        ["update: empty object"] = new("peer-typed", ["update", K, "--jq", "{}"], null, null, 4, "required property \"version\" is missing"),
        // jq filters that fail
        ["update: filter does not compile"] = new("peer-typed", ["update", K, "--jq", ".phases.plan.status = "], null, null, 2, "the jq filter does not compile"),
        ["update: filter raises an error"] = new("peer-typed", ["update", K, "--jq", "error(\"boom\")"], null, null, 4, "the jq filter failed (exit 5): jq: error (at <stdin>:0): boom"),
        ["update: filter yields nothing"] = new("peer-typed", ["update", K, "--jq", "empty"], null, null, 4, "produced no document"),
        ["update: filter yields two documents"] = new("peer-typed", ["update", K, "--jq", "., ."], null, null, 4, "produced 2 or more documents"),
        ["update-state: filter raises an error"] = new("update-state.sh", [K, "error(\"x\")"], null, null, 4, "the jq filter failed"),
        ["update: bad --argjson"] = new("peer-typed", ["update", K, "--jq", ".", "--argjson", "n", "{bad"], null, null, 2, "the jq filter does not compile"),
        ["update-state: --json-file without a path"] = new("update-state.sh", [K, ".", "--json-file", "files"], null, null, 2, "--json-file expects VAR=PATH"),
        ["update-state: --json-file that does not exist"] = new("update-state.sh", [K, ".", "--json-file", "files=/nonexistent/files.json"], null, null, 2, "cannot read /nonexistent/files.json"),
        // keys
        ["get: key with a space"] = new("peer-typed", ["get", "peer.spec.has space.cycle.1"], null, null, 2, "cannot contain white space"),
        ["get: key with *"] = new("peer-typed", ["get", "peer.spec.*.cycle.1"], null, null, 2, "cannot contain the wildcards * or >"),
        ["get: key with >"] = new("peer-typed", ["get", "peer.spec.>"], null, null, 2, "cannot contain the wildcards * or >"),
        ["get: empty token"] = new("peer-typed", ["get", "peer..demo.cycle.1"], null, null, 2, "cannot have empty tokens"),
        ["get: trailing dot"] = new("peer-typed", ["get", "peer.spec.demo.cycle.1."], null, null, 2, "cannot have empty tokens"),
        ["get: cycle zero"] = new("peer-typed", ["get", "peer.spec.demo.cycle.0"], null, null, 2, "not a PEER cycle key"),
        ["get: not a PEER key"] = new("peer-typed", ["get", "other.key"], null, null, 2, "not a PEER cycle key"),
        ["set: no key at all"] = new("peer-typed", ["set", "plan.status", "completed"], "planner", null, 2, "no key given"),
        ["read-state: empty key"] = new("read-state.sh", [""], null, null, 2, "STATE_KEY is required"),
        ["cycle next: bad prefix"] = new("peer-typed", ["cycle", "next", "peer.bogus"], null, null, 2, "not a PEER key prefix"),
        // missing and existing keys
        ["get: missing key"] = new("peer-typed", ["get", Missing], null, null, 5, $"{Missing}: not found"),
        ["set: missing key"] = new("peer-typed", ["set", Missing, "plan.status", "completed"], "planner", null, 5, $"{Missing}: not found"),
        ["update-state: missing key"] = new("update-state.sh", [Missing, "."], null, null, 5, $"{Missing}: not found"),
        ["read-state: missing key"] = new("read-state.sh", [Missing], null, null, 5, $"{Missing}: not found"),
        ["get: missing revision"] = new("peer-typed", ["get", K, "--revision", "999"], null, null, 5, "revision 999 not found"),
        ["create: existing key"] = new("peer-typed", ["create", K, "--instruction", "x"], null, null, 5, "already exists"),
        // size, encoding, depth
        ["set: over the max value size"] = new("peer-typed", ["--bucket", BadInputFixture.TinyBucket, "set", K, "plan.output.success_criteria", new string('a', 1500)], "planner", null, 4, "over the bucket's max value size"),
        ["create: invalid UTF-8"] = new("peer-typed", ["create", New, "@invalid-utf8.json"], null, null, 4, "invalid UTF-8 at byte"),
        ["patch: invalid UTF-8"] = new("peer-typed", ["patch", K, "--merge", "@@invalid-utf8-patch.json"], null, null, 4, "the merge patch is not valid JSON"),
        ["create: nesting 5000 deep"] = new("peer-typed", ["create", New, "@deep.json"], null, null, 4, "malformed JSON"),
        ["patch: nesting 5000 deep"] = new("peer-typed", ["patch", K, "--merge", "@@deep-patch.json"], null, null, 4, "the merge patch is not valid JSON"),
        // issue 13: response files are off, so @FILE is read only where documented (patch --merge @FILE, create FILE)
        ["patch: --merge @ a directory"] = new("peer-typed", ["patch", K, "--merge", "@@/tmp"], null, null, 2, "/tmp is a directory, not a file"),
        ["patch: --merge @ a missing file"] = new("peer-typed", ["patch", K, "--merge", "@@/nonexistent/patch.json"], null, null, 2, "/nonexistent/patch.json does not exist"),
        ["create: a missing file"] = new("peer-typed", ["create", New, "/nonexistent/doc.json"], null, null, 2, "/nonexistent/doc.json does not exist"),
        // issue 13: a member twice, an unpaired surrogate
        ["patch: a member twice"] = new("peer-typed", ["patch", K, "--merge", "{\"metadata\":{\"status\":\"PLANNING\",\"status\":\"EXECUTING\"}}"], null, null, 4, "/metadata: the merge patch is not valid JSON: the member \"status\" appears twice"),
        ["patch: an unpaired surrogate"] = new("peer-typed", ["patch", K, "--merge", "{\"metadata\":{\"status\":\"\\ud800\"}}"], null, null, 4, "unpaired UTF-16 surrogate escape"),
        ["create: a member twice"] = new("peer-typed", ["create", New, "@duplicate.json"], null, null, 4, "the member \"version\" appears twice"),
        ["validate: a member twice"] = new("peer-typed", ["validate", "-"], null, "{\"a\":1,\"a\":2}", 4, "the member \"a\" appears twice"),
        // issue 13: help words and unknown flags
        ["set: a mistyped flag is not a value"] = new("peer-typed", ["set", K, "plan.status", "completed", "--dry-rnu"], "planner", null, 2, "unknown option '--dry-rnu'"),
        ["set: a path without its value"] = new("peer-typed", ["set", K, "plan.status"], "planner", null, 2, "plan.status has no value"),
        ["get: -k without a value"] = new("peer-typed", ["get", "-k"], null, null, 2, "Required argument missing for option: '-k'"),
        ["read-state: -h"] = new("read-state.sh", ["-h"], null, null, 2, "'-h' is not a STATE_KEY"),
        ["create-state: -h with a document"] = new("create-state.sh", ["-h", "{}"], null, null, 2, "'-h' is not a STATE_KEY"),
        ["update-state: --state-key without a value"] = new("update-state.sh", ["--state-key"], null, null, 2, "--state-key expects a value"),
        ["update-state: --filter without a value"] = new("update-state.sh", [K, "--filter"], null, null, 2, "--filter expects a value"),
        ["update-state: an unknown option"] = new("update-state.sh", [K, ".", "--dry-run"], null, null, 2, "unknown option '--dry-run'"),
        ["update-state: -h"] = new("update-state.sh", ["-h"], null, null, 2, "unknown option '-h'"),
        // issue 13: size and key edges, refused before anything is sent
        ["create: over the bucket's 1 MiB"] = new("peer-typed", ["create", New, "@big.json"], null, null, 4, "over the bucket's max value size of 1048576 bytes"),
        ["get: a key over 1024 characters"] = new("peer-typed", ["get", "peer.spec." + new string('a', 4000) + ".cycle.1"], null, null, 2, "is at most 1024 characters"),
        ["set: a key over 1024 characters"] = new("peer-typed", ["set", "peer.spec." + new string('a', 4000) + ".cycle.1", "plan.status", "completed"], "planner", null, 2, "is at most 1024 characters"),
        // issue 13: configuration edges
        ["get: NATS_URL http://"] = new("peer-typed", ["get", K], null, null, 2, "uses the scheme http", Environment: With("NATS_URL", "http://127.0.0.1:4222")),
        ["get: NATS_URL :::"] = new("peer-typed", ["get", K], null, null, 2, "':::' is not a valid URL", Environment: With("NATS_URL", ":::")),
        ["get: NATS_URL nats://[::1"] = new("peer-typed", ["get", K], null, null, 2, "'nats://[::1' is not a valid URL", Environment: With("NATS_URL", "nats://[::1")),
        ["get: NATS_URL of commas"] = new("peer-typed", ["get", K], null, null, 2, "NATS_URL holds no server URL", Environment: With("NATS_URL", " , ")),
        ["get: --server with a path"] = new("peer-typed", ["--server", "nats://127.0.0.1:4222/x", "get", K], null, null, 2, "has a path, query or fragment"),
        ["get: PEER_BUCKET a.b"] = new("peer-typed", ["get", K], null, null, 2, "PEER_BUCKET: 'a.b' is not a valid NATS KV bucket name", Environment: With("PEER_BUCKET", "a.b")),
        ["get: PEER_BUCKET *"] = new("peer-typed", ["get", K], null, null, 2, "'*' is not a valid NATS KV bucket name", Environment: With("PEER_BUCKET", "*")),
        ["get: PEER_BUCKET >"] = new("peer-typed", ["get", K], null, null, 2, "'>' is not a valid NATS KV bucket name", Environment: With("PEER_BUCKET", ">")),
        ["get: PEER_BUCKET a space"] = new("peer-typed", ["get", K], null, null, 2, "' ' is not a valid NATS KV bucket name", Environment: With("PEER_BUCKET", " ")),
        ["get: PEER_BUCKET empty"] = new("peer-typed", ["get", K], null, null, 2, "PEER_BUCKET is empty", Environment: With("PEER_BUCKET", "")),
        ["set: --bucket a.b"] = new("peer-typed", ["--bucket", "a.b", "set", K, "plan.status", "completed"], "planner", null, 2, "--bucket: 'a.b' is not a valid NATS KV bucket name"),
        ["get: --timeout 1e300"] = new("peer-typed", ["get", K, "--timeout", "1e300"], null, null, 2, "is not a timeout"),
        ["get: --timeout NaN"] = new("peer-typed", ["get", K, "--timeout", "NaN"], null, null, 2, "--timeout: NaN is not a timeout"),
        ["get: --timeout 0"] = new("peer-typed", ["get", K, "--timeout", "0"], null, null, 2, "--timeout: 0 is not a timeout"),
        ["get: NATS_TIMEOUT words"] = new("peer-typed", ["get", K], null, null, 2, "NATS_TIMEOUT: 'soon' is not a number of seconds", Environment: With("NATS_TIMEOUT", "soon")),
        ["get: nkey with a broken checksum"] = new("peer-typed", ["get", K], null, null, 2, "holds no valid user seed", Environment: With("NATS_NKEY", "@broken.nk")),
        ["get: the selected nats context is missing"] = new("peer-typed", ["get", K], null, null, 2, "nats context 'gone' not found", Environment: new() { ["XDG_CONFIG_HOME"] = "@config", ["NATS_URL"] = null }),
        // issue 13: not found names the bucket and the server; revision numbers are bucket-wide
        ["get: missing key names bucket and server"] = new("peer-typed", ["get", Missing], null, null, 5, $"{Missing}: not found in bucket peer-test-"),
        ["diff: a revision of another key"] = new("peer-typed", ["diff", K, "2"], null, null, 5, "revision numbers are bucket-wide"),
        ["diff: STATE_KEY and another key's revision"] = new("peer-typed", ["diff", "2"], null, null, 5, "revision numbers are bucket-wide", Environment: With("STATE_KEY", K)),
        // issue 13: a stored document of another cycle is invalid on read
        ["get: cycle 2's document under cycle 4's key"] = new("peer-typed", ["get", BadInputFixture.WrongCycleKey], null, null, 4, "/cycle_id: \"peer.spec.demo.cycle.2\" must equal the key \"peer.spec.demo.cycle.4\""),
        ["read-state: cycle 2's document under cycle 4's key"] = new("read-state.sh", [BadInputFixture.WrongCycleKey], null, null, 4, "must equal the key"),
        ["set: on a document of another cycle"] = new("peer-typed", ["set", BadInputFixture.WrongCycleKey, "plan.status", "completed"], "planner", null, 4, "must equal the key"),
        // a server that is down
        ["get: server down"] = new("peer-typed", ["get", K], null, null, 7, "cannot reach NATS at nats://127.0.0.1:", ServerDown: true),
        ["set: server down"] = new("peer-typed", ["set", K, "plan.status", "completed"], "planner", null, 7, "cannot reach NATS at", ServerDown: true),
        ["read-state: server down"] = new("read-state.sh", [K], null, null, 7, "cannot reach NATS at", ServerDown: true),
        ["update-state: server down"] = new("update-state.sh", [K, "."], null, null, 7, "cannot reach NATS at", ServerDown: true),
    };

    public static IEnumerable<object[]> CaseNames() => Cases.Keys.Select(name => new object[] { name });

    [Fact]
    public void There_are_at_least_sixty_cases() => Assert.True(Cases.Count >= 60, $"{Cases.Count} cases");

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Bad_input(string name)
    {
        var @case = Cases[name];
        var before = await MessageCountsAsync();
        var arguments = @case.Arguments.Select(a => a.StartsWith('@') && !a.StartsWith("@@", StringComparison.Ordinal) ? fixture.File(a[1..]) : a.StartsWith("@@", StringComparison.Ordinal) ? "@" + fixture.File(a[2..]) : a).ToArray();
        var environment = new Dictionary<string, string?> { ["PEER_ROLE"] = @case.Role };
        if (@case.ServerDown) environment["NATS_URL"] = $"nats://127.0.0.1:{NatsServer.FreePort()}";
        environment["NATS_TIMEOUT"] = "2";
        foreach (var (variable, value) in @case.Environment ?? []) environment[variable] = value is not null && value.StartsWith('@') ? fixture.File(value[1..]) : value;

        var result = @case.Program == "peer-typed"
            ? await fixture.Cli.RunAsync(arguments, environment, @case.Stdin)
            : await fixture.Cli.ScriptAsync(@case.Program, arguments, environment, @case.Stdin);

        Assert.True(@case.ExitCode == result.ExitCode, $"{name}: expected exit {@case.ExitCode}\n{result}");
        var error = Assert.Single(result.ErrorLines);
        Assert.True(error.Contains(@case.Message, StringComparison.Ordinal), $"{name}: expected \"{@case.Message}\" in\n{error}");
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Equal(before, await MessageCountsAsync());
    }

    /// <summary>How many messages each bucket's stream holds: any write, to any key, would change it.</summary>
    private async Task<(ulong, ulong)> MessageCountsAsync() =>
        ((await fixture.Store.TryGetBucketInfoAsync())!.Values, (await fixture.Tiny.TryGetBucketInfoAsync())!.Values);
}
