using System.Text.Json.Serialization;
using Amc.Graph;

namespace Amc.Search;

/// <summary>The best episode so far: its policy is the search's result (as in AMC, not the final actor).</summary>
/// <param name="Widths">The policy, named and written (as every group's width) as before the Policy type,
/// so saved search states still resume.</param>
/// <param name="Agreement">As in <see cref="EpisodeRecord"/>: only in searches rewarded on agreement or fidelity.</param>
public sealed record BestPolicy(int Episode, double Reward, Policy Widths, double Top1, double Top5, long Macs, long Params,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Agreement = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? RelativeError = null)
{
    /// <summary>An episode of the log as the result, its policy already read from its steps.</summary>
    public static BestPolicy Of(EpisodeRecord e, Policy widths) =>
        new(e.Episode, e.Reward, widths, e.Top1, e.Top5, e.Macs, e.Params, e.Agreement, e.RelativeError);
}
