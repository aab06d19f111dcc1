using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using PeerTyped.Client;

namespace PeerTyped.Integration.Tests;

/// <summary>
/// README's walk-through on a real server: a bucket of v1 documents, schema version 2 adding a required
/// phases.plan.owner_agent with a declared `add` upgrade. The v2 peer-typed is this build's JIT CLI with the
/// PeerTyped.Contracts generated from tests/schema-v2/peer-cycle.schema.json put in place of the v1 one (the CLI and
/// client code are the same; only the generated contracts differ between schema versions), so no second build of the
/// CLI runs in CI.
/// </summary>
public class SchemaEvolutionTests(NatsServerFixture nats) : IClassFixture<NatsServerFixture>
{
    private const string Prefix = "peer.spec.evolution-walk";
    private const string BadPrefix = "peer.spec.evolution-bad";
    private static readonly string NewSchema = Path.Combine(CliRunner.RepoRoot, "tests", "schema-v2", "peer-cycle.schema.json");
    private static readonly Lazy<string> V2 = new(BuildV2Binary);

    private static string Configuration => typeof(SchemaEvolutionTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>A copy of the JIT peer-typed whose PeerTyped.Contracts is the v2 one.</summary>
    private static string BuildV2Binary()
    {
        var jit = Path.Combine(CliRunner.RepoRoot, "src", "PeerTyped.Cli", "bin", Configuration, "net10.0");
        var contracts = Path.Combine(CliRunner.RepoRoot, "tests", "schema-v2", "bin", Configuration, "net10.0", "PeerTyped.Contracts.dll");
        Assert.True(File.Exists(contracts), contracts + " is built with the solution");
        var directory = Directory.CreateTempSubdirectory("peer-typed-v2-").FullName;
        foreach (var file in Directory.EnumerateFiles(jit)) File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        File.Copy(contracts, Path.Combine(directory, "PeerTyped.Contracts.dll"), overwrite: true);
        File.Delete(Path.Combine(directory, "PeerTyped.Contracts.pdb"));
        return Path.Combine(directory, "peer-typed");
    }

    private static string Key(int n) => $"{Prefix}.cycle.{n}";

    private static string Newer(string key) => $"ERROR: {key}: written by schema version 2; this peer-typed knows up to version 1 (upgrade peer-typed)";

    private static string LastLine(string text) => text.TrimEnd('\n').Split('\n')[^1];

    [Fact]
    public async Task V1_documents_are_checked_read_updated_and_migrated_by_a_v2_build_and_a_v1_build_says_upgrade()
    {
        var cli = new CliRunner(nats.Server);
        Assert.Equal(0, (await cli.RunAsync("bucket", "init")).ExitCode);
        await using var store = await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [nats.Server.Url] }, new PeerStoreOptions { Bucket = cli.Bucket });

        // A bucket of v1 documents as the v1 tool writes them, a cycle counter (not a document), and two bad keys.
        Assert.Equal("1", (await cli.RunAsync("cycle", "next", Prefix)).Stdout.Trim());
        for (var n = 1; n <= 5; n++)
        {
            var created = await cli.RunAsync("create", Key(n), "--instruction", "create-spec", "--spec", "evolution-walk", "--requirements", "evolve");
            Assert.True(created.ExitCode == 0, created.ToString());
        }
        await RawPublish.PutAsync(nats.Server, cli.Bucket, $"{BadPrefix}.cycle.1", Encoding.UTF8.GetBytes("""{"version":1,"cycle_id":"""));
        var v2WithoutOwner = JsonNode.Parse((await store.ReadRawAsync(Key(1))).Value.Span)!.AsObject();
        v2WithoutOwner["version"] = 2;
        v2WithoutOwner["cycle_id"] = $"{BadPrefix}.cycle.2";
        await RawPublish.PutAsync(nats.Server, cli.Bucket, $"{BadPrefix}.cycle.2", Encoding.UTF8.GetBytes(v2WithoutOwner.ToJsonString()));

