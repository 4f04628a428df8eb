namespace Amc.Reports;

/// <summary>One row of a comparison: a policy's cost and scores (test scores measured only after the search).</summary>
/// <param name="HeldOut">The score on the search's held-out images, on the reward's metric (<see cref="Amc.Search.Reward.MetricName"/>:
/// top-1 or top-5 accuracy, top-1 agreement with the original, or relative error).</param>
/// <param name="TestTop1">Test accuracy; null when there are no test images or they have no labels.</param>
/// <param name="TestAgreement">Top-1 agreement with the original and relative error of the outputs on the test
/// images: only under an agreement or fidelity reward.</param>
public sealed record PolicyResult(PolicyKind Kind, string Name, int[] Channels, long Macs, long Params, double MacsFraction, double ParamsFraction,
    double HeldOut, double? TestTop1, double? TestTop5, double? TestAgreement = null, double? TestRelativeError = null);
