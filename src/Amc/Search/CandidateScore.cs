using Amc.Graph;
using Amc.Pruning;
using Amc.Training;

namespace Amc.Search;

/// <summary>A scored policy: its cost, its held-out accuracy and the time it took.</summary>
public sealed record CandidateScore(Policy Policy, long Macs, long Params, Evaluation HeldOut, StageTimes Times);
