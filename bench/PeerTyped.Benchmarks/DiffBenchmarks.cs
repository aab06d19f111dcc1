using BenchmarkDotNet.Attributes;
using PeerTyped.Client;
using PeerTyped.Contracts;

namespace PeerTyped.Benchmarks;

/// <summary>
/// The ownership diff of a one-field change of the 10.7 KB document: the JSON diff (two JsonDocument parses and a walk
/// down what differs) against the generated typed diff, as a typed change gives it (unchanged sections shared by
/// reference) and as the gate gives it (both documents parsed from JSON, nothing shared).
/// </summary>
[MemoryDiagnoser]
public class DiffBenchmarks
{
    private byte[] _before = null!;
    private byte[] _after = null!;
    private PeerCycle _current = null!;
    private PeerCycle _changed = null!;
    private PeerCycle _parsed = null!;

    [GlobalSetup]
    public void Setup()
    {
        _before = Inputs.Document();
        _current = PeerCycle.Parse(_before);
        _changed = Inputs.OneFieldChange(PlannerView.Over(_current), 42).Document;
        _after = _changed.ToUtf8Bytes();
        _parsed = PeerCycle.Parse(_after);
        // The three must find the same one change, or the comparison means nothing.
        var expected = JsonChanges.Between(_before, _after);
        if (expected.Count != 1 || !expected.SequenceEqual(JsonChanges.Between(_current, _changed)) || !expected.SequenceEqual(JsonChanges.Between(_current, _parsed)))
        {
            throw new InvalidOperationException("the diffs disagree on the benchmark change");
        }
    }

    [Benchmark(Baseline = true, Description = "JSON diff of the two texts")]
    public int Json() => JsonChanges.Between(_before, _after).Count;

    [Benchmark(Description = "typed diff, sections shared (a typed change)")]
    public int TypedShared() => JsonChanges.Between(_current, _changed).Count;

    [Benchmark(Description = "typed diff, nothing shared (the gate)")]
    public int TypedParsed() => JsonChanges.Between(_current, _parsed).Count;
}
