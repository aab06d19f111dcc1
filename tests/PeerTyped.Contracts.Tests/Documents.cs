using System.Text;
using System.Text.Json.Nodes;

namespace PeerTyped.Contracts.Tests;

internal static class Documents
{
    public const string LargeKey = "peer.spec.walcommitter-operation-support.cycle.1";

    public static byte[] Large() => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fixtures", LargeKey + ".json"));

    public static string SchemaText() => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "schemas", "peer-cycle.schema.json"));

    /// <summary>A freshly created cycle: every phase pending.</summary>
    public static string Minimal(string key = "peer.spec.demo.cycle.1") => $$"""
        {
          "version": 1,
          "cycle_id": "{{key}}",
          "metadata": {
            "instruction_name": "create-spec",
            "spec_name": "demo",
            "key_prefix": "{{key[..key.IndexOf(".cycle.", StringComparison.Ordinal)]}}",
            "cycle_number": {{key[(key.LastIndexOf('.') + 1)..]}},
            "created_at": "2025-08-06T09:12:44Z",
            "updated_at": "2025-08-06T09:12:44Z",
            "status": "INITIALIZED",
            "current_phase": "plan"
          },
          "context": { "peer_mode": "new", "spec_aware": true, "user_requirements": "Write the spec." },
          "phases": {
            "plan": { "status": "pending" },
            "execute": { "status": "pending" },
            "express": { "status": "pending" },
            "review": { "status": "pending" }
          }
        }
        """;

    public static JsonNode Node(string json) => JsonNode.Parse(json)!;

    public static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());
}
