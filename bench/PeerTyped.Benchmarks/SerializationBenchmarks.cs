using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using PeerTyped.Contracts;

namespace PeerTyped.Benchmarks;

/// <summary>Reading and writing the 10.7 KB document: generated UTF-8 code against System.Text.Json on equivalent POCOs.</summary>
[MemoryDiagnoser]
public class SerializationBenchmarks
{
    private byte[] _utf8 = null!;
    private PeerCycle _typed = null!;
    private StjCycle _poco = null!;
    private static readonly JsonSerializerOptions Reflection = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver() };

    [GlobalSetup]
    public void Setup()
    {
        _utf8 = Inputs.Document();
        _typed = PeerCycle.Parse(_utf8);
        _poco = JsonSerializer.Deserialize(_utf8, StjContext.Default.StjCycle)!;
        if (_typed.ToUtf8Bytes().Length != _utf8.Length) throw new InvalidOperationException("generated writer does not round-trip");
        _version = PeerCycle.Parse(_utf8);
    }

    [Benchmark(Description = "read: PeerTyped generated")]
    public PeerCycle ReadGenerated() => PeerCycle.Parse(_utf8);

    [Benchmark(Description = "read: STJ source-generated")]
    public StjCycle? ReadStjSourceGen() => JsonSerializer.Deserialize(_utf8, StjContext.Default.StjCycle);

    [Benchmark(Description = "read: STJ reflection")]
    public StjCycle? ReadStjReflection() => JsonSerializer.Deserialize<StjCycle>(_utf8, Reflection);

    [Benchmark(Description = "write: PeerTyped generated")]
    public byte[] WriteGenerated() => _typed.ToUtf8Bytes();

    private PeerCycle _version = null!;
    private int _change;

    /// <summary>
    /// What a store's typed update writes: the next version of a document after a one-field change, its untouched
    /// sections copied from the bytes remembered when the version before was written (WrittenJson).
    /// </summary>
    [Benchmark(Description = "write: the next version after a typed change (untouched sections copied)")]
    public byte[] WriteNextVersion()
    {
        _version = Inputs.OneFieldChange(PlannerView.Over(_version), ++_change).Document;
        return PeerTyped.Runtime.JsonText.WriteRemembering(_version, static (document, writer) => document.WriteJson(writer));
    }

    [Benchmark(Description = "write: STJ source-generated")]
    public byte[] WriteStjSourceGen() => JsonSerializer.SerializeToUtf8Bytes(_poco, StjContext.Default.StjCycle);

    [Benchmark(Description = "write: STJ reflection")]
    public byte[] WriteStjReflection() => JsonSerializer.SerializeToUtf8Bytes(_poco, Reflection);
}

// The same document as plain POCOs, the way System.Text.Json users would write them (enums as strings, extra fields kept).
public sealed class StjCycle { public int Version { get; set; } public string CycleId { get; set; } = ""; public StjMetadata Metadata { get; set; } = new(); public StjContextSection Context { get; set; } = new(); public StjPhases Phases { get; set; } = new(); public StjSummary? CycleSummary { get; set; } }
public sealed class StjMetadata { public string InstructionName { get; set; } = ""; public string? SpecName { get; set; } public string KeyPrefix { get; set; } = ""; public long CycleNumber { get; set; } public DateTimeOffset CreatedAt { get; set; } public DateTimeOffset UpdatedAt { get; set; } public DateTimeOffset? CompletedAt { get; set; } public string Status { get; set; } = ""; public string CurrentPhase { get; set; } = ""; }
public sealed class StjContextSection { public string PeerMode { get; set; } = ""; public bool SpecAware { get; set; } public string UserRequirements { get; set; } = ""; }
public sealed class StjPhases { public StjPhase<StjPlanOutput> Plan { get; set; } = new(); public StjPhase<StjExecuteOutput> Execute { get; set; } = new(); public StjPhase<StjExpressOutput> Express { get; set; } = new(); public StjPhase<StjReviewOutput> Review { get; set; } = new(); }
public sealed class StjPhase<TOutput> where TOutput : class { public string Status { get; set; } = ""; public DateTimeOffset? StartedAt { get; set; } public DateTimeOffset? CompletedAt { get; set; } public string? Error { get; set; } public TOutput? Output { get; set; } }
public sealed class StjPlanOutput { public string? InstructionType { get; set; } public List<string>? Phases { get; set; } public string? SuccessCriteria { get; set; } public long? EstimatedDuration { get; set; } public List<string>? Risks { get; set; } [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; } }
public sealed class StjExecuteOutput { public string? Progress { get; set; } public List<string>? FilesCreated { get; set; } public List<string>? FilesModified { get; set; } public long? CurrentStep { get; set; } public long? TotalSteps { get; set; } public JsonElement? Results { get; set; } [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; } }
public sealed class StjExpressOutput { public string? Summary { get; set; } public List<string>? KeyAchievements { get; set; } public List<string>? Deliverables { get; set; } public string? FormattedOutput { get; set; } [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; } }
public sealed class StjReviewOutput { public long? QualityScore { get; set; } public List<string>? Strengths { get; set; } public List<string>? Improvements { get; set; } public List<string>? Recommendations { get; set; } public string? Insights { get; set; } [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; } }
public sealed class StjSummary { public bool Success { get; set; } public string? Instruction { get; set; } public string Summary { get; set; } = ""; public List<string>? Highlights { get; set; } public long? Completion { get; set; } public string? NextAction { get; set; } }

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StjCycle))]
public sealed partial class StjContext : JsonSerializerContext;
