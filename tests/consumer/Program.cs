using System.Text;
using Consumer.Tickets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PeerTyped.Client;
using PeerTyped.Contracts;
using PeerTyped.Runtime;

// 1. Our own schema: records, a validator and role views generated in this build.
var ticket = Ticket.Parse("""{"title":"Disk full","opened_at":"2026-11-28T10:00:00Z","report":{"text":"df says 100%"}}"""u8);
ticket = ticket.AsTriager().WithTriage(_ => new Triage { Severity = Severity.High, Assignee = "ops" }).Document;
Console.WriteLine("ticket: " + ticket.ToJson());
Console.WriteLine("ticket /triage owners: " + string.Join(",", Ticket.OwnersOf("/triage")));
var bad = Ticket.Validate("""{"title":"","opened_at":"yesterday","report":{"text":"x"},"triage":{"severity":"urgent"}}"""u8);
Console.WriteLine("ticket violations: " + string.Join(" | ", bad.Violations.Select(v => v.Pointer)));

// 2. The PEER types from the package, through the store registered by AddPeerTyped with the PeerTyped section.
var natsUrl = Environment.GetEnvironmentVariable("NATS_URL");
if (natsUrl is null) return 0;
var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
{
    ["PeerTyped:Connection:Servers:0"] = natsUrl,
    ["PeerTyped:Store:Bucket"] = "consumer-test",
}).Build();
await using var services = new ServiceCollection().AddPeerTyped(configuration).BuildServiceProvider();
var store = services.GetRequiredService<IPeerStateStore>();
await store.EnsureBucketAsync();
const string Key = "peer.spec.my-feature.cycle.1";
await store.CreateAsync(Key, PeerCycles.New(Key, "create-spec", "my-feature", "Add operation support"));
await store.UpdateAsync<PlannerView>(Key, view => view.WithPlan(plan => plan with { Output = new PlanOutput { Risks = [RawJson.Parse("""{"risk": "disk full"}""")] } }));
await ReadmeSample.UpdateAsync(store);
var entry = await store.ReadAsync(Key);
Console.WriteLine($"peer: {entry.Document.Phases.Plan.Status} {entry.Document.Metadata.CurrentPhase} risks={entry.Document.Phases.Plan.Output!.Risks!.Count}");
Console.WriteLine("peer json: " + Encoding.UTF8.GetString(entry.Json.Span));
return 0;
