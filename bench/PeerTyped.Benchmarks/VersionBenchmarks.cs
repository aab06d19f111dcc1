using BenchmarkDotNet.Attributes;
using PeerTyped.Contracts;
using PeerTyped.Runtime;

namespace PeerTyped.Benchmarks;

/// <summary>
/// Reading a document one schema version old (upgrade in memory, then validate and parse) against reading a current
/// one (validate and parse). The upgrade step here keeps the document valid under this build's schema (its add
/// targets a member that is present, so nothing changes), so both paths end in the same validated record; the cost
/// measured is the whole upgrade machinery — one streaming Utf8JsonReader → Utf8JsonWriter pass that follows the
/// operation's path and copies everything else as raw bytes — on the 10,685-byte document.
/// </summary>
[MemoryDiagnoser]
public class VersionBenchmarks
{
    private byte[] _current = [];
    private byte[] _oneVersionOld = [];
    private SchemaUpgrades _upgrades = null!;

    [GlobalSetup]
    public void Setup()
    {
        _current = Inputs.Document();
        _oneVersionOld = _current;
        _upgrades = SchemaUpgrades.Parse(2, """[{ "from": 0, "ops": [{ "op": "add", "path": "/phases/plan/status", "value": "pending" }] }]""");
        var upgraded = _upgrades.Upgrade(_oneVersionOld, 0, toVersion: 1);
        if (!PeerCycle.Validate(upgraded).IsValid || !PeerCycle.Validate(_current).IsValid) throw new InvalidOperationException("inputs must be valid");
        // The short job has only 3 warm-ups: run both paths until tiered compilation has settled, so neither is
        // measured partly unoptimized.
        for (var i = 0; i < 2_000; i++)
        {
            ReadCurrent();
            ReadOneVersionOld();
        }
    }

    [Benchmark(Baseline = true, Description = "read current version: validate + parse")]
    public PeerCycle ReadCurrent() => PeerCycle.Validate(_current).IsValid ? PeerCycle.Parse(_current) : throw new InvalidOperationException();

    [Benchmark(Description = "the upgrade alone (one streaming pass)")]
    public byte[] UpgradeOnly() => _upgrades.Upgrade(_oneVersionOld, 0, toVersion: 1);

    [Benchmark(Description = "read one version old: upgrade + validate + parse")]
    public PeerCycle ReadOneVersionOld()
    {
        // toVersion 1 from "0": one declared step, so the result is a version-1 document this build validates.
        var upgraded = _upgrades.Upgrade(_oneVersionOld, 0, toVersion: 1);
        return PeerCycle.Validate(upgraded).IsValid ? PeerCycle.Parse(upgraded) : throw new InvalidOperationException();
    }
}
