using NATS.Client.Core;

namespace PeerTyped.Integration.Tests;

/// <summary>
/// Issue 15, "no set-up tax": the JetStream API requests a command sends before its first KV operation, observed by a
/// second connection subscribed to <c>$JS.API.&gt;</c> on the test's own server.
/// </summary>
public class SetupTaxTests(NatsServerFixture nats) : IClassFixture<NatsServerFixture>
{
    private const string Key = "peer.spec.setup-tax.cycle.1";

    private async Task<List<string>> ApiRequestsDuringAsync(Func<Task<CliResult>> command)
    {
        await using var observer = new NatsConnection(new NatsOpts { Url = nats.Server.Url });
        await using var subscription = await observer.SubscribeCoreAsync<byte[]>("$JS.API.>");
        await observer.PingAsync();
        var result = await command();
        Assert.True(result.ExitCode == 0, result.ToString());
        // The server forwarded every request before it answered it; one round trip makes sure this client read them all.
        await observer.PingAsync();
        var subjects = new List<string>();
        while (subscription.Msgs.TryRead(out var message)) subjects.Add(message.Subject);
        return subjects;
    }

    private static List<string> BeforeFirstKvOperation(List<string> subjects) =>
        subjects.TakeWhile(s => !s.StartsWith("$JS.API.DIRECT.GET.", StringComparison.Ordinal)).ToList();

    [Fact]
    public async Task A_get_sends_at_most_one_api_request_before_its_direct_get()
    {
        var cli = new CliRunner(nats.Server);
        Assert.Equal(0, (await cli.RunAsync("bucket", "init")).ExitCode);
        Assert.Equal(0, (await cli.ScriptAsync("create-state.sh", [Key, System.Text.Encoding.UTF8.GetString(Docs.New(Key).ToUtf8Bytes())])).ExitCode);

        var subjects = await ApiRequestsDuringAsync(() => cli.RunAsync("get", Key));

        Assert.Contains(subjects, s => s.StartsWith("$JS.API.DIRECT.GET.", StringComparison.Ordinal));
        var setup = BeforeFirstKvOperation(subjects);
        Assert.True(setup.Count <= 1, "set-up requests: " + string.Join(", ", setup));
    }

    [Fact]
    public async Task A_set_sends_one_api_request_before_its_direct_get()
    {
        var cli = new CliRunner(nats.Server);
        Assert.Equal(0, (await cli.RunAsync("bucket", "init")).ExitCode);
        Assert.Equal(0, (await cli.ScriptAsync("create-state.sh", [Key, System.Text.Encoding.UTF8.GetString(Docs.New(Key).ToUtf8Bytes())])).ExitCode);

        var subjects = await ApiRequestsDuringAsync(() => cli.RunAsync(["set", Key, "plan.status", "in_progress"], new Dictionary<string, string?> { ["PEER_ROLE"] = "planner" }, null));

        // One STREAM.INFO gives the size limit, the CAS mode and whether direct get is allowed; the read and the
        // compare-and-set publish go straight to the stream after it.
        var setup = BeforeFirstKvOperation(subjects);
        Assert.Equal([$"$JS.API.STREAM.INFO.KV_{cli.Bucket}"], setup);
        Assert.Single(subjects, s => s.StartsWith("$JS.API.STREAM.INFO.", StringComparison.Ordinal));
    }

    /// <summary>
    /// A plain nats:// connection needs no TLS stack, yet NATS.Net names its inbox through RandomNumberGenerator, which
    /// loads OpenSSL (about 4 ms of a NativeAOT call). The CLI's one-command connections name it without; the dynamic
    /// loader's own log (LD_DEBUG=files) shows which libraries a call opened.
    /// </summary>
    [Fact]
    public async Task A_get_and_a_set_over_plain_nats_never_load_openssl()
    {
        var cli = new CliRunner(nats.Server);
        Assert.Equal(0, (await cli.RunAsync("bucket", "init")).ExitCode);
        Assert.Equal(0, (await cli.ScriptAsync("create-state.sh", [Key, System.Text.Encoding.UTF8.GetString(Docs.New(Key).ToUtf8Bytes())])).ExitCode);
        var loaderLog = new Dictionary<string, string?> { ["LD_DEBUG"] = "files", ["PEER_ROLE"] = "planner" };

        var get = await cli.RunAsync(["get", Key], loaderLog, null);
        var set = await cli.RunAsync(["set", Key, "plan.status", "in_progress"], loaderLog, null);

        foreach (var result in new[] { get, set })
        {
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains("file=", result.Stderr, StringComparison.Ordinal); // the loader did log
            Assert.DoesNotContain("libcrypto", result.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("libssl", result.Stderr, StringComparison.Ordinal);
        }
    }
}
