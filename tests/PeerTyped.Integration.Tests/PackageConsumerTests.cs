using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using PeerTyped.Client;

namespace PeerTyped.Integration.Tests;

/// <summary>
/// The packages as a new .NET user meets them: `dotnet pack PeerTyped.sln` into a folder feed, then an application of
/// their own (tests/consumer) restores PeerTyped.Client from that feed, generates types from its own schema, compiles
/// the README's C# sample and runs it against a real nats-server; the dotnet tool installs from the feed and answers
/// --version. One test, because each step is a child `dotnet` process and CI has two cores.
/// </summary>
public partial class PackageConsumerTests
{
    private static readonly string RepoRoot = FindRepoRoot();

    [Fact]
    public async Task Packed_packages_restore_offline_into_a_consumer_with_its_own_schema_and_the_tool_installs()
    {
        var work = Directory.CreateTempSubdirectory("peer-typed-consumer-").FullName;
        try
        {
            // 1. Pack the solution as it was just built (the test run built it): every packable project, nothing else.
            var feed = Path.Combine(work, "feed");
            var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/'))!); // bin/<configuration>/net10.0
            await DotnetAsync(RepoRoot, "pack", Path.Combine(RepoRoot, "PeerTyped.sln"), "--no-build", "-c", configuration, "-o", feed);
            var version = typeof(PeerStateStore).Assembly.GetName().Version!.ToString(3);
            string[] packages = ["PeerTyped.Client", "PeerTyped.Contracts", "PeerTyped.Runtime", "peer-typed"];
            Assert.Equal(
                packages.SelectMany(id => new[] { $"{id}.{version}.nupkg", $"{id}.{version}.snupkg" }).Order(StringComparer.Ordinal),
                Directory.GetFiles(feed).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            AssertContracts(Path.Combine(feed, $"PeerTyped.Contracts.{version}.nupkg"));

            // 2. The consumer, outside the repository, restoring from the feed and from the packages this machine already
            //    holds (the global packages folder is itself a folder feed) into a packages folder of its own: offline,
            //    and no stale PeerTyped package from an earlier run can be picked up.
            var consumer = Path.Combine(work, "consumer");
            CopyDirectory(Path.Combine(RepoRoot, "tests", "consumer"), consumer);
            var globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
                ? configured
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            await File.WriteAllTextAsync(Path.Combine(consumer, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="peer-typed" value="{feed}" />
                    <add key="machine" value="{globalPackages}" />
                  </packageSources>
                </configuration>
                """);
            await File.WriteAllTextAsync(Path.Combine(consumer, "ReadmeSample.cs"), ReadmeSampleSource());
            var packagesFolder = Path.Combine(work, "packages");
            await DotnetAsync(consumer, "build", "-nologo", "-v", "q", "-clp:NoSummary", "-p:PeerTypedVersion=" + version);
            Assert.True(Directory.Exists(Path.Combine(packagesFolder, "peertyped.contracts", version)), "PeerTyped.Contracts was not restored from the feed");

            // 3. Run it: its own Ticket types, then the README sample through AddPeerTyped against a real server.
            await using var server = await NatsServer.StartAsync();
            var output = await DotnetAsync(consumer, ["bin/Debug/net10.0/PeerTyped.Consumer.dll"], new() { ["NATS_URL"] = server.Url });
            Assert.Contains("""ticket: {"title":"Disk full","opened_at":"2026-11-28T10:00:00Z","report":{"text":"df says 100%"},"triage":{"severity":"high","assignee":"ops"}}""", output, StringComparison.Ordinal);
            Assert.Contains("ticket /triage owners: triager", output, StringComparison.Ordinal);
            Assert.Contains("ticket violations: /title | /opened_at | /triage/severity", output, StringComparison.Ordinal);
            Assert.Contains("peer: Completed Execute risks=2", output, StringComparison.Ordinal);
            Assert.Contains("""{"risk":"disk full"},{"risk":"fsync ordering","likelihood":"medium"}""", output, StringComparison.Ordinal);

            // 4. The dotnet tool, from the same feed.
            var tools = Path.Combine(work, "tools");
            await DotnetAsync(consumer, "tool", "install", "--tool-path", tools, "--add-source", feed, "--version", version, "peer-typed");
            var toolVersion = await RunAsync(consumer, Path.Combine(tools, "peer-typed"), ["--version"], []);
            Assert.StartsWith(version, toolVersion.Trim(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The package that carries the generator: its library, the generator as an analyzer, a readme, SourceLink's commit.</summary>
    private static void AssertContracts(string path)
    {
        using var package = ZipFile.OpenRead(path);
        var entries = package.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("lib/net10.0/PeerTyped.Contracts.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/PeerTyped.Generators.dll", entries);
        Assert.Contains("README.md", entries);
        using var reader = new StreamReader(package.GetEntry("PeerTyped.Contracts.nuspec")!.Open());
        var nuspec = reader.ReadToEnd();
        Assert.Contains("""<license type="expression">MIT</license>""", nuspec, StringComparison.Ordinal);
        Assert.Contains("<readme>README.md</readme>", nuspec, StringComparison.Ordinal);
        Assert.Contains("<authors>PeerTyped contributors</authors>", nuspec, StringComparison.Ordinal);
        Assert.Matches("<repository type=\"git\" url=\"https://[^\"]+\"", nuspec);
        Assert.Contains("<projectUrl>", nuspec, StringComparison.Ordinal);
        Assert.Contains("<tags>", nuspec, StringComparison.Ordinal);
    }

    /// <summary>
    /// The README's C# sample, compiled and run as written, but on the store the consumer hands in instead of one it
    /// connects to the default server (127.0.0.1:4222, which tests never use).
    /// </summary>
    private static string ReadmeSampleSource()
    {
        var readme = File.ReadAllText(Path.Combine(RepoRoot, "README.md"));
        var section = readme.IndexOf("### C# against the generated types", StringComparison.Ordinal);
        Assert.True(section >= 0, "README.md has no '### C# against the generated types' section");
        var block = CSharpBlock().Match(readme, section);
        Assert.True(block.Success, "README.md's C# section has no ```csharp block");
        var lines = block.Groups[1].Value.Split('\n');
        var usings = lines.Where(l => l.StartsWith("using ", StringComparison.Ordinal)).ToList();
        var connect = lines.Where(l => l.StartsWith("await using var store = await PeerStateStore.ConnectAsync(", StringComparison.Ordinal)).ToList();
        Assert.Single(connect);
        var body = lines.Where(l => !usings.Contains(l) && !connect.Contains(l));
        return string.Join("\n", usings) + "\n\ninternal static class ReadmeSample\n{\n    public static async Task UpdateAsync(IPeerStateStore store)\n    {\n"
            + string.Join("\n", body.Select(l => "        " + l)) + "\n    }\n}\n";
    }

    [GeneratedRegex("```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    private static Task<string> DotnetAsync(string directory, params string[] arguments) => DotnetAsync(directory, arguments, []);

    private static Task<string> DotnetAsync(string directory, string[] arguments, Dictionary<string, string> environment)
    {
        // The consumer's packages go to a folder of its own (see step 2); the tool install restores through it too.
        environment["NUGET_PACKAGES"] = Path.Combine(Path.GetDirectoryName(directory)!, "packages");
        return RunAsync(directory, "dotnet", arguments, environment);
    }

    private static async Task<string> RunAsync(string directory, string file, string[] arguments, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // The test host runs under MSBuild's environment; a child build must find its own SDK, not inherit those paths.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList()) start.Environment.Remove(name);
        // No MSBuild worker nodes left running after the test: each child build is one process tree that ends with it.
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)} exited {process.ExitCode}\n{output}\n{await stderr}");
        return output;
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.StartsWith("bin", StringComparison.Ordinal) || relative.StartsWith("obj", StringComparison.Ordinal)) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(to, relative))!);
            File.Copy(file, Path.Combine(to, relative));
        }
    }

    private static string FindRepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PeerTyped.sln"))) return directory.FullName;
        }
        throw new InvalidOperationException("PeerTyped.sln not found above " + AppContext.BaseDirectory);
    }
}
