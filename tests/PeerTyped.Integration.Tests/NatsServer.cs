using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PeerTyped.Integration.Tests;

/// <summary>
/// A real nats-server with JetStream on a free loopback port and a temporary store directory, stopped and deleted on
/// dispose. A missing binary fails the test run loudly: these tests are the proof, they are never skipped.
/// </summary>
public sealed class NatsServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _storeDirectory;

    private NatsServer(Process process, int port, string storeDirectory)
    {
        _process = process;
        Port = port;
        _storeDirectory = storeDirectory;
    }

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    public static async Task<NatsServer> StartAsync(string? extraConfig = null, int? port = null, string? storeDirectory = null)
    {
        var binary = FindBinary();
        var store = storeDirectory ?? Directory.CreateTempSubdirectory("peer-typed-nats-").FullName;
        var chosenPort = port ?? FreePort();
        var arguments = new List<string> { "-js", "-a", "127.0.0.1", "-p", chosenPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "-sd", store };
        if (extraConfig is not null)
        {
            var configFile = Path.Combine(store, "server.conf");
            await File.WriteAllTextAsync(configFile, extraConfig);
            arguments.AddRange(["-c", configFile]);
        }
        var start = new ProcessStartInfo(binary) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException("nats-server did not start");
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            log.Enqueue(e.Data);
            if (e.Data.Contains("Server is ready", StringComparison.Ordinal)) ready.TrySetResult();
        };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("nats-server exited during start-up:\n" + string.Join("\n", log)));
        process.EnableRaisingEvents = true;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("nats-server did not report ready within 30 s:\n" + string.Join("\n", log));
        }
        return new NatsServer(process, chosenPort, store);
    }

    /// <summary>Freezes the server (SIGSTOP): connections stay open, nothing is answered, until <see cref="ResumeAsync"/>.</summary>
    public Task PauseAsync() => SignalAsync("-STOP");

    /// <summary>Lets a paused server run again (SIGCONT); it then processes what arrived meanwhile.</summary>
    public Task ResumeAsync() => SignalAsync("-CONT");

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill {signal} {_process.Id} failed");
    }

    /// <summary>Stops the server abruptly (SIGKILL), keeping its store.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>Stops the server abruptly (SIGKILL), keeping its store, and starts it again on the same port.</summary>
    public async Task<NatsServer> RestartAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        return await StartAsync(port: Port, storeDirectory: _storeDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_storeDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A restarted server shares the directory and may still hold it; the temp folder is cleaned by the OS.
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindBinary()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator).Append("/usr/sbin").Append("/usr/bin"))
        {
            var candidate = Path.Combine(directory, "nats-server");
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException("nats-server is not installed: run ./setup.sh (it installs the Debian package nats-server)");
    }
}
