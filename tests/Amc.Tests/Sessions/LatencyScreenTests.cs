using Amc.Latency;
using Amc.Pruning;
using Amc.Search;
using Amc.Sessions;

namespace Amc.Tests.Sessions;

public class LatencyScreenTests
{
    static EpisodeRecord Episode(int n, double reward) =>
        new(n, "search", [], [], [], 0, 0, 0, 0, 0, 0, reward, 0, 0, new StageTimes(0, 0, 0, 0), 0);

    static LatencyComparison Timed(string name, double predicted, double measured) =>
        new(name, predicted, new LatencyStats(measured, measured, measured, measured, measured, 1));

    [Fact]
    public void Only_policies_within_the_budget_when_measured_may_be_chosen()
    {
        // Table: every policy at half the original. Measured: episode 7 (the best reward) at 0.6, 3 at 0.45, 9 at exactly 0.5.
        var top = new[] { Episode(7, 0.9), Episode(3, 0.8), Episode(9, 0.7) };
        var screen = LatencyScreen.Of(top, [Timed("original", 2, 4), Timed("a", 1, 2.4), Timed("b", 1, 1.8), Timed("c", 1, 2.0)], target: 0.5);

        Assert.Equal([7, 3, 9], screen.Timed.Select(t => t.Episode));
        Assert.Equal([0.6, 0.45, 0.5], screen.Timed.Select(t => Math.Round(t.MeasuredFraction, 6)));
        Assert.All(screen.Timed, t => Assert.Equal(0.5, t.PredictedFraction));
        Assert.Equal(new HashSet<int> { 3, 9 }, screen.Eligible);
        Assert.Null(screen.Warning);
        Assert.Contains("2 within 0.5", screen.Line());
    }

    [Fact]
    public void When_none_meets_the_budget_the_fastest_is_chosen_and_the_warning_says_so()
    {
        var top = new[] { Episode(1, 0.9), Episode(2, 0.8) };
        var screen = LatencyScreen.Of(top, [Timed("original", 2, 4), Timed("a", 1, 2.8), Timed("b", 1, 2.2)], target: 0.5);

        Assert.Equal(new HashSet<int> { 2 }, screen.Eligible);
        Assert.Contains("none of the 2 best policies ran within the budget", screen.Warning);
        Assert.Contains("episode 2", screen.Warning);
    }

    [Fact]
    public void A_timing_per_policy_after_the_original_is_required() =>
        Assert.Throws<ArgumentException>(() => LatencyScreen.Of([Episode(1, 1)], [Timed("original", 1, 1)], 0.5));
}
