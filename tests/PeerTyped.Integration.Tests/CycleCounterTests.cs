using System.Text;
using System.Text.Json.Nodes;
using PeerTyped.Client;

namespace PeerTyped.Integration.Tests;

/// <summary>
/// The cycle counter as upstream's orchestrator uses it: written by <c>echo N | nats kv put</c> (value "N\n"), read with
/// read-state.sh; <c>cycle next</c> never hands out a number whose cycle exists; <c>cycle current</c> only looks.
/// </summary>
public class CycleCounterTests(NatsServerFixture nats) : IClassFixture<NatsServerFixture>
{
    private const string Prefix = "peer.spec.counter";
    private const string Counter = Prefix + ".cycle.current";

    private async Task<CliRunner> ReadyAsync()
    {
        var cli = new CliRunner(nats.Server);
        Assert.Equal(0, (await cli.RunAsync("bucket", "init")).ExitCode);
        return cli;
    }

    private static async Task CreateCycleAsync(CliRunner cli, int number)
    {
        var created = await cli.RunAsync("create", $"{Prefix}.cycle.{number}", "--instruction", "create-spec", "--spec", "counter");
        Assert.True(created.ExitCode == 0, created.ToString());
    }

    [Fact]
    public async Task Read_state_on_the_counter_prints_the_number_upstream_stored_and_exits_5_when_absent()
    {
        var cli = await ReadyAsync();
        var absent = await cli.ScriptAsync("read-state.sh", [Counter]);
        Assert.Equal(5, absent.ExitCode);
        Assert.Equal(string.Empty, absent.Stdout);
        Assert.Contains($"{Counter}: not found", Assert.Single(absent.ErrorLines), StringComparison.Ordinal);

        await RawPublish.PutAsync(nats.Server, cli.Bucket, Counter, "1\n"u8.ToArray());
        var read = await cli.ScriptAsync("read-state.sh", [Counter]);
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Equal("1\n", read.Stdout);
        Assert.Equal(string.Empty, read.Stderr);

        // The orchestrator's arithmetic on what it read: $((CURRENT_CYCLE + 1)).
        Assert.Equal(2, int.Parse(read.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture) + 1);
    }

    [Theory]
    [InlineData("1\n", "2\n")]
    [InlineData("  7 \r\n", "8\n")]
    [InlineData("\t3", "4\n")]
    public async Task Cycle_next_accepts_white_space_around_a_stored_number(string stored, string expected)
    {
        var cli = await ReadyAsync();
        await RawPublish.PutAsync(nats.Server, cli.Bucket, Counter, Encoding.UTF8.GetBytes(stored));
        var next = await cli.RunAsync("cycle", "next", Prefix);
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Equal(expected, next.Stdout);
        Assert.Equal(expected.Trim(), (await cli.RunAsync("get", Counter)).Stdout.Trim());
    }

    [Theory]
    [InlineData("two\n", "\"two\\n\"")]
    [InlineData("1\n2\n", "\"1\\n2\\n\"")]
    [InlineData("0", "\"0\"")]
    [InlineData("-3", "\"-3\"")]
    public async Task A_bad_counter_is_reported_on_one_ERROR_line_and_left_alone(string stored, string shown)
    {
        var cli = await ReadyAsync();
        await RawPublish.PutAsync(nats.Server, cli.Bucket, Counter, Encoding.UTF8.GetBytes(stored));
        var next = await cli.RunAsync("cycle", "next", Prefix);
        Assert.Equal(4, next.ExitCode);
        Assert.Equal(string.Empty, next.Stdout);
        var error = Assert.Single(next.Stderr.TrimEnd('\n').Split('\n'));
        Assert.Equal($"ERROR: {Counter}: (document): the cycle counter holds {shown}; expected a whole number ≥ 1 (white space around it is allowed)", error);
        Assert.Equal(stored, (await cli.RunAsync("get", Counter, "--raw")).Stdout[..^1]);
    }

    [Fact]
    public async Task Cycle_next_never_returns_a_number_whose_cycle_exists()
    {
        var cli = await ReadyAsync();
        // The sequence: cycle.2 created directly, no counter yet.
        await CreateCycleAsync(cli, 2);
        Assert.Equal("3\n", (await cli.RunAsync("cycle", "next", Prefix)).Stdout);
        Assert.Equal("4\n", (await cli.RunAsync("cycle", "next", Prefix)).Stdout);

        // A counter behind the cycles (upstream wrote 1 while cycle.5 was created by hand) moves past the highest.
        await CreateCycleAsync(cli, 5);
        await RawPublish.PutAsync(nats.Server, cli.Bucket, Counter, "1\n"u8.ToArray());
        Assert.Equal("6\n", (await cli.RunAsync("cycle", "next", Prefix)).Stdout);
        Assert.Equal("6", (await cli.RunAsync("get", Counter)).Stdout.Trim());
    }

    [Fact]
    public async Task Cycles_of_another_prefix_do_not_count()
    {
        var cli = await ReadyAsync();
        Assert.Equal(0, (await cli.RunAsync("create", "peer.spec.counter-other.cycle.9", "--instruction", "create-spec", "--spec", "x")).ExitCode);
        Assert.Equal("1\n", (await cli.RunAsync("cycle", "next", Prefix)).Stdout);
    }

