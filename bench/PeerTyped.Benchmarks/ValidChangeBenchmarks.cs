using BenchmarkDotNet.Attributes;
using PeerTyped.Contracts;

namespace PeerTyped.Benchmarks;

/// <summary>
/// Showing a one-field typed change of the 10.7 KB document valid: the generated validator on the written bytes (what
/// every typed write ran before) against the typed proof, IsValidChange, with the sections shared as a typed change
/// shares them and with nothing shared (a document read from JSON).
/// </summary>
[MemoryDiagnoser]
public class ValidChangeBenchmarks
{
    private PeerCycle _current = null!;
    private PeerCycle _changed = null!;
    private PeerCycle _parsed = null!;
    private byte[] _written = null!;

    [GlobalSetup]
    public void Setup()
    {
        _current = PeerCycle.Parse(Inputs.Document());
        _changed = Inputs.OneFieldChange(PlannerView.Over(_current), 42).Document;
        _written = _changed.ToUtf8Bytes();
        _parsed = PeerCycle.Parse(_written);
        // Every contender must find the change valid, or the comparison means nothing.
        if (!PeerCycle.Validate(_written).IsValid || !PeerCycle.IsValidChange(_current, _changed) || !PeerCycle.IsValidChange(_current, _parsed))
        {
            throw new InvalidOperationException("the checks disagree on the benchmark change");
        }
    }

    [Benchmark(Baseline = true, Description = "generated validator on the written bytes")]
    public bool Bytes() => PeerCycle.Validate(_written).IsValid;

    [Benchmark(Description = "IsValidChange, sections shared (a typed change)")]
    public bool Shared() => PeerCycle.IsValidChange(_current, _changed);

    [Benchmark(Description = "IsValidChange, nothing shared")]
    public bool Unshared() => PeerCycle.IsValidChange(_current, _parsed);
}
