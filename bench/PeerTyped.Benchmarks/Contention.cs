using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using PeerTyped.Client;
using PeerTyped.Contracts;
using PeerTyped.Integration.Tests;

namespace PeerTyped.Benchmarks;

/// <summary>
/// Writers on one key at default settings (no conflict cap, the 30 s retry deadline): 1 to 64 agents appending unique
/// items, as processes running <c>update-state.sh</c> and as in-process typed writers with a connection each. Every
/// call is timed; afterwards the items are counted, so a failed call, a lost or a duplicated append is a number.
/// Prints a markdown table and draws <c>bench/results/contention.svg</c> (p50/p99 per write and throughput against
/// the number of writers).
/// Usage: contention [CALLS_PER_PROCESS=15] [UPDATES_PER_IN_PROCESS_WRITER=50]
/// (the process case runs <c>scripts/peer/update-state.sh</c> with PEER_TYPED_BIN, default artifacts/peer-typed/peer-typed).
/// </summary>
internal static class Contention
{
    private static readonly int[] WriterCounts = [1, 2, 4, 8, 16, 32, 64];

    internal sealed record Row(string Case, int Writers, int Calls, int Failed, int Lost, int Duplicated, double PerSecond, double P50, double P99);

    public static async Task<int> RunAsync(string[] args)
    {
        var callsPerProcess = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
        var updatesPerWriter = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50;
        var root = RepoRoot();
        var binary = Environment.GetEnvironmentVariable("PEER_TYPED_BIN") is { Length: > 0 } bin ? bin : Path.Combine(root, "artifacts", "peer-typed", "peer-typed");
        if (!File.Exists(binary)) throw new FileNotFoundException($"no peer-typed binary at {binary}; publish it (setup.sh) or set PEER_TYPED_BIN");
        await using var server = await NatsServer.StartAsync();
        var rows = new List<Row>();
        Console.WriteLine("| case | writers | calls | failed | lost | duplicated | writes/s | p50 ms | p99 ms |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, measure) in new (string, Func<int, Task<Row>>)[]
        {
            ($"update-state.sh processes × {callsPerProcess}", writers => ProcessesAsync(server, root, binary, writers, callsPerProcess)),
            ($"in-process writers × {updatesPerWriter}", writers => InProcessAsync(server, writers, updatesPerWriter)),
        })
        {
            foreach (var writers in WriterCounts)
            {
                var row = await measure(writers) with { Case = name };
                rows.Add(row);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {row.Case} | {row.Writers} | {row.Calls} | {row.Failed} | {row.Lost} | {row.Duplicated} | {row.PerSecond:F0} | {row.P50:F1} | {row.P99:F1} |"));
            }
        }
        var svg = Path.Combine(root, "bench", "results", "contention.svg");
        Directory.CreateDirectory(Path.GetDirectoryName(svg)!);
        await File.WriteAllTextAsync(svg, ContentionPlot.Draw(rows));
        Console.WriteLine($"plot: {svg}");
        return rows.Any(r => r.Failed + r.Lost + r.Duplicated > 0) ? 1 : 0;
    }

