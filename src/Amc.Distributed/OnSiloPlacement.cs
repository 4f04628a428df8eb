using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Amc.Distributed;

/// <summary>
/// Places a grain on the silo its key names (a silo address), so the coordinator addresses each
/// worker process directly: one scoring grain per worker, none on the coordinator.
/// </summary>
[Serializable, GenerateSerializer, Immutable]
public sealed class OnSiloPlacement : PlacementStrategy
{
    public static string KeyOf(SiloAddress silo) => silo.ToParsableString();
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class OnSiloPlacementAttribute() : PlacementAttribute(new OnSiloPlacement());

/// <summary>Picks the silo named by the grain's key; a silo that has left fails the call (the coordinator then re-sends the work).</summary>
public sealed class OnSiloPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silo = SiloAddress.FromParsableString(target.GrainIdentity.Key.ToString()!);
        if (!context.GetCompatibleSilos(target).Contains(silo))
            throw new SiloUnavailableException($"scoring worker {silo} is not in the cluster");
        return Task.FromResult(silo);
    }
}
