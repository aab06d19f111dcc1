using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using PeerTyped.Generators;

namespace PeerTyped.Generators.Tests;

/// <summary>Microsoft.CodeAnalysis.Testing set up for net10.0 code that references PeerTyped.Runtime.</summary>
internal sealed class SchemaGeneratorTest : CSharpSourceGeneratorTest<SchemaGenerator, DefaultVerifier>
{
    public SchemaGeneratorTest()
    {
        // Compile against the reference pack of the SDK that runs the tests, so no test downloads reference assemblies.
        ReferenceAssemblies = new ReferenceAssemblies("net10.0");
        TestState.AdditionalReferences.AddRange(FrameworkReferences.All);
        TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(PeerTyped.Runtime.ValueList).Assembly.Location));
        TestState.Sources.Add(("Consumer.cs", "namespace Consumer { }"));
    }

    protected override ParseOptions CreateParseOptions() => new CSharpParseOptions(LanguageVersion.Latest);
}

internal static class FrameworkReferences
{
    public static readonly IReadOnlyList<MetadataReference> All = Load();

    private static MetadataReference[] Load()
    {
        var runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var version = Path.GetFileName(runtimeDirectory);
        var dotnetRoot = Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", ".."));
        var packDirectory = Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref", version, "ref", "net" + Environment.Version.ToString(2));
        var directory = Directory.Exists(packDirectory) ? packDirectory : runtimeDirectory;
        return Directory.GetFiles(directory, "*.dll")
            .Where(file => !Path.GetFileName(file).StartsWith("Microsoft.VisualBasic", StringComparison.Ordinal) || Directory.Exists(packDirectory))
            .Select(file => (MetadataReference)MetadataReference.CreateFromFile(file))
            .ToArray();
    }
}

internal static class Schemas
{
    /// <summary>A small schema that touches every construct the generator supports.</summary>
    public const string Task = """
        {
          "title": "TaskDoc",
          "description": "A task shared by a writer and an admin.",
          "x-peer-namespace": "Sample",
          "x-peer-roles": ["writer", "admin"],
          "x-peer-superuser": "admin",
          "x-peer-owner": "admin",
          "type": "object",
          "additionalProperties": false,
          "required": ["state", "created_at"],
          "properties": {
            "state": { "$ref": "#/$defs/TaskState" },
            "created_at": { "type": "string", "format": "date-time" },
            "notes": {
              "title": "Notes",
              "type": "object",
              "x-peer-owner": "writer",
              "additionalProperties": true,
              "properties": {
                "text": { "type": "string", "maxLength": 200 },
                "tags": { "type": "array", "items": { "type": "string" }, "maxItems": 3 },
                "score": { "type": "integer", "minimum": 0, "maximum": 10 }
              }
            }
          },
          "$defs": {
            "TaskState": { "description": "Where the task stands.", "type": "string", "enum": ["open", "in_progress", "done"] }
          }
        }
        """;

    /// <summary>
    /// The number, any-JSON and conditional-rule support: a numeric enum, fractional bounds, {} and true subschemas
    /// (alone and as array items), and if/then/else rules on the object itself, in allOf and looking into a nested object.
    /// </summary>
    public const string Rules = """
        {
          "title": "Job",
          "x-peer-namespace": "Sample",
          "type": "object",
          "additionalProperties": false,
          "required": ["version", "state"],
          "properties": {
            "version": { "type": "number", "enum": [1, 1.1] },
            "state": { "title": "JobState", "type": "string", "enum": ["queued", "running", "done", "failed"] },
            "score": { "type": "number", "minimum": 0, "maximum": 99.5 },
            "started_at": { "type": "string", "format": "date-time" },
            "error": { "type": "string" },
            "payload": {},
            "tags": { "type": "array", "items": true },
            "result": {
              "title": "JobResult",
              "type": "object",
              "additionalProperties": false,
              "properties": { "ok": { "type": "boolean" }, "detail": { "description": "Anything the job returns." } }
            }
          },
          "if": { "properties": { "state": { "const": "queued" } } },
          "then": { "not": { "required": ["started_at"] } },
          "allOf": [
            {
              "if": { "properties": { "state": { "enum": ["failed"] } } },
              "then": { "required": ["error"] },
              "else": { "not": { "required": ["error"] } }
            },
            {
              "if": { "required": ["result"], "properties": { "state": { "const": "done" } } },
              "then": { "properties": { "result": { "properties": { "ok": { "const": true } } } } }
            }
          ]
        }
        """;
}
