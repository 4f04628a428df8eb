using Amc.Training;

namespace Amc.Search;

/// <summary>
/// AMC's rewards. Resource-constrained search: R_err = -error (the wall already enforces the
/// budget). Accuracy-guaranteed search: R_FLOPs = -error * ln(MACs) or R_Param = -error * ln(params),
/// which prefer smaller networks at equal error. Sparsity search: R_Param = -error * ln(non-zero
/// params), the paper's accuracy-guaranteed reward, under the wall of the parameter budget (<see cref="Sparse"/>). The error depends on <see cref="RewardKind"/>:
/// 1 - top-1 accuracy by default (the paper), top-5 on request; 1 - top-1 agreement with the
/// unpruned network; or the relative error of the outputs against the unpruned network's
/// (<see cref="ScoreTally"/>), capped at 1: beyond it a network is no nearer the original than
/// outputs of zeros, and an unbounded reward would upset the critic as a broken network's would.
/// The score a person reads (progress, results, summary) is the metric itself (<see cref="Score(SearchOptions, Evaluation)"/>).
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
        double error = broken ? 1 : Error(options, score.HeldOut);
        if (options.Mode == SearchMode.Sparsity) return Sparse(error, broken ? originalParams : score.Params);
        if (options.Mode == SearchMode.Resource) return -error;
        long resource = options.Resource switch
        {
            Resource.Macs => broken ? originalMacs : score.Macs,
            Resource.Params => broken ? originalParams : score.Params,
            _ => throw new ArgumentException($"accuracy mode has no {options.Resource} reward term"),
        };
        return -error * Math.Log(resource);
    }

    /// <summary>R_Param of a sparse network: -error * ln(its non-zero parameters). Within a wall that
    /// holds the count under the budget it still prefers, at equal error, the network with fewer.</summary>
    public static double Sparse(double error, long nonZeroParams) => -error * Math.Log(nonZeroParams);

    /// <summary>The error the reward is made of, in 0..1 (lower is better).</summary>
    public static double Error(SearchOptions options, Evaluation e) => options.Reward switch
    {
        RewardKind.Agreement => 1 - Required(e.Agreement, "agreement"),
        RewardKind.Fidelity => Required(e.RelativeError, "relative error") is var r && r < 1 ? r : 1,
        _ => 1 - (options.TopFive ? e.Top5 : e.Top1),
    };

    static double Required(double? value, string what) =>
        value ?? throw new InvalidOperationException($"the scoring images have no reference outputs to measure {what} against");

    /// <summary>The metric of the search's reward, as a person reads it: accuracy or agreement (0..1, higher is better) or relative error (lower is better).</summary>
    public static double Score(SearchOptions options, Evaluation e) => Score(options, e.Top1, e.Top5, e.Agreement, e.RelativeError);

    public static double Score(SearchOptions options, EpisodeRecord e) => Score(options, e.Top1, e.Top5, e.Agreement, e.RelativeError);

    public static double Score(SearchOptions options, BestPolicy b) => Score(options, b.Top1, b.Top5, b.Agreement, b.RelativeError);

    static double Score(SearchOptions options, double top1, double top5, double? agreement, double? relativeError) => options.Reward switch
    {
        RewardKind.Agreement => agreement ?? double.NaN,
        RewardKind.Fidelity => relativeError ?? double.NaN,
        _ => options.TopFive ? top5 : top1,
    };

    /// <summary>True when a higher score is better (all but relative error).</summary>
    public static bool HigherIsBetter(SearchOptions options) => options.Reward != RewardKind.Fidelity;

    /// <summary>The metric's name: "top-1", "top-5", "top-1 agreement" or "relative error".</summary>
    public static string MetricName(SearchOptions options) => options.Reward switch
    {
        RewardKind.Agreement => "top-1 agreement",
        RewardKind.Fidelity => "relative error",
        _ => options.TopFive ? "top-5" : "top-1",
    };

    /// <summary>A score as text: a percentage for accuracy and agreement, a plain number for relative error.</summary>
    public static string Format(SearchOptions options, double score) => options.Reward == RewardKind.Fidelity
        ? score.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)
        : (100 * score).ToString("F2", System.Globalization.CultureInfo.InvariantCulture) + " %";
}
