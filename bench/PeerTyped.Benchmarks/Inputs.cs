namespace PeerTyped.Benchmarks;

internal static class Inputs
{
    public const string Key = "peer.spec.walcommitter-operation-support.cycle.1";

    /// <summary>The 10,685-byte cycle document (the size of revision 6 in the seed's incident), compact as stored.</summary>
    public static byte[] Document() => PeerTyped.Contracts.PeerCycle.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fixtures", Key + ".json"))).ToUtf8Bytes();

    public static string SchemaText() => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "schemas", "peer-cycle.schema.json"));
}
