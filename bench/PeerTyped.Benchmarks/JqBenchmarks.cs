using BenchmarkDotNet.Attributes;
using PeerTyped.Client.Jq;

namespace PeerTyped.Benchmarks;

/// <summary>
/// One run of a jq filter on the 10.7 KB document, as one compare-and-set attempt runs it: the fast path (Auto, which
/// hands filters outside its shapes to libjq), libjq with the filter compiled once (every retry after the first),
/// libjq compiling first (the first attempt of a process), and the jq binary as a child process (the fallback).
/// </summary>
[MemoryDiagnoser]
public class JqBenchmarks
{
    public static IEnumerable<string> Filters() =>
    [
        ".phases.execute.output.files_created += [$f]",
        """.phases.plan.status = "completed" | .phases.plan.completed_at = (now|todate) | .metadata.updated_at = (now|todate)""",
        """.phases.plan |= (.status = "completed" | .output.risks += [$f])""",
    ];

    public enum Engine
    {
        FastPathOrLibjq,
        LibjqCompiled,
        LibjqCompileAndRun,
        JqProcess,
    }

    [ParamsSource(nameof(Filters))]
    public string Filter { get; set; } = "";

    [Params(Engine.FastPathOrLibjq, Engine.LibjqCompiled, Engine.LibjqCompileAndRun, Engine.JqProcess)]
    public Engine Runner { get; set; }

    private readonly JqArgument[] _arguments = [new(JqArgumentKind.Arg, "f", "docs/new.md")];
    private byte[] _document = [];
    private JqFilter? _compiled;

    [GlobalSetup]
    public async Task Setup()
    {
        _document = Inputs.Document();
        _compiled = Runner switch
        {
            Engine.FastPathOrLibjq => JqFilter.Create(Filter, _arguments),
            Engine.LibjqCompiled => JqFilter.Create(Filter, _arguments, new JqOptions { Engine = JqEngine.InProcess }),
            Engine.JqProcess => JqFilter.Create(Filter, _arguments, new JqOptions { Engine = JqEngine.Process }),
            _ => null,
        };
        if (_compiled is not null && (await _compiled.RunAsync(_document)).Outcome != JqOutcome.Document) throw new InvalidOperationException("the filter failed");
    }

    [GlobalCleanup]
    public void Cleanup() => _compiled?.Dispose();

    [Benchmark]
    public async Task<int> Run()
    {
        if (_compiled is not null) return (await _compiled.RunAsync(_document)).Output!.Length;
        using var cold = JqFilter.Create(Filter, _arguments, new JqOptions { Engine = JqEngine.InProcess });
        return (await cold.RunAsync(_document)).Output!.Length;
    }
}
