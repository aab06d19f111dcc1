using System.Collections.Concurrent;
using System.Diagnostics;
using NATS.Client.Core;
using PeerTyped.Client;

namespace PeerTyped.Integration.Tests;

/// <summary>The shipped docs/nats-server.permissions.conf, its users and passwords.</summary>
internal static class SecureServer
{
    public static readonly string[] AgentUsers = ["orchestrator", "planner", "executor", "express", "review", "operator"];

    public static string Password(string user) => "change-me-" + user;

    public static async Task<NatsServer> StartAsync() =>
        await NatsServer.StartAsync(await File.ReadAllTextAsync(Path.Combine(CliRunner.RepoRoot, "docs", "nats-server.permissions.conf")));

    public static PeerConnectionOptions As(NatsServer server, string user, double timeoutSeconds = 5) => new()
    {
        Servers = [server.Url],
        User = user,
        Password = Password(user),
        RequestTimeout = TimeSpan.FromSeconds(timeoutSeconds),
        ConnectTimeout = TimeSpan.FromSeconds(timeoutSeconds),
    };

    public static Dictionary<string, string?> Environment(string user, string? role = null) => new()
    {
        ["NATS_USER"] = user,
        ["NATS_PASSWORD"] = Password(user),
        ["PEER_BUCKET"] = PeerStoreOptions.DefaultBucket,
        ["PEER_ROLE"] = role,
    };

    /// <summary>A raw NATS.Net connection as <paramref name="user"/> that records every permission violation the server reports.</summary>
    public static async Task<(NatsConnection Connection, ConcurrentQueue<string> Violations)> RawAsync(NatsServer server, string user, double timeoutSeconds = 1)
    {
        var violations = new ConcurrentQueue<string>();
        var connection = new NatsConnection(NatsOpts.Default with
        {
            Url = server.Url,
            RequestTimeout = TimeSpan.FromSeconds(timeoutSeconds),
            CommandTimeout = TimeSpan.FromSeconds(timeoutSeconds),
            AuthOpts = NatsAuthOpts.Default with { Username = user, Password = Password(user) },
        });
        connection.ServerError += (_, e) =>
        {
            if (e.Kind == NatsServerErrorKind.PermissionsViolation) violations.Enqueue(e.Error);
            return ValueTask.CompletedTask;
        };
        await connection.ConnectAsync();
        return (connection, violations);
    }
}

/// <summary>A `peer-typed gate` process, killed on dispose.</summary>
internal sealed class GateProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    private GateProcess(Process process) => _process = process;

    public string Log => string.Join("\n", _log);

    public static async Task<GateProcess> StartAsync(NatsServer server, string bucket, string user = "gate", string? binary = null)
    {
        var start = new ProcessStartInfo(binary ?? CliRunner.Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "--server", server.Url, "--bucket", bucket, "--timeout", "2", "gate" }) start.ArgumentList.Add(argument);
        start.Environment["NATS_USER"] = user;
        start.Environment["NATS_PASSWORD"] = SecureServer.Password(user);
        start.Environment.Remove("NATS_CONTEXT");
        var process = Process.Start(start)!;
        var gate = new GateProcess(process);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            gate._log.Enqueue(e.Data);
            if (e.Data.Contains("Gate started", StringComparison.Ordinal)) ready.TrySetResult();
        };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("the gate exited during start-up:\n" + gate.Log));
        process.EnableRaisingEvents = true;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return gate;
    }

    /// <summary>SIGKILL: no goodbye, requests in flight stay unanswered.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
