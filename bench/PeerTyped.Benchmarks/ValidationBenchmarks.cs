using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using PeerTyped.Contracts;

namespace PeerTyped.Benchmarks;

/// <summary>Validating the 10.7 KB document: the generated validator against two schema libraries, with parsing as the floor.</summary>
[MemoryDiagnoser]
public class ValidationBenchmarks
{
    private byte[] _utf8 = null!;
    private string _text = null!;
    private NJsonSchema.JsonSchema _njsonSchema = null!;
    private Json.Schema.JsonSchema _jsonSchemaNet = null!;
    private readonly Json.Schema.EvaluationOptions _options = new() { RequireFormatValidation = true, OutputFormat = Json.Schema.OutputFormat.Flag };

    [GlobalSetup]
    public void Setup()
    {
        _utf8 = Inputs.Document();
        _text = Encoding.UTF8.GetString(_utf8);
        // NJsonSchema resolves only draft-4 style "definitions"; the same schema with $defs renamed is equivalent.
        var draft4Style = Inputs.SchemaText().Replace("\"$defs\"", "\"definitions\"", StringComparison.Ordinal).Replace("#/$defs/", "#/definitions/", StringComparison.Ordinal);
        _njsonSchema = NJsonSchema.JsonSchema.FromJsonAsync(draft4Style).GetAwaiter().GetResult();
        // Its own registry: with --inProcess every benchmark's set-up runs in one process, and the global one refuses a second registration.
        _jsonSchemaNet = Json.Schema.JsonSchema.FromText(Inputs.SchemaText(), new Json.Schema.BuildOptions { SchemaRegistry = new Json.Schema.SchemaRegistry() });
        // Every contender must agree the document is valid, or the comparison means nothing.
        if (!PeerCycle.Validate(_utf8).IsValid || !NJsonSchemaValidate() || !JsonSchemaNetEvaluate()) throw new InvalidOperationException("validators disagree on the benchmark document");
    }

    [Benchmark(Baseline = true, Description = "JsonDocument.Parse (floor)")]
    public int JsonDocumentParse()
    {
        using var document = JsonDocument.Parse(_utf8);
        return document.RootElement.GetArrayLengthOrZero();
    }

    [Benchmark(Description = "PeerTyped generated validator")]
    public bool Generated() => PeerCycle.Validate(_utf8).IsValid;

    [Benchmark(Description = "NJsonSchema 11.6.2")]
    public bool NJsonSchemaValidate() => _njsonSchema.Validate(_text).Count == 0;

    [Benchmark(Description = "JsonSchema.Net 8.0.5 (parse + evaluate)")]
    public bool JsonSchemaNetEvaluate()
    {
        using var document = JsonDocument.Parse(_utf8);
        return _jsonSchemaNet.Evaluate(document.RootElement, _options).IsValid;
    }
}

internal static class JsonElementExtensions
{
    public static int GetArrayLengthOrZero(this JsonElement element) => element.ValueKind == JsonValueKind.Array ? element.GetArrayLength() : 1;
}
