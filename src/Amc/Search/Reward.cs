namespace Amc.Search;

/// <summary>
/// AMC's rewards. Resource-constrained search: R_err = -error (the wall already enforces the
/// budget). Accuracy-guaranteed search: R_FLOPs = -error * ln(MACs) or R_Param = -error * ln(params),
/// which prefer smaller networks at equal error. Error is top-1 by default (the paper), top-5 on request.
/// </summary>
public static class Reward
{
    public static double Of(CandidateScore score, SearchOptions options)
    {
        double error = 1 - (options.TopFive ? score.HeldOut.Top5 : score.HeldOut.Top1);
        if (options.Mode == SearchMode.Resource) return -error;
        long resource = options.Resource switch
        {
            Resource.Macs => score.Macs,
            Resource.Params => score.Params,
            _ => throw new ArgumentException($"accuracy mode has no {options.Resource} reward term"),
        };
        return -error * Math.Log(resource);
    }
}
