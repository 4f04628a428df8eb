using Amc.Pruning;
using Amc.Training;

namespace Amc.Search;

/// <summary>A scored policy: widths per group, its cost, its held-out accuracy and the time it took.</summary>
public sealed record CandidateScore(int[] Widths, long Macs, long Params, Evaluation HeldOut, StageTimes Times);
