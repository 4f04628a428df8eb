namespace Amc.Distributed;

/// <summary>One policy (every group's width, by group id, and in a mixed-precision search the ids of
/// its int8 groups) to score under a setup, with the cluster's secret.</summary>
[GenerateSerializer, Immutable]
public sealed record WorkItem(
    [property: Id(0)] ScoringSetup Setup,
    [property: Id(1)] int[] Widths,
    [property: Id(2)] string Secret,
    [property: Id(3)] int[]? Int8Groups = null);
