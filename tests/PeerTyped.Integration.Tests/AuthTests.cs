using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using NATS.NKeys;
using PeerTyped.Client;

namespace PeerTyped.Integration.Tests;

/// <summary>
/// Each authentication method against a nats-server configured for it, through the CLI as agents use it. Secrets must
/// never appear in stdout, stderr or error messages, whether the write succeeds or the server refuses the connection.
/// </summary>
public class AuthTests
{
    private const string Key = "peer.spec.auth.cycle.1";

    private static async Task<CliRunner> ReadyAsync(NatsServer server, Dictionary<string, string?> environment)
    {
        var cli = new CliRunner(server);
        var init = await cli.RunAsync(["bucket", "init"], environment, null);
        Assert.True(init.ExitCode == 0, init.ToString());
        return cli;
    }

    /// <summary>Create, set and get with the given credentials; nothing printed may contain <paramref name="secret"/>.</summary>
    private static async Task AssertWorksWithoutLeakingAsync(CliRunner cli, Dictionary<string, string?> environment, string secret)
    {
        var outputs = new List<CliResult>
        {
            await cli.RunAsync(["create", Key, "--instruction", "create-spec"], environment, null),
            await cli.RunAsync(["set", Key, "plan.status", "completed", "--as", "planner"], environment, null),
            await cli.RunAsync(["--log-format", "json", "set", Key, "plan.status", "in_progress", "--as", "planner"], environment, null),
            await cli.RunAsync(["get", Key, "-p", "plan.status", "--raw-output"], environment, null),
        };
        Assert.All(outputs, r => Assert.True(r.ExitCode == 0, r.ToString()));
        Assert.Equal("in_progress\n", outputs[^1].Stdout);
        Assert.Contains("INFO: Writing " + Key, outputs[1].Stderr, StringComparison.Ordinal);
        Assert.All(outputs, r => Assert.DoesNotContain(secret, r.Stdout + r.Stderr, StringComparison.Ordinal));
    }

