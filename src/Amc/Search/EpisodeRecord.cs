using System.Text.Json.Serialization;
using Amc.Pruning;

namespace Amc.Search;

/// <summary>One line of episodes.jsonl: everything about one episode a person may want to plot or check.</summary>
/// <param name="BudgetFraction">The budgeted resource (MACs, params or the latency table's prediction)
/// as a fraction of the original; null without a budget (accuracy mode).</param>
/// <param name="NonFiniteImages">Held-out images on which the pruned network gave NaN or Inf logits:
/// such an episode gets the worst reward and is never the best policy. Absent (0) in logs written before it.</param>
/// <param name="CriticLoss">DDPG diagnostics, means over the episode's gradient steps; null when the
/// episode made none (warm-up, random search) and in logs written before they were recorded.
/// ActorLoss is -mean Q(s, mu(s)); MeanQ the critic's mean Q(s, a) of the replayed actions;
/// MeanTarget the mean of the targets it was fitted to; Baseline the reward baseline after them.</param>
/// <param name="Agreement">Top-1 agreement with the unpruned network, and the relative error of the outputs
/// against its outputs: written only by searches rewarded on them (--reward agreement or fidelity).
/// Top1 and Top5 are against the data's labels, which an unlabelled folder does not have (they are then
/// against a placeholder label 0 and mean nothing).</param>
public sealed record EpisodeRecord(
    int Episode,
    string Phase,
    double[] RawActions,
    double[] Keep,
    int[] Channels,
    long Macs,
    long Params,
    double MacsFraction,
    double ParamsFraction,
    double Top1,
    double Top5,
    double Reward,
    double Sigma,
    double Seconds,
    StageTimes Times,
    double AgentSeconds,
    double? BudgetFraction = null,
    int NonFiniteImages = 0,
    double? CriticLoss = null,
    double? ActorLoss = null,
    double? MeanQ = null,
    double? MeanTarget = null,
    double? Baseline = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Agreement = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? RelativeError = null);