        // schema check: every v1 document is valid under v2 after v2's upgrade; the bad keys are named with their pointers.
        var check = await cli.RunAsync("schema", "check", NewSchema, "--prefix", Prefix);
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Equal("5 keys: 5 valid, 0 invalid", LastLine(check.Stdout));
        var whole = await cli.RunAsync("schema", "check", NewSchema);
        Assert.True(whole.ExitCode == 4, whole.ToString());
        Assert.Equal("7 keys: 5 valid, 2 invalid", LastLine(whole.Stdout));
        Assert.Contains($"{BadPrefix}.cycle.1: revision ", whole.Stdout, StringComparison.Ordinal);
        Assert.Contains("malformed JSON", whole.Stdout, StringComparison.Ordinal);
        Assert.Contains($"{BadPrefix}.cycle.2: revision ", whole.Stdout, StringComparison.Ordinal);
        Assert.Contains(": /phases/plan: ", whole.Stdout, StringComparison.Ordinal);
        Assert.Contains("owner_agent", whole.Stdout, StringComparison.Ordinal);
        Assert.Single(whole.ErrorLines);
        var json = JsonNode.Parse((await cli.RunAsync("-o", "json", "schema", "check", NewSchema)).Stdout)!;
        Assert.Equal([7, 5, 2], new[] { "keys", "valid", "invalid" }.Select(n => json[n]!.GetValue<int>()));
        Assert.Equal("/phases/plan", json["invalid_keys"]!.AsArray().Single(k => k!["key"]!.GetValue<string>() == $"{BadPrefix}.cycle.2")!["violations"]![0]!["pointer"]!.GetValue<string>());

        // The v2 build knows both versions, reads a v1 document upgraded in memory and stores v2 on its next write.
        var version = JsonNode.Parse((await cli.RunBinaryAsync(V2.Value, ["--version", "-o", "json"])).Stdout)!;
        Assert.Equal(2, version["schema_version"]!.GetValue<int>());
        Assert.Equal([1, 2], version["readable_schema_versions"]!.AsArray().Select(v => v!.GetValue<int>()));
        var before = await Revisions(store);
        var read = await cli.RunBinaryAsync(V2.Value, ["get", Key(5)]);
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Equal("unknown", JsonNode.Parse(read.Stdout)!["phases"]!["plan"]!["owner_agent"]!.GetValue<string>());
        Assert.Equal(2, JsonNode.Parse(read.Stdout)!["version"]!.GetValue<int>());
        var set = await cli.RunBinaryAsync(V2.Value, ["set", Key(5), "plan.status", "in_progress"], new Dictionary<string, string?> { ["PEER_ROLE"] = "planner" });
        Assert.True(set.ExitCode == 0, set.ToString());
        var written = JsonNode.Parse((await store.ReadRawAsync(Key(5))).Value.Span)!;
        Assert.Equal(2, written["version"]!.GetValue<int>());
        Assert.Equal("unknown", written["phases"]!["plan"]!["owner_agent"]!.GetValue<string>());
        Assert.Equal("in_progress", written["phases"]!["plan"]!["status"]!.GetValue<string>());

