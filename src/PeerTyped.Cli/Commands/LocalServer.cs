using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using PeerTyped.Client;

namespace PeerTyped.Cli.Commands;

/// <summary>The embedded default: one JetStream nats-server on 127.0.0.1 with its store under ~/.agent-os/nats.</summary>
internal static class LocalServer
{
    public sealed record Status(bool Running, string Url, string Message);

    private static string Home => Environment.GetEnvironmentVariable("AGENT_OS_HOME") is { Length: > 0 } home
        ? home
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".agent-os");

    private static string Directory => Path.Combine(Home, "nats");

    /// <summary>Where the server's store, pid and log files live (~/.agent-os/nats).</summary>
    public static string DataDirectory => Directory;

    private static string PidFile => Path.Combine(Directory, "nats-server.pid");

    private static string LogFile => Path.Combine(Directory, "nats-server.log");

    public static async Task<Status> StatusAsync(int port, CancellationToken cancellationToken)
    {
        var url = $"nats://127.0.0.1:{port}";
        var pid = ReadPid();
        var answers = await AnswersAsync(port, cancellationToken).ConfigureAwait(false);
        if (answers) return new Status(true, url, pid is { } p && IsAlive(p) ? $"running: pid {p}, {url}, store {Path.Combine(Directory, "jetstream")}" : $"a server answers on {url} (not started by peer-typed)");
        return new Status(false, url, $"stopped: nothing answers on {url}");
    }

    public static async Task<Status> StartAsync(int port, CancellationToken cancellationToken, string? configFile = null)
    {
        var status = await StatusAsync(port, cancellationToken).ConfigureAwait(false);
        if (status.Running) return status with { Message = "already " + status.Message };
        System.IO.Directory.CreateDirectory(Directory);
        var store = Path.Combine(Directory, "jetstream");
        // setsid detaches the server from this process's session and pipes, so callers capturing our output do not wait for it.
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--fork", "nats-server", "-js", "-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-sd", store, "-l", LogFile, "-P", PidFile })
        {
            start.ArgumentList.Add(argument);
        }
        if (configFile is not null)
        {
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(configFile);
        }
        try
        {
            using var launcher = Process.Start(start)!;
            launcher.StandardInput.Close();
            await launcher.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new PeerUnavailableException($"cannot start nats-server: {ex.Message} (./setup.sh installs it)");
        }
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (await AnswersAsync(port, cancellationToken).ConfigureAwait(false))
            {
                return new Status(true, $"nats://127.0.0.1:{port}", $"started nats-server (pid {ReadPid()}) on nats://127.0.0.1:{port}, store {store}, log {LogFile}");
            }
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
        throw new PeerUnavailableException($"nats-server did not answer on 127.0.0.1:{port} within 15 s; see {LogFile}");
    }

    public static async Task<string> StopAsync(CancellationToken cancellationToken)
    {
        // The gate first, so it never outlives the server it writes to.
        var gate = await SecureServer.StopGateAsync(cancellationToken).ConfigureAwait(false);
        var prefix = gate is null ? string.Empty : gate + "; ";
        if (ReadPid() is not { } pid || !IsAlive(pid)) return prefix + "not running";
        if (!IsOurs(pid, "nats-server"))
        {
            File.Delete(PidFile);
            return prefix + $"pid {pid} in {PidFile} is not a nats-server any more; left alone";
        }
        using (var process = Process.GetProcessById(pid))
        {
            process.Kill();
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        File.Delete(PidFile);
        return prefix + $"stopped nats-server (pid {pid})";
    }

    /// <summary>Whether <paramref name="pid"/> is alive and its command line names <paramref name="marker"/> (a pid file can outlive its process, and pids are reused).</summary>
    public static bool IsOurs(int pid, string marker)
    {
        try
        {
            var commandLine = File.ReadAllText("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/cmdline").Split('\0');
            return commandLine.Any(part => part == marker || Path.GetFileName(part) == marker);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static int? ReadPid() =>
        File.Exists(PidFile) && int.TryParse(File.ReadAllText(PidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;

    private static bool IsAlive(int pid) => System.IO.Directory.Exists("/proc/" + pid.ToString(CultureInfo.InvariantCulture));

    private static async Task<bool> AnswersAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", port, cancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException)
        {
            return false;
        }
    }
}
