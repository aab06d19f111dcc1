using PeerTyped.Client;

namespace PeerTyped.Integration.Tests;

/// <summary>The key checks remember the cycle key parsed last; every other key is still checked in full.</summary>
public class PeerKeyTests
{
    [Theory]
    [InlineData("peer.spec.demo.cycle.1 ")]
    [InlineData("peer.spec.demo.cycle.01")]
    [InlineData("peer.spec.demo.cycle.1.")]
    [InlineData("peer.spec.demo.cycle.current")]
    [InlineData("peer.spec.demo")]
    [InlineData("")]
    public void A_key_next_to_the_one_parsed_last_is_checked_in_full(string key)
    {
        Assert.Equal(("peer.spec.demo", 1), PeerKey.Parse("peer.spec.demo.cycle.1"));
        Assert.Throws<PeerUsageException>(() => PeerKey.Parse(key));
        Assert.Equal(("peer.spec.demo", 1), PeerKey.Parse("peer.spec.demo.cycle.1"));
        Assert.Throws<PeerUsageException>(() => PeerKey.Parse(key));
        Assert.Equal(("peer.global", 7), PeerKey.Parse("peer.global.cycle.7"));
    }
}