    [Fact]
    public async Task Cycle_current_prints_the_latest_without_allocating()
    {
        var cli = await ReadyAsync();
        var none = await cli.RunAsync("cycle", "current", Prefix);
        Assert.Equal(5, none.ExitCode);
        Assert.Contains($"{Prefix}: no cycle yet", Assert.Single(none.ErrorLines), StringComparison.Ordinal);

        Assert.Equal("1\n", (await cli.RunAsync("cycle", "next", Prefix)).Stdout);
        Assert.Equal("1\n", (await cli.RunAsync("cycle", "current", Prefix)).Stdout);
        Assert.Equal("1\n", (await cli.RunAsync("cycle", "current", Prefix)).Stdout);

        await CreateCycleAsync(cli, 4);
        Assert.Equal("4\n", (await cli.RunAsync("cycle", "current", Prefix)).Stdout);
        Assert.Equal("1", (await cli.RunAsync("get", Counter)).Stdout.Trim());
        Assert.Equal("5\n", (await cli.RunAsync("cycle", "next", Prefix)).Stdout);
    }

    [Fact]
    public async Task Concurrent_allocations_with_cycles_created_in_between_stay_unique_and_skip_existing_cycles()
    {
        var cli = await ReadyAsync();
        await using var store = await PeerStateStore.ConnectAsync(new PeerConnectionOptions { Servers = [nats.Server.Url] }, new PeerStoreOptions { Bucket = cli.Bucket });
        await CreateCycleAsync(cli, 3);
        var numbers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(() => store.NextCycleNumberAsync(Prefix))));
        Assert.Equal(12, numbers.Distinct().Count());
        Assert.All(numbers, n => Assert.True(n > 3, $"{n} is not past the existing cycle 3"));
        Assert.Equal(Enumerable.Range(4, 12), numbers.Order());
    }

    public static TheoryData<string, string[], string?> CounterWrites => new()
    {
        { "create-state.sh", [Counter, "{\"version\": 1}"], null },
        { "update-state.sh", [Counter, ". + 1"], null },
        { "peer-typed", ["set", Counter, "plan.status", "completed"], null },
        { "peer-typed", ["create", Counter, "-"], "2\n" },
        { "peer-typed", ["patch", Counter, "--merge", "{}"], null },
    };

    [Theory]
    [MemberData(nameof(CounterWrites))]
    public async Task Writes_to_the_counter_through_the_document_commands_are_refused_with_a_pointer_to_cycle_next(string program, string[] arguments, string? stdin)
    {
        var cli = await ReadyAsync();
        await RawPublish.PutAsync(nats.Server, cli.Bucket, Counter, "1\n"u8.ToArray());
        var result = program == "peer-typed"
            ? await cli.RunAsync(arguments, new Dictionary<string, string?> { ["PEER_ROLE"] = "orchestrator" }, stdin)
            : await cli.ScriptAsync(program, arguments, new Dictionary<string, string?> { ["PEER_ROLE"] = "orchestrator" });
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Equal(
            $"ERROR: '{Counter}' is the cycle counter of {Prefix}, not a cycle document; allocate the next number with `peer-typed cycle next {Prefix}` (read the latest with `peer-typed cycle current {Prefix}` or read-state.sh)",
            Assert.Single(result.ErrorLines));
        Assert.Equal("1\n", (await cli.RunAsync("get", Counter, "--raw")).Stdout[..^1]);
    }

    [Fact]
    public async Task Upstreams_new_cycle_logic_through_the_wrappers_gets_cycle_2_on_the_second_run()
    {
        var cli = await ReadyAsync();
        for (var run = 1; run <= 2; run++)
        {
            // CURRENT_CYCLE=$(read-state.sh "$CURRENT_CYCLE_KEY" 2>/dev/null || echo "")
            var read = await cli.ScriptAsync("read-state.sh", [Counter]);
            var current = read.ExitCode == 0 ? read.Stdout.Trim() : string.Empty;
            var number = current.Length == 0 || current == "null" ? 1 : int.Parse(current, System.Globalization.CultureInfo.InvariantCulture) + 1;
            Assert.Equal(run, number);
            // The duplicate check: read-state.sh on the new key must find nothing.
            Assert.Equal(5, (await cli.ScriptAsync("read-state.sh", [$"{Prefix}.cycle.{number}"])).ExitCode);
            var document = JsonNode.Parse(PeerCycles.New($"{Prefix}.cycle.{number}", "create-spec", "counter", "r").ToUtf8Bytes())!;
            var created = await cli.ScriptAsync("create-state.sh", [$"{Prefix}.cycle.{number}", document.ToJsonString()], new Dictionary<string, string?> { ["PEER_ROLE"] = "orchestrator" });
            Assert.True(created.ExitCode == 0, created.ToString());
            // echo "$CYCLE_NUMBER" | nats kv put agent-os-peer-state "[KEY_PREFIX].cycle.current"
            await RawPublish.PutAsync(nats.Server, cli.Bucket, Counter, Encoding.ASCII.GetBytes(number + "\n"));
        }
        Assert.Equal("2\n", (await cli.RunAsync("cycle", "current", Prefix)).Stdout);
        Assert.Equal("3\n", (await cli.RunAsync("cycle", "next", Prefix)).Stdout);
    }
}
