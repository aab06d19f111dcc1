using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using PeerTyped.Cli.Console;
using PeerTyped.Client;
using PeerTyped.Contracts;

namespace PeerTyped.Cli.Commands;

/// <summary>
/// <c>peer-typed server start --secure</c>: the local nats-server with one user per role plus the gate's and an
/// admin's (random passwords, the permissions of docs/nats-server.permissions.conf), the gate started next to it, and
/// one natscli context per role (<c>peer-&lt;role&gt;</c>) so that <c>NATS_CONTEXT=peer-planner update-state.sh …</c>
/// connects as the planner and writes through the gate.
/// </summary>
internal static class SecureServer
{
    public const string GateUser = "gate";
    public const string AdminUser = "admin";

    private static string Directory => LocalServer.DataDirectory;

    public static string ConfigFile => Path.Combine(Directory, "nats-server.secure.conf");

    public static string GatePidFile => Path.Combine(Directory, "gate.pid");

    public static string GateLogFile => Path.Combine(Directory, "gate.log");

    /// <summary>The natscli context directory: $XDG_CONFIG_HOME/nats/context, default ~/.config/nats/context.</summary>
    public static string ContextDirectory => Path.Combine(
        Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config"),
        "nats", "context");

    public static async Task<LocalServer.Status> StartAsync(int port, string bucket, Terminal log, CancellationToken cancellationToken)
    {
        var running = await LocalServer.StatusAsync(port, cancellationToken).ConfigureAwait(false);
        if (running.Running) throw new PeerUsageException($"a server already answers on {running.Url}; stop it first (`peer-typed server stop`) to start a secure one");
        if (bucket.Length == 0 || !bucket.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) throw new PeerUsageException($"bucket name '{bucket}' may hold only letters, digits, - and _");
        System.IO.Directory.CreateDirectory(Directory);
        var users = PeerCycle.Roles.Append(GateUser).Append(AdminUser).ToDictionary(u => u, _ => Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant(), StringComparer.Ordinal);
        WritePrivate(ConfigFile, Config(bucket, users));
        var status = await LocalServer.StartAsync(port, cancellationToken, ConfigFile).ConfigureAwait(false);
        log.Info(status.Message);
        var url = status.Url;

        var admin = new PeerConnectionOptions { Servers = [url], User = AdminUser, Password = users[AdminUser] };
        await using (var store = await PeerStateStore.ConnectAsync(admin, new PeerStoreOptions { Bucket = bucket }, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            await store.EnsureBucketAsync(cancellationToken).ConfigureAwait(false);
            await StartGateAsync(url, bucket, users[GateUser], cancellationToken).ConfigureAwait(false);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            while (!await store.DiscoverGateAsync(cancellationToken).ConfigureAwait(false))
            {
                if (DateTime.UtcNow > deadline) throw new PeerUnavailableException($"the gate did not answer within 15 s; see {GateLogFile}");
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
        log.Info($"started the gate (pid {ReadPid(GatePidFile)}), log {GateLogFile}");
        System.IO.Directory.CreateDirectory(ContextDirectory);
        foreach (var user in users.Keys)
        {
            var name = "peer-" + user;
            WritePrivate(Path.Combine(ContextDirectory, name + ".json"), Json.Object(w =>
            {
                w.WriteString("description", $"PeerTyped {user} on the local secure nats-server (peer-typed server start --secure)");
                w.WriteString("url", url);
                w.WriteString("user", user);
                w.WriteString("password", users[user]);
            }, indented: true));
        }
        log.Info($"wrote nats contexts {string.Join(", ", users.Keys.Select(u => "peer-" + u))} to {ContextDirectory}");
        return status with { Message = $"secure nats-server on {url} with the gate; use NATS_CONTEXT=peer-<role>" };
    }

    private static async Task StartGateAsync(string url, string bucket, string password, CancellationToken cancellationToken)
    {
        var self = Environment.ProcessPath ?? throw new PeerUnavailableException("cannot tell where peer-typed is to start the gate");
        // setsid detaches the gate from this session and its pipes; the shell records its own pid, then becomes the gate.
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--fork", "sh", "-c", "echo $$ > \"$0\"; exec \"$1\" gate >> \"$2\" 2>&1", GatePidFile, self, GateLogFile }) start.ArgumentList.Add(argument);
        start.Environment["NATS_URL"] = url;
        start.Environment["NATS_USER"] = GateUser;
        start.Environment["NATS_PASSWORD"] = password;
        start.Environment["PEER_BUCKET"] = bucket;
        foreach (var name in new[] { "NATS_CONTEXT", "NATS_CREDS", "NATS_TOKEN", "NATS_NKEY", "PEER_ROLE", "PEER_GATE" }) start.Environment.Remove(name);
        using var launcher = Process.Start(start)!;
        launcher.StandardInput.Close();
        await launcher.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the gate if its pid file names a live peer-typed gate process (never another process that reused the pid).</summary>
    public static async Task<string?> StopGateAsync(CancellationToken cancellationToken)
    {
        if (ReadPid(GatePidFile) is not { } pid) return null;
        File.Delete(GatePidFile);
        if (!LocalServer.IsOurs(pid, "gate")) return $"gate pid {pid} is no longer a peer-typed gate; left alone";
        using var process = Process.GetProcessById(pid);
        process.Kill();
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return $"stopped the gate (pid {pid})";
    }

    private static int? ReadPid(string file) =>
        File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;

    private static void WritePrivate(string path, string text)
    {
        File.WriteAllText(path, string.Empty);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, text);
    }

    /// <summary>The shipped permission model (docs/nats-server.permissions.conf) for <paramref name="bucket"/>, with these passwords.</summary>
    private static string Config(string bucket, IReadOnlyDictionary<string, string> passwords)
    {
        string[] read =
        [
            "$JS.API.INFO", $"$JS.API.STREAM.INFO.KV_{bucket}", $"$JS.API.STREAM.MSG.GET.KV_{bucket}",
            $"$JS.API.DIRECT.GET.KV_{bucket}", $"$JS.API.DIRECT.GET.KV_{bucket}.>",
            $"$JS.API.CONSUMER.CREATE.KV_{bucket}", $"$JS.API.CONSUMER.CREATE.KV_{bucket}.>", $"$JS.API.CONSUMER.DELETE.KV_{bucket}.>",
            $"$JS.API.CONSUMER.INFO.KV_{bucket}.>", $"$JS.API.CONSUMER.MSG.NEXT.KV_{bucket}.>", $"$JS.FC.KV_{bucket}.>", $"$JS.ACK.KV_{bucket}.>",
            "$SRV.PING", "$SRV.INFO", "$SRV.STATS", "$SRV.*." + PeerGateProtocol.ServiceName, "$SRV.*." + PeerGateProtocol.ServiceName + ".>",
        ];
        static string List(IEnumerable<string> subjects) => "[" + string.Join(", ", subjects.Select(s => "\"" + s + "\"")) + "]";
        var text = new StringBuilder();
        text.AppendLine("# Written by `peer-typed server start --secure`; the model is docs/nats-server.permissions.conf.");
        text.AppendLine("authorization {");
        text.AppendLine("  users = [");
        foreach (var (user, password) in passwords)
        {
            var permissions = user switch
            {
                AdminUser => "{ publish: \">\", subscribe: \">\" }",
                GateUser => $"{{ publish: {{ allow: {List(read.Prepend($"$KV.{bucket}.>"))} }}, subscribe: {{ allow: [\"{PeerGateProtocol.SubjectPrefix}.>\", \"$SRV.>\", \"_INBOX.>\"] }}, allow_responses: true }}",
                _ => $"{{ publish: {{ allow: {List(read.Append($"{PeerGateProtocol.SubjectPrefix}.{user}.>"))} }}, subscribe: {{ allow: [\"_INBOX.>\"] }} }}",
            };
            text.AppendLine($"    {{ user: \"{user}\", password: \"{password}\", permissions: {permissions} }}");
        }
        text.AppendLine("  ]");
        text.AppendLine("}");
        return text.ToString();
    }
}
