namespace PeerTyped.Benchmarks;

internal static class Inputs
{
    public const string Key = "peer.spec.walcommitter-operation-support.cycle.1";

    /// <summary>The 10,685-byte cycle document (the size of revision 6 in the seed's incident), compact as stored.</summary>
    public static byte[] Document() => PeerTyped.Contracts.PeerCycle.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fixtures", Key + ".json"))).ToUtf8Bytes();

    /// <summary>The one change every update benchmark makes, so that they all measure the same thing: the planner sets one number.</summary>
    public static PeerTyped.Contracts.PlannerView OneFieldChange(PeerTyped.Contracts.PlannerView view, int value) =>
        view.WithPlan(p => p.WithOutput(o => o.WithEstimatedDuration(value)));

    public static string SchemaText() => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "schemas", "peer-cycle.schema.json"));
}
