using System.Text.Json;

namespace PeerTyped.Integration.Tests;

/// <summary>`peer-typed server start --secure`: users per role, the gate, natscli contexts; agents write through the gate.</summary>
public class SecureServerTests
{
    private const string Key = "peer.spec.secure-local.cycle.1";

    [Fact]
    public async Task Secure_start_runs_the_gate_and_writes_one_context_per_role_that_the_wrappers_use()
    {
        var cli = new CliRunner(null);
        var config = Directory.CreateTempSubdirectory("peer-xdg-").FullName;
        var port = NatsServer.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        Dictionary<string, string?> As(string? context, string? role = null) => new() { ["XDG_CONFIG_HOME"] = config, ["NATS_CONTEXT"] = context, ["PEER_ROLE"] = role, ["NATS_URL"] = null };
        try
        {
            var start = await cli.RunAsync(["server", "start", "--secure", "--port", port], As(null), null);
            Assert.True(start.ExitCode == 0, start.ToString());
            foreach (var role in new[] { "orchestrator", "planner", "executor", "express", "review", "operator" })
            {
                using var context = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(config, "nats", "context", $"peer-{role}.json")));
                Assert.Equal(role, context.RootElement.GetProperty("user").GetString());
                Assert.Equal($"nats://127.0.0.1:{port}", context.RootElement.GetProperty("url").GetString());
                Assert.True(context.RootElement.GetProperty("password").GetString()!.Length >= 16);
            }

            var created = await cli.RunAsync(["create", Key, "--instruction", "create-spec"], As("peer-orchestrator"), null);
            Assert.True(created.ExitCode == 0, created.ToString());
            var update = await cli.ScriptAsync("update-state.sh", [Key, ".phases.plan.status = \"completed\""], As("peer-planner"));
            Assert.True(update.ExitCode == 0, update.ToString());
            Assert.Equal("OK\n", update.Stdout);
            Assert.Equal("completed\n", (await cli.RunAsync(["get", Key, "-p", "plan.status", "--raw-output"], As("peer-review"), null)).Stdout);

            // The planner's context cannot pass for the review role, nor write around the gate.
            var forged = await cli.ScriptAsync("update-state.sh", [Key, ".phases.review.status = \"completed\""], As("peer-planner", "review"));
            Assert.True(forged.ExitCode == 6, forged.ToString());
            var direct = await cli.RunAsync(["--gate", "off", "set", Key, "plan.status", "in_progress"], As("peer-planner"), null);
            Assert.True(direct.ExitCode == 6, direct.ToString());

            var info = await cli.RunAsync(["-o", "json", "bucket", "info"], As("peer-operator"), null);
            Assert.True(info.ExitCode == 0, info.ToString());
            using var bucket = JsonDocument.Parse(info.Stdout);
            Assert.True(bucket.RootElement.GetProperty("deny_purge").GetBoolean());
            Assert.False(bucket.RootElement.GetProperty("allow_rollup_hdrs").GetBoolean());
        }
        finally
        {
            var stop = await cli.RunAsync(["server", "stop"], As(null), null);
            Assert.True(stop.ExitCode == 0, stop.ToString());
            Assert.Contains("stopped the gate", stop.Stdout, StringComparison.Ordinal);
            Assert.Contains("stopped nats-server", stop.Stdout, StringComparison.Ordinal);
        }
    }
}
