using Amc.Graph;
using Amc.Search;

namespace Amc.Tests.Search;

/// <summary>
/// The wall's cap on <see cref="HandNet"/> (MACs = 756w1 + 27w1w2 + 3w2w3 + 4w3, 26720 in all;
/// a 0.5 target gives a budget of 13360): the largest allowed width for which the budget still
/// holds with every later group at its minimum, worked out by hand.
/// </summary>
public class BudgetWallTests
{
    static PruningEnvironment Env(int round) =>
        new(HandNet.Build(), ChannelGraph.Build(HandNet.Build()), new SearchOptions { Target = 0.5 }, round);

    static int[] FullKeepEpisode(PruningEnvironment env)
    {
        env.Reset();
        return Enumerable.Range(0, env.StepCount).Select(_ => env.Step(1.0).Channels).ToArray();
    }

    [Fact]
    public void Full_keep_actions_are_capped_at_the_largest_rounded_width_that_fits()
    {
        // round 4: minimums (lbound 0.2) 3.2 -> 4, 6.4 -> 8, 1.6 -> 4.
        //   step 0: 756w1 + 27*8w1 + 3*8*4 + 4*4 = 972w1 + 112 <= 13360 -> w1 <= 13.6 -> 12 (16 does not fit)
        //   step 1: 9072 + 27*12w2 + 3*4w2 + 16 = 9088 + 336w2 <= 13360 -> w2 <= 12.7 -> 12
        //   step 2: 9072 + 3888 + 36w3 + 4w3 = 12960 + 40w3 <= 13360 -> w3 <= 10 -> 8 (full)
        var env = Env(4);
        Assert.Equal(13360, env.Wall!.Budget);
        Assert.Equal([12, 12, 8], FullKeepEpisode(env));
        Assert.Equal(13280, env.Cost(env.Policy).Macs);
    }

    [Fact]
    public void Without_rounding_the_cap_is_the_largest_integer_width_that_fits()
    {
        // round 1: minimums 3, 6, 2.
        //   step 0: 756w1 + 162w1 + 36 + 8 = 918w1 + 44 <= 13360 -> w1 <= 14.5 -> 14 (15: 13814 > 13360)
        //   step 1: 10584 + 378w2 + 6w2 + 8 = 10592 + 384w2 <= 13360 -> w2 <= 7.2 -> 7
        //   step 2: 10584 + 2646 + 21w3 + 4w3 = 13230 + 25w3 <= 13360 -> w3 <= 5.2 -> 5
        var env = Env(1);
        Assert.Equal([14, 7, 5], FullKeepEpisode(env));
        Assert.Equal(13355, env.Cost(env.Policy).Macs);
        Assert.Equal(13355, HandNet.Macs(14, 7, 5));
    }

    [Fact]
    public void Actions_below_the_cap_are_kept_and_later_caps_use_them()
    {
        var env = Env(4);
        env.Reset();
        // keep 0.3 of 16 -> 4.8 -> 5 -> rounded up to 8 (below the cap 12: kept as is).
        Assert.Equal(8, env.Step(0.3).Channels);
        // step 1 with w1 = 8: 6048 + 216w2 + 12w2 + 16 = 6064 + 228w2 <= 13360 -> w2 <= 32 -> 32.
        Assert.Equal(32, env.Step(1.0).Channels);
        // step 2 with (8, 32): 6048 + 6912 + 96w3 + 4w3 = 12960 + 100w3 <= 13360 -> w3 <= 4 -> 4.
        Assert.Equal(4, env.Step(1.0).Channels);
        Assert.Equal(13360, env.Cost(env.Policy).Macs); // exactly on the budget is allowed
    }

    [Fact]
    public void Cap_returns_the_largest_candidate_within_the_budget()
    {
        var graph = ChannelGraph.Build(HandNet.Build());
        var (g1, g2, g3) = HandNet.Ids(graph);
        var cost = new GroupWidthCost(HandNet.Build(), graph);
        var wall = new BudgetWall(cost, Resource.Macs, 0.5, MinimumWidths(graph, 4, 8, 4));
        var probe = cost.Full().WithWidths([(g2, 8), (g3, 4)]);
        Assert.Equal(12, wall.Cap(probe, g1, [4, 8, 12, 16]));
        Assert.Equal(13, wall.Cap(probe, g1, [4, 13, 14, 16]));
        Assert.True(wall.Fits(probe, g1, 13));
        Assert.False(wall.Fits(probe, g1, 14));
        // When no candidate above the smallest fits, the smallest is returned.
        Assert.Equal(14, wall.Cap(probe, g1, [14, 15, 16]));
    }

    static Policy MinimumWidths(ChannelGraph graph, int w1, int w2, int w3)
    {
        var (g1, g2, g3) = HandNet.Ids(graph);
        return Policy.Full(graph).WithWidths([(g1, w1), (g2, w2), (g3, w3)]);
    }
}
