namespace Amc.Search;

/// <summary>
/// AMC's rewards. Resource-constrained search: R_err = -error (the wall already enforces the
/// budget). Accuracy-guaranteed search: R_FLOPs = -error * ln(MACs) or R_Param = -error * ln(params),
/// which prefer smaller networks at equal error. Error is top-1 by default (the paper), top-5 on request.
/// </summary>
public static class Reward
{
    /// <param name="originalMacs">The unpruned network's MACs and params: they bound the worst reward.</param>
    public static double Of(CandidateScore score, SearchOptions options, long originalMacs, long originalParams)
    {
        // A network with NaN or Inf outputs is broken whatever its accuracy reads (some images may
        // still hit): it gets the lowest reward any policy can get, error 1 at the full size, so the
        // agent learns to avoid it without a reward far outside the usual range upsetting the critic.
        bool broken = score.HeldOut.NonFinite > 0;
        double error = broken ? 1 : 1 - (options.TopFive ? score.HeldOut.Top5 : score.HeldOut.Top1);
        if (options.Mode == SearchMode.Resource) return -error;
        long resource = options.Resource switch
        {
            Resource.Macs => broken ? originalMacs : score.Macs,
            Resource.Params => broken ? originalParams : score.Params,
            _ => throw new ArgumentException($"accuracy mode has no {options.Resource} reward term"),
        };
        return -error * Math.Log(resource);
    }
}
