using Amc.Latency;
using Amc.Search;

namespace Amc.Sessions;

/// <summary>One of a latency search's best policies, timed end to end in the run that timed the original.</summary>
/// <param name="PredictedFraction">What the budget wall kept: the table's prediction over its prediction for the original.</param>
/// <param name="MeasuredFraction">Its measured median over the original's.</param>
public sealed record MeasuredPolicy(int Episode, double Reward, double PredictedFraction, double MeasuredMs, double MeasuredFraction, bool WithinBudget);

/// <summary>
/// A latency search's best policies timed before one is chosen. The table's prediction decides
/// every episode, and hundreds of episodes find the policies it underrates: a mixed-precision
/// ResNet-20 search chose a policy predicted at 0.50 of the original that measured 0.67. So the
/// best <see cref="SearchSettings.MeasureTop"/> policies by reward are timed end to end, and only
/// those within the budget when measured may be chosen (by the confirmation when it is on, by
/// reward otherwise). When none is, the fastest is chosen and <see cref="Warning"/> says so.
/// </summary>
/// <param name="OriginalMs">The unpruned network's measured median in the same run.</param>
public sealed record LatencyScreen(double Target, double OriginalMs, IReadOnlyList<MeasuredPolicy> Timed, string? Warning)
{
    /// <summary>The episodes that may be chosen.</summary>
    public IReadOnlySet<int> Eligible => Timed.Any(t => t.WithinBudget)
        ? Timed.Where(t => t.WithinBudget).Select(t => t.Episode).ToHashSet()
        : Timed.OrderBy(t => t.MeasuredFraction).Take(1).Select(t => t.Episode).ToHashSet();

    /// <param name="top">The policies timed, best reward first.</param>
    /// <param name="timed">Their timings, after the original's.</param>
    public static LatencyScreen Of(IReadOnlyList<EpisodeRecord> top, IReadOnlyList<LatencyComparison> timed, double target)
    {
        if (timed.Count != top.Count + 1) throw new ArgumentException($"need the original's timing and one per policy: {timed.Count} for {top.Count} policies");
        double originalMs = timed[0].Measured.Median, originalPredicted = timed[0].PredictedMs;
        var measured = top.Select((e, i) =>
        {
            double fraction = timed[i + 1].Measured.Median / originalMs;
            return new MeasuredPolicy(e.Episode, e.Reward, timed[i + 1].PredictedMs / originalPredicted, timed[i + 1].Measured.Median, fraction, fraction <= target);
        }).ToList();
        string? warning = null;
        if (measured.Count > 0 && !measured.Any(m => m.WithinBudget))
        {
            var fastest = measured.MinBy(m => m.MeasuredFraction)!;
            warning = $"none of the {measured.Count} best policies ran within the budget ({target:0.###} of the original) when timed end to end: " +
                $"they measured {measured.Min(m => m.MeasuredFraction):0.###}-{measured.Max(m => m.MeasuredFraction):0.###} of the original's {originalMs:F3} ms, " +
                $"so the fastest, episode {fastest.Episode}, was chosen; the latency table underrates them (check it with 'amc latency-table --rebuild' on a quiet machine), " +
                "or search again with a lower --target-latency or a larger --measure-top";
        }
        return new LatencyScreen(target, originalMs, measured, warning);
    }

    /// <summary>summary.md's line: how many met the budget when timed, over what range.</summary>
    public string Line() => Timed.Count == 0 ? "no policy timed" :
        $"the best {Timed.Count} policies timed end to end: {Timed.Count(t => t.WithinBudget)} within {Target:0.###} of the original " +
        $"(measured {Timed.Min(t => t.MeasuredFraction):0.###}-{Timed.Max(t => t.MeasuredFraction):0.###}, predicted {Timed.Min(t => t.PredictedFraction):0.###}-{Timed.Max(t => t.PredictedFraction):0.###}); " +
        (Timed.Any(t => t.WithinBudget) ? "the result is chosen from those" : "none was, so the fastest is the result");
}