    private static async Task AssertRefusedWithoutLeakingAsync(CliRunner cli, Dictionary<string, string?> environment, string secret)
    {
        var refused = await cli.RunAsync(["get", Key], environment, null);
        Assert.Equal(7, refused.ExitCode);
        Assert.StartsWith("ERROR: cannot reach NATS at", Assert.Single(refused.ErrorLines), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, refused.Stdout + refused.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_never_prints_secrets_from_the_environment()
    {
        var cli = new CliRunner(null);
        var help = await cli.RunAsync(["--help"], new Dictionary<string, string?> { ["NATS_PASSWORD"] = "pw-in-env-91", ["NATS_TOKEN"] = "tok-in-env-37", ["NATS_USER"] = "agent" }, null);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--password", help.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("pw-in-env-91", help.Stdout + help.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("tok-in-env-37", help.Stdout + help.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task User_and_password()
    {
        await using var server = await NatsServer.StartAsync("authorization { users = [ { user: agent, password: \"pw-Zq81vX\" } ] }");
        var good = new Dictionary<string, string?> { ["NATS_USER"] = "agent", ["NATS_PASSWORD"] = "pw-Zq81vX" };
        var cli = await ReadyAsync(server, good);
        await AssertWorksWithoutLeakingAsync(cli, good, "pw-Zq81vX");
        await AssertRefusedWithoutLeakingAsync(cli, new() { ["NATS_USER"] = "agent", ["NATS_PASSWORD"] = "wrong-Kq22" }, "wrong-Kq22");
        var flags = await cli.RunAsync(["--user", "agent", "--password", "pw-Zq81vX", "get", Key, "-p", "plan.status"], null, null);
        Assert.Equal(0, flags.ExitCode);
    }

    [Fact]
    public async Task Token()
    {
        await using var server = await NatsServer.StartAsync("authorization { token: \"tok-7c1f9e\" }");
        var good = new Dictionary<string, string?> { ["NATS_TOKEN"] = "tok-7c1f9e" };
        var cli = await ReadyAsync(server, good);
        await AssertWorksWithoutLeakingAsync(cli, good, "tok-7c1f9e");
        await AssertRefusedWithoutLeakingAsync(cli, new() { ["NATS_TOKEN"] = "tok-wrong-5d" }, "tok-wrong-5d");
    }

    [Fact]
    public async Task Nkey()
    {
        using var user = KeyPair.CreatePair(PrefixByte.User);
        await using var server = await NatsServer.StartAsync($"authorization {{ users = [ {{ nkey: {user.GetPublicKey()} }} ] }}");
        var seedFile = Path.Combine(Directory.CreateTempSubdirectory("peer-nkey-").FullName, "agent.nk");
        await File.WriteAllTextAsync(seedFile, user.GetSeed());
        var good = new Dictionary<string, string?> { ["NATS_NKEY"] = seedFile };
        var cli = await ReadyAsync(server, good);
        await AssertWorksWithoutLeakingAsync(cli, good, user.GetSeed());
        await AssertRefusedWithoutLeakingAsync(cli, new(), "SU");
    }

    [Fact]
    public async Task Tls_with_a_private_ca()
    {
        var directory = Directory.CreateTempSubdirectory("peer-tls-").FullName;
        var (caFile, certFile, keyFile) = Certificates.Write(directory);
        await using var server = await NatsServer.StartAsync($"tls {{ cert_file: \"{certFile}\", key_file: \"{keyFile}\" }}");
        var good = new Dictionary<string, string?> { ["NATS_CA"] = caFile, ["NATS_URL"] = $"tls://127.0.0.1:{server.Port}" };
        var cli = await ReadyAsync(server, good);
        await AssertWorksWithoutLeakingAsync(cli, good, "PRIVATE KEY");
        var untrusted = await cli.RunAsync(["get", Key], new Dictionary<string, string?> { ["NATS_URL"] = $"tls://127.0.0.1:{server.Port}" }, null);
        Assert.Equal(7, untrusted.ExitCode);
    }

    [Fact]
    public async Task The_documented_permissions_let_agents_read_and_update_through_the_gate_but_not_delete_or_purge()
    {
        await using var server = await SecureServer.StartAsync();
        var bucketOptions = new PeerStoreOptions { Bucket = PeerStoreOptions.DefaultBucket };
        await using var admin = await PeerStateStore.ConnectAsync(SecureServer.As(server, "admin"), bucketOptions);
        await admin.EnsureBucketAsync();
        await admin.CreateAsync(Key, Docs.New(Key));
        await using var gateStore = await PeerStateStore.ConnectAsync(SecureServer.As(server, "gate"), bucketOptions);
        await using var gate = await PeerGateService.StartAsync(gateStore);

        var cli = new CliRunner(server);
        var planner = SecureServer.Environment("planner", "planner");
        Assert.Equal(0, (await cli.RunAsync(["set", Key, "plan.status", "completed"], planner, null)).ExitCode);
        Assert.Equal("completed\n", (await cli.RunAsync(["get", Key, "-p", "plan.status", "--raw-output"], planner, null)).Stdout);
        var history = await cli.RunAsync(["history", Key], planner, null);
        Assert.True(history.ExitCode == 0, history.ToString());

        await using var connection = new NATS.Client.Core.NatsConnection(NATS.Client.Core.NatsOpts.Default with
        {
            Url = server.Url,
            RequestTimeout = TimeSpan.FromSeconds(1),
            AuthOpts = NATS.Client.Core.NatsAuthOpts.Default with { Username = "planner", Password = "change-me-planner" },
        });
        var js = new NATS.Client.JetStream.NatsJSContext(connection);
        await Assert.ThrowsAnyAsync<Exception>(() => js.DeleteStreamAsync("KV_" + PeerStoreOptions.DefaultBucket).AsTask());
        await Assert.ThrowsAnyAsync<Exception>(() => js.PurgeStreamAsync("KV_" + PeerStoreOptions.DefaultBucket, new NATS.Client.JetStream.Models.StreamPurgeRequest()).AsTask());

        Assert.Equal(2, (await StoreFactory.HistoryAsync(admin, Key)).Count);
    }

    /// <summary>A private CA and a server certificate for 127.0.0.1, as PEM files.</summary>
    private static class Certificates
    {
        public static (string Ca, string Cert, string Key) Write(string directory)
        {
            using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var caRequest = new CertificateRequest("CN=PeerTyped Test CA", caKey, HashAlgorithmName.SHA256);
            caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

            using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            serverRequest.CertificateExtensions.Add(names.Build());
            serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            using var server = serverRequest.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));

            var paths = (Path.Combine(directory, "ca.pem"), Path.Combine(directory, "server.pem"), Path.Combine(directory, "server-key.pem"));
            File.WriteAllText(paths.Item1, ca.ExportCertificatePem());
            File.WriteAllText(paths.Item2, server.ExportCertificatePem());
            File.WriteAllText(paths.Item3, serverKey.ExportPkcs8PrivateKeyPem());
            return paths;
        }
    }
}
