using System.Text;
using System.Text.Json.Nodes;
using PeerTyped.Client;

namespace PeerTyped.Integration.Tests;

/// <summary>
/// A document written by a newer schema version than this build knows (as a v2 peer-typed would store it after a
/// migration): every reader says so with exit 8 and one line, never "invalid", and doctor gives no restore advice.
/// </summary>
public class SchemaVersionTests(NatsServerFixture nats) : IClassFixture<NatsServerFixture>
{
    private const string Key = "peer.spec.evolution.cycle.1";

    private static string Newer(string key) => $"ERROR: {key}: written by schema version 2; this peer-typed knows up to version 1 (upgrade peer-typed)";

    [Fact]
    public async Task A_newer_version_document_is_exit_8_everywhere_and_never_called_corrupt()
    {
        var cli = new CliRunner(nats.Server);
        Assert.Equal(0, (await cli.RunAsync("bucket", "init")).ExitCode);
        await using var store = await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [nats.Server.Url] }, new PeerStoreOptions { Bucket = cli.Bucket });
        await store.CreateAsync(Key, Docs.New(Key));
        var v1 = await store.ReadRawAsync(Key);
        // What a v2 build writes: version 2 and a member v1 does not know.
        var v2 = JsonNode.Parse(v1.Value.Span)!.AsObject();
        v2["version"] = 2;
        v2["phases"]!["plan"]!["owner_agent"] = "planner-7";
        await RawPublish.PutAsync(nats.Server, cli.Bucket, Key, Encoding.UTF8.GetBytes(v2.ToJsonString()));

        foreach (var result in new[]
        {
            await cli.RunAsync("get", Key),
            await cli.RunAsync(["set", Key, "plan.status", "in_progress", "--as", "planner"], null, null),
            await cli.ScriptAsync("read-state.sh", [Key]),
        })
        {
            Assert.True(result.ExitCode == 8, result.ToString());
            Assert.Equal(Newer(Key), Assert.Single(result.ErrorLines));
            Assert.DoesNotContain("invalid", result.Stderr, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("restore", result.Stderr, StringComparison.OrdinalIgnoreCase);
        }
        Assert.Equal(2ul, (await store.ReadRawAsync(Key)).Revision); // nothing was written

        var typed = await Assert.ThrowsAsync<PeerNewerVersionException>(() => store.ReadAsync(Key));
        Assert.Equal(PeerErrorKind.NewerVersion, typed.Kind);
        Assert.Equal(2, typed.Version);

        var history = JsonNode.Parse((await cli.RunAsync("-o", "json", "history", Key)).Stdout)!.AsArray();
        Assert.Equal([1, 2], history.Select(h => h!["schema_version"]!.GetValue<int>()));
        Assert.Equal([false, true], history.Select(h => h!["newer_schema_version"]!.GetValue<bool>()));
        Assert.True(history[0]!["schema_valid"]!.GetValue<bool>());
        Assert.Null(history[1]!["schema_valid"]);
        var table = (await cli.RunAsync("history", Key)).Stdout;
        Assert.Contains("v2 (newer)", table, StringComparison.Ordinal);
        Assert.DoesNotContain("INVALID", table, StringComparison.Ordinal);

        foreach (var output in new[] { "text", "json" })
        {
            var doctor = await cli.RunAsync("-o", output, "doctor", Key);
            Assert.True(doctor.ExitCode == 8, doctor.ToString());
            Assert.Equal(Newer(Key), Assert.Single(doctor.ErrorLines));
            Assert.DoesNotContain("restore with", doctor.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("peer-typed restore", doctor.Stdout, StringComparison.Ordinal);
            if (output == "text") Assert.Contains("latest revision 2 was written by schema version 2, newer than this peer-typed knows: it is not corrupt", doctor.Stdout, StringComparison.Ordinal);
        }

        var restore = await cli.RunAsync(["restore", Key, "--revision", "2"], new Dictionary<string, string?> { ["PEER_ROLE"] = "operator" }, null);
        Assert.True(restore.ExitCode == 8, restore.ToString());
    }

    [Fact]
    public async Task Version_reports_the_schema_versions_it_knows()
    {
        var cli = new CliRunner(null);
        var result = await cli.RunAsync("--version", "-o", "json");
        Assert.True(result.ExitCode == 0, result.ToString());
        var json = JsonNode.Parse(result.Stdout)!;
        Assert.Equal(1, json["schema_version"]!.GetValue<int>());
        Assert.Equal([1], json["readable_schema_versions"]!.AsArray().Select(v => v!.GetValue<int>()));
        Assert.False(string.IsNullOrEmpty(json["version"]!.GetValue<string>()));
    }
}