        // migrate needs the build that writes the target version.
        var wrongBuild = await cli.RunAsync("migrate", "--to", "2", "--prefix", Prefix);
        Assert.True(wrongBuild.ExitCode == 2, wrongBuild.ToString());
        Assert.Contains("this peer-typed writes schema version 1", Assert.Single(wrongBuild.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(2, (await cli.RunBinaryAsync(V2.Value, ["migrate", "--to", "1", "--prefix", Prefix])).ExitCode);
        var asPlanner = await cli.RunBinaryAsync(V2.Value, ["migrate", "--to", "2", "--prefix", Prefix, "--as", "planner"]);
        Assert.True(asPlanner.ExitCode == 6, asPlanner.ToString());

        // --dry-run writes nothing and says what it would do.
        before = await Revisions(store);
        var dry = await cli.RunBinaryAsync(V2.Value, ["migrate", "--to", "2", "--prefix", Prefix, "--dry-run"]);
        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Equal("would migrate 4, already at 2: 1, failed 0", LastLine(dry.Stdout));
        Assert.Equal(4, dry.Stdout.Split('\n').Count(l => l.StartsWith("would migrate peer.spec.", StringComparison.Ordinal)));
        Assert.Equal(before, await Revisions(store));

        // Killed (SIGKILL) right after its first write; re-running finishes the rest and skips what is done.
        var killed = await cli.RunBinaryAsync(V2.Value, ["migrate", "--to", "2", "--prefix", Prefix], new Dictionary<string, string?> { ["PEER_TYPED_FAULT"] = "after-publish" });
        Assert.True(killed.ExitCode == 137, killed.ToString());
        Assert.Equal(2, (await Versions(store)).Count(v => v == 2));
        var resumed = await cli.RunBinaryAsync(V2.Value, ["migrate", "--to", "2", "--prefix", Prefix]);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal("migrated 3, already at 2: 2, failed 0", LastLine(resumed.Stdout));
        Assert.All(await Versions(store), v => Assert.Equal(2, v));
        var again = await cli.RunBinaryAsync(V2.Value, ["-o", "json", "migrate", "--to", "2", "--prefix", Prefix]);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(0, JsonNode.Parse(again.Stdout)!["migrated"]!.GetValue<int>());
        Assert.Equal(5, JsonNode.Parse(again.Stdout)!["already"]!.GetValue<int>());
        // Old revisions stay: each migrated key still has its v1 revision before the v2 one.
        var history = await StoreFactory.HistoryAsync(store, Key(1));
        Assert.Equal([1, 2], history.Select(h => PeerDocumentVersions.VersionOf(h.Value.Span)));
        var migrated = JsonNode.Parse(history[^1].Value.Span)!;
        Assert.Equal("unknown", migrated["phases"]!["plan"]!["owner_agent"]!.GetValue<string>());

        // A key that cannot be migrated is reported and counted, the others are done, the exit is not 0.
        var withBad = await cli.RunBinaryAsync(V2.Value, ["migrate", "--to", "2"]);
        Assert.True(withBad.ExitCode == 4, withBad.ToString());
        Assert.Equal("migrated 0, already at 2: 6, failed 1", LastLine(withBad.Stdout));
        Assert.StartsWith($"ERROR: {BadPrefix}.cycle.1: ", Assert.Single(withBad.ErrorLines), StringComparison.Ordinal);

        // The v1 build reading a migrated document: exit 8, one line, no restore advice.
        foreach (var result in new[] { await cli.RunAsync("get", Key(1)), await cli.RunAsync("doctor", Key(1)) })
        {
            Assert.True(result.ExitCode == 8, result.ToString());
            Assert.Equal(Newer(Key(1)), Assert.Single(result.ErrorLines));
            Assert.DoesNotContain("restore", result.Stdout + result.Stderr, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Migrate_writes_through_the_gate_as_the_authenticated_operator()
    {
        await using var server = await SecureServer.StartAsync();
        await using var admin = await PeerStateStore.ConnectAsync(SecureServer.As(server, "admin"), new PeerStoreOptions());
        await admin.EnsureBucketAsync();
        var cli = new CliRunner(server);
        var keys = new[] { $"{Prefix}.cycle.1", $"{Prefix}.cycle.2" };
        await using (await GateProcess.StartAsync(server, PeerStoreOptions.DefaultBucket))
        {
            foreach (var key in keys)
            {
                var created = await cli.RunAsync(["create", key, "--instruction", "create-spec", "--spec", "evolution-walk"], SecureServer.Environment("orchestrator"), null);
                Assert.True(created.ExitCode == 0, created.ToString());
            }
        }
        // The v1 gate is replaced by a v2 one before anything writes v2; agents cannot write the bucket directly.
        await using var gate = await GateProcess.StartAsync(server, PeerStoreOptions.DefaultBucket, binary: V2.Value);
        var planner = await cli.RunBinaryAsync(V2.Value, ["migrate", "--to", "2", "--gate", "on"], SecureServer.Environment("planner"));
        Assert.True(planner.ExitCode == 6, planner.ToString());
        var migrated = await cli.RunBinaryAsync(V2.Value, ["migrate", "--to", "2", "--gate", "on"], SecureServer.Environment("operator"));
        Assert.True(migrated.ExitCode == 0, migrated.ToString());
        Assert.Equal("migrated 2, already at 2: 0, failed 0", LastLine(migrated.Stdout));
        foreach (var key in keys)
        {
            var history = await StoreFactory.HistoryAsync(admin, key);
            Assert.Equal([1, 2], history.Select(h => PeerDocumentVersions.VersionOf(h.Value.Span)));
        }
        Assert.Contains("Gate: operator update ", gate.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schema_check_refuses_a_missing_or_malformed_schema_before_connecting()
    {
        var cli = new CliRunner(null);
        var missing = await cli.RunAsync("--server", "nats://127.0.0.1:1", "schema", "check", "/nonexistent/peer-cycle.schema.json");
        Assert.True(missing.ExitCode == 2, missing.ToString());
        Assert.Contains("no such file", Assert.Single(missing.ErrorLines), StringComparison.Ordinal);
        var file = Path.Combine(cli.Home, "broken.schema.json");
        await File.WriteAllTextAsync(file, """{"type": "object", "x-peer-schema-version": "two"}""");
        var broken = await cli.RunAsync("--server", "nats://127.0.0.1:1", "schema", "check", file);
        Assert.True(broken.ExitCode == 4, broken.ToString());
        Assert.Contains("not a usable schema", Assert.Single(broken.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_reports_a_newer_version_document_as_newer_not_invalid()
    {
        var cli = new CliRunner(nats.Server);
        Assert.Equal(0, (await cli.RunAsync("bucket", "init")).ExitCode);
        var key = Key(9);
        Assert.Equal(0, (await cli.RunAsync("create", key, "--instruction", "create-spec", "--spec", "evolution-walk")).ExitCode);
        var set = await cli.RunBinaryAsync(V2.Value, ["set", key, "plan.status", "in_progress"], new Dictionary<string, string?> { ["PEER_ROLE"] = "planner" });
        Assert.True(set.ExitCode == 0, set.ToString());

        var start = new ProcessStartInfo(CliRunner.Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "--server", nats.Server.Url, "--bucket", cli.Bucket, "watch", key }) start.ArgumentList.Add(argument);
        using var watcher = Process.Start(start)!;
        try
        {
            var line = JsonNode.Parse((await watcher.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)))!)!;
            Assert.Equal(2, line["schema_version"]!.GetValue<int>());
            Assert.True(line["newer_schema_version"]!.GetValue<bool>());
            Assert.Null(line["schema_valid"]);
            Assert.Equal("unknown", line["value"]!["phases"]!["plan"]!["owner_agent"]!.GetValue<string>());
        }
        finally
        {
            watcher.Kill();
            await watcher.WaitForExitAsync();
        }
    }

    private static async Task<List<ulong>> Revisions(PeerStateStore store)
    {
        var revisions = new List<ulong>();
        for (var n = 1; n <= 5; n++) revisions.Add((await store.ReadRawAsync(Key(n))).Revision);
        return revisions;
    }

    private static async Task<List<int?>> Versions(PeerStateStore store)
    {
        var versions = new List<int?>();
        for (var n = 1; n <= 5; n++) versions.Add(PeerDocumentVersions.VersionOf((await store.ReadRawAsync(Key(n))).Value.Span));
        return versions;
    }
}
