using Amc.Graph;
using Amc.Pruning;
using Amc.Search;
using Amc.Training;

namespace Amc.Distributed;

/// <summary>
/// A scored policy as it travels back to the coordinator, or why the worker refused it (a wrong
/// secret, a path it does not serve, a setup it cannot load). A refusal is an answer, not a fault:
/// sending the policy to another worker would be refused the same way.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record WorkResult(
    [property: Id(0)] long Macs,
    [property: Id(1)] long Params,
    [property: Id(2)] double Top1,
    [property: Id(3)] double Top5,
    [property: Id(4)] int Count,
    [property: Id(5)] double Loss,
    [property: Id(6)] int NonFinite,
    [property: Id(7)] double[] StageSeconds,
    [property: Id(8)] string? Refusal = null,
    [property: Id(9)] double? Agreement = null,
    [property: Id(10)] double? RelativeError = null)
{
    public static WorkResult Of(CandidateScore s) =>
        new(s.Macs, s.Params, s.HeldOut.Top1, s.HeldOut.Top5, s.HeldOut.Count, s.HeldOut.Loss, s.HeldOut.NonFinite,
            [s.Times.Prune, s.Times.LeastSquares, s.Times.BatchNorm, s.Times.Evaluate, s.Times.Export], null, s.HeldOut.Agreement, s.HeldOut.RelativeError);

    public static WorkResult Refused(string reason) => new(0, 0, 0, 0, 0, 0, 0, [], reason);

    public CandidateScore ToScore(Policy policy) =>
        new(policy, Macs, Params, new Evaluation(Top1, Top5, Count, Loss, NonFinite, Agreement, RelativeError),
            new StageTimes(StageSeconds[0], StageSeconds[1], StageSeconds[2], StageSeconds[3], StageSeconds[4]));
}
