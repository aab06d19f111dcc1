using PeerTyped.Contracts;

namespace PeerTyped.Client;

/// <summary>Builds new cycle documents that match their key.</summary>
public static class PeerCycles
{
    /// <summary>A fresh cycle for <paramref name="key"/>: every phase pending, prefix and cycle number taken from the key.</summary>
    public static PeerCycle New(string key, string instruction, string? spec, string requirements, bool continuing = false, DateTimeOffset? now = null)
    {
        var (prefix, number) = PeerKey.Parse(key);
        var created = now ?? Runtime.FieldText.ParseDateTime("now");
        return new PeerCycle
        {
            Version = PeerDocumentVersions.Current,
            CycleId = key,
            Metadata = new Metadata
            {
                InstructionName = instruction,
                SpecName = spec,
                KeyPrefix = prefix,
                CycleNumber = number,
                CreatedAt = created,
                UpdatedAt = created,
                Status = CycleStatus.Initialized,
                CurrentPhase = PhaseName.Plan,
            },
            Context = new Context { PeerMode = continuing ? PeerMode.Continue : PeerMode.New, SpecAware = spec is not null, UserRequirements = requirements },
            Phases = new Phases
            {
                Plan = new PlanPhase { Status = PhaseStatus.Pending },
                Execute = new ExecutePhase { Status = PhaseStatus.Pending },
                Express = new ExpressPhase { Status = PhaseStatus.Pending },
                Review = new ReviewPhase { Status = PhaseStatus.Pending },
            },
        };
    }
}