    private static async Task<Row> ProcessesAsync(NatsServer server, string root, string binary, int processes, int callsEach)
    {
        var bucket = $"contention-p{processes}";
        var key = "peer.spec.contention.cycle.1";
        await using (var store = await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [server.Url] }, new PeerStoreOptions { Bucket = bucket }))
        {
            await store.EnsureBucketAsync();
            await store.CreateAsync(key, PeerCycles.New(key, "create-spec", "contention", "measure"));
        }
        var script = Path.Combine(root, "scripts", "peer", "update-state.sh");
        var latencies = new ConcurrentBag<double>();
        var failed = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, processes).Select(process => Task.Run(async () =>
        {
            for (var n = 0; n < callsEach; n++)
            {
                var start = new ProcessStartInfo(script) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                start.ArgumentList.Add(key);
                start.ArgumentList.Add(".phases.plan.output.phases = ((.phases.plan.output.phases // []) + [$item])");
                start.ArgumentList.Add("--arg");
                start.ArgumentList.Add("item");
                start.ArgumentList.Add($"p{process}-{n}");
                start.Environment["PEER_TYPED_BIN"] = binary;
                start.Environment["NATS_URL"] = server.Url;
                start.Environment["PEER_BUCKET"] = bucket;
                start.Environment["PEER_ROLE"] = "planner";
                var started = Stopwatch.GetTimestamp();
                using var child = Process.Start(start)!;
                var stdout = child.StandardOutput.ReadToEndAsync();
                var stderr = child.StandardError.ReadToEndAsync();
                await child.WaitForExitAsync();
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (child.ExitCode != 0 || await stdout != "OK\n")
                {
                    Interlocked.Increment(ref failed);
                    Console.Error.WriteLine($"p{process}-{n}: exit {child.ExitCode}: {(await stderr).Split('\n').FirstOrDefault(l => l.StartsWith("ERROR:", StringComparison.Ordinal))}");
                }
            }
        })));
        clock.Stop();
        var items = await ReadItemsAsync(server, bucket, key, o => o.Phases);
        return Summarise(processes, callsEach, latencies, failed, clock.Elapsed, items, p => n => $"p{p}-{n}");
    }

    private static async Task<Row> InProcessAsync(NatsServer server, int writers, int updatesEach)
    {
        var bucket = $"contention-i{writers}";
        var key = "peer.spec.contention.cycle.1";
        var options = new PeerStoreOptions { Bucket = bucket };
        var stores = await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [server.Url] }, options)));
        try
        {
            await stores[0].EnsureBucketAsync();
            await stores[0].CreateAsync(key, PeerCycles.New(key, "create-spec", "contention", "measure"));
            var latencies = new ConcurrentBag<double>();
            var failed = 0;
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var tasks = Enumerable.Range(0, writers).Select(writer => Task.Run(async () =>
            {
                await go.Task;
                for (var n = 0; n < updatesEach; n++)
                {
                    var item = $"w{writer}-{n}";
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        await stores[writer].UpdateAsync<PlannerView>(key, v => v.WithPlan(p => p.WithOutput(o => o.WithPhases((o.Phases ?? []).Add(item)))));
                    }
                    catch (PeerStateException ex)
                    {
                        Interlocked.Increment(ref failed);
                        Console.Error.WriteLine($"{item}: {ex.Message}");
                    }
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            })).ToArray();
            var clock = Stopwatch.StartNew();
            go.SetResult();
            await Task.WhenAll(tasks);
            clock.Stop();
            var items = await ReadItemsAsync(server, bucket, key, o => o.Phases);
            return Summarise(writers, updatesEach, latencies, failed, clock.Elapsed, items, w => n => $"w{w}-{n}");
        }
        finally
        {
            foreach (var store in stores) await store.DisposeAsync();
        }
    }

    private static async Task<List<string>> ReadItemsAsync(NatsServer server, string bucket, string key, Func<PlanOutput, IEnumerable<string>?> items)
    {
        await using var store = await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [server.Url] }, new PeerStoreOptions { Bucket = bucket });
        var document = (await store.ReadAsync(key)).Document;
        return document.Phases.Plan.Output is { } output ? (items(output) ?? []).ToList() : [];
    }

    private static Row Summarise(int writers, int callsEach, ConcurrentBag<double> latencies, int failed, TimeSpan elapsed, List<string> stored, Func<int, Func<int, string>> itemName)
    {
        var expected = Enumerable.Range(0, writers).SelectMany(w => Enumerable.Range(0, callsEach).Select(itemName(w))).ToHashSet();
        var present = stored.ToHashSet();
        var sorted = latencies.Order().ToArray();
        var calls = writers * callsEach;
        return new Row(string.Empty, writers, calls, failed, expected.Count(e => !present.Contains(e)), stored.Count - present.Count,
            calls / elapsed.TotalSeconds, Percentile(sorted, 0.50), Percentile(sorted, 0.99));
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(sorted.Length * p) - 1)];

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PeerTyped.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException("PeerTyped.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Two log-scale panels per case: p50/p99 milliseconds per write, and writes per second, against writers.</summary>
internal static class ContentionPlot
{
    private const int PanelWidth = 420, PanelHeight = 260, Margin = 60;

    public static string Draw(IReadOnlyList<Contention.Row> rows)
    {
        var cases = rows.Select(r => r.Case).Distinct().ToList();
        var width = 2 * (PanelWidth + Margin) + Margin;
        var height = cases.Count * (PanelHeight + 2 * Margin) + Margin;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<rect width="{width}" height="{height}" fill="white"/>""").Append('\n');
        for (var c = 0; c < cases.Count; c++)
        {
            var data = rows.Where(r => r.Case == cases[c]).OrderBy(r => r.Writers).ToList();
            var top = Margin + c * (PanelHeight + 2 * Margin);
            Panel(svg, Margin, top, $"{cases[c]}: ms per write", data, [("p50", "#1f77b4", r => r.P50), ("p99", "#d62728", r => r.P99)]);
            Panel(svg, 2 * Margin + PanelWidth, top, $"{cases[c]}: writes per second", data, [("writes/s", "#2ca02c", r => r.PerSecond)]);
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static void Panel(StringBuilder svg, int left, int top, string title, List<Contention.Row> data, (string Name, string Colour, Func<Contention.Row, double> Value)[] series)
    {
        var values = data.SelectMany(r => series.Select(s => Math.Max(s.Value(r), 0.01))).ToList();
        var low = Math.Floor(Math.Log10(values.Min()));
        var high = Math.Ceiling(Math.Log10(values.Max()));
        if (high <= low) high = low + 1;
        var maxWriters = Math.Log2(data.Max(r => r.Writers));
        double X(int writers) => left + (maxWriters == 0 ? 0 : Math.Log2(writers) / maxWriters * PanelWidth);
        double Y(double value) => top + PanelHeight - (Math.Log10(Math.Max(value, 0.01)) - low) / (high - low) * PanelHeight;
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{left}" y="{top - 10}" font-weight="bold">{Escape(title)}</text>""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{left}" y="{top}" width="{PanelWidth}" height="{PanelHeight}" fill="none" stroke="#888"/>""").Append('\n');
        for (var decade = low; decade <= high; decade++)
        {
            var y = Y(Math.Pow(10, decade));
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{left}" x2="{left + PanelWidth}" y1="{y:F1}" y2="{y:F1}" stroke="#eee"/><text x="{left - 6}" y="{y + 4:F1}" text-anchor="end">{Math.Pow(10, decade):G}</text>""").Append('\n');
        }
        foreach (var row in data)
        {
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{X(row.Writers):F1}" y="{top + PanelHeight + 16}" text-anchor="middle">{row.Writers}</text>""").Append('\n');
        }
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{left + PanelWidth / 2}" y="{top + PanelHeight + 34}" text-anchor="middle">writers on one key (log scale)</text>""").Append('\n');
        for (var s = 0; s < series.Length; s++)
        {
            var (name, colour, value) = series[s];
            var points = string.Join(' ', data.Select(r => string.Create(CultureInfo.InvariantCulture, $"{X(r.Writers):F1},{Y(value(r)):F1}")));
            svg.Append(CultureInfo.InvariantCulture, $"""<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>""").Append('\n');
            foreach (var r in data) svg.Append(CultureInfo.InvariantCulture, $"""<circle cx="{X(r.Writers):F1}" cy="{Y(value(r)):F1}" r="3" fill="{colour}"/>""").Append('\n');
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{left + 8}" y="{top + 16 + 14 * s}" fill="{colour}">{Escape(name)}</text>""").Append('\n');
        }
    }

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
