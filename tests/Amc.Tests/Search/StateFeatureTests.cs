using Amc.Graph;
using Amc.Search;

namespace Amc.Tests.Search;

/// <summary>
/// The environment's states on <see cref="HandNet"/>, feature by feature, against values worked
/// out by hand: (t, n, c, h, w, stride, k, MACs[t], reduced, rest, a_{t-1}).
/// </summary>
public class StateFeatureTests
{
    // Raw static features per step (the group's first producer: n its outputs, c/h/w its input):
    //   step 0 (c1): t 0, n 16, c 3,  h 9, w 6, stride 1, k 3, MACs[t] c1+c2 = 12096+13824 = 25920
    //   step 1 (c2): t 1, n 32, c 16, h 7, w 4, stride 2, k 3, MACs[t] c2+c3 = 13824+768   = 14592
    //   step 2 (c3): t 2, n 8,  c 32, h 3, w 1, stride 1, k 1, MACs[t] c3+fc = 768+32      = 800
    // Min-max scaled per column over the three steps:
    static readonly double[][] Static =
    [
        [0.0, (16 - 8) / 24.0, 0.0,        1.0,     1.0,     0.0, 1.0, 1.0],
        [0.5, 1.0,             13.0 / 29,  4.0 / 6, 3.0 / 5, 1.0, 1.0, (14592 - 800) / 25120.0],
        [1.0, 0.0,             1.0,        0.0,     0.0,     0.0, 0.0, 0.0],
    ];

    static void AssertState(int step, double reduced, double rest, double previous, float[] actual)
    {
        Assert.Equal(StateEmbedding.Size, actual.Length);
        double[] expected = [.. Static[step], reduced, rest, previous];
        string[] names = ["t", "n", "c", "h", "w", "stride", "k", "MACs[t]", "reduced", "rest", "a_{t-1}"];
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-6,
                $"step {step} feature {names[i]}: expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void Static_columns_are_min_max_scaled_raw_layer_features()
    {
        var net = HandNet.Build();
        var graph = ChannelGraph.Build(net);
        var steps = graph.Prunable.ToList();
        Assert.Equal(["c1", "c2", "c3"], steps.Select(g => g.Name));
        var embedding = new StateEmbedding(net, graph, steps);
        // The dynamic part is passed straight through in the fraction overload.
        for (int t = 0; t < 3; t++) AssertState(t, 0.125, 0.25, 0.375, embedding.State(t, 0.125, 0.25, 0.375));
    }

    [Fact]
    public void Under_a_mac_budget_reduced_and_rest_are_fractions_of_the_original_macs()
    {
        var net = HandNet.Build();
        var graph = ChannelGraph.Build(net);
        Assert.Equal(HandNet.TotalMacs, CostModel.Of(net).Macs);
        var env = new PruningEnvironment(net, graph, new SearchOptions { Target = 0.5 }, round: 4);
        const double total = HandNet.TotalMacs;

        // rest (MAC variant) = MACs of the layers only later groups touch: after step 0 that is
        // c3 + fc = 800 (c2 is shared with step 0's group), after step 1 fc = 32, after step 2 none.
        AssertState(0, 0, 800 / total, 1.0, env.Reset());

        // Step 0, keep 1.0 -> 16, walled: with w2, w3 at their minimums 8, 4 the MACs are
        // 756w1 + 216w1 + 96 + 16 = 972w1 + 112 <= floor(0.5 * 26720) = 13360, so w1 <= 13.6 -> 12.
        var r0 = env.Step(1.0);
        Assert.Equal(12, r0.Channels);
        Assert.Equal(0.75, r0.RealizedKeep);
        // Widths (12, 32, 8): 9072 + 10368 + 768 + 32 = 20240 MACs, 6480 removed.
        AssertState(1, 6480 / total, 32 / total, 0.75, r0.Next);
        Assert.False(r0.Done);

        // Step 1, keep 0.9 -> 28.8 -> 29 -> rounded up to 32, walled: 9072 + 324w2 + 12w2 + 16 <= 13360,
        // w2 <= 12.7 -> 12. Widths (12, 12, 8): 9072 + 3888 + 288 + 32 = 13280, 13440 removed.
        var r1 = env.Step(0.9);
        Assert.Equal(12, r1.Channels);
        AssertState(2, 13440 / total, 0, 12 / 32.0, r1.Next);

        // Step 2, keep 1.0 -> 8: 12960 + 40w3 <= 13360 allows 10, so the full 8 stays. The terminal
        // state is the last step's static row with the final previous action.
        var r2 = env.Step(1.0);
        Assert.Equal(8, r2.Channels);
        Assert.True(r2.Done);
        AssertState(2, 13440 / total, 0, 1.0, r2.Next);
        Assert.Equal(13280, env.Cost(env.Policy).Macs);
    }

    [Fact]
    public void Without_a_budget_the_state_is_the_same_mac_state_and_nothing_is_walled()
    {
        var net = HandNet.Build();
        var env = new PruningEnvironment(net, ChannelGraph.Build(net), new SearchOptions { Mode = SearchMode.Accuracy }, round: 4);
        const double total = HandNet.TotalMacs;
        AssertState(0, 0, 800 / total, 1.0, env.Reset());
        var r0 = env.Step(1.0);
        Assert.Equal(16, r0.Channels);
        AssertState(1, 0, 32 / total, 1.0, r0.Next);
        // keep 0.3 of 32 -> 9.6 -> 10 -> 12: widths (16, 12, 8) cost 12096 + 5184 + 288 + 32 = 17600.
        var r1 = env.Step(0.3);
        Assert.Equal(12, r1.Channels);
        AssertState(2, (HandNet.TotalMacs - 17600) / total, 0, 0.375, r1.Next);
    }

    /// <summary>A made-up deterministic latency (ns) with a fixed part no width removes.</summary>
    static Func<Policy, long> Latency(ChannelGraph graph)
    {
        var (g1, g2, g3) = HandNet.Ids(graph);
        return p =>
        {
            var w = p.Widths();
            return 1000 + 7L * w[g1] + 3L * w[g1] * w[g2] + 5L * w[g2] * w[g3] + 11L * w[g3];
        };
    }

    [Fact]
    public void Under_a_latency_budget_reduced_and_rest_are_in_predicted_latency()
    {
        var net = HandNet.Build();
        var graph = ChannelGraph.Build(net);
        var env = new PruningEnvironment(net, graph, new SearchOptions { Resource = Resource.Latency, Target = 0.5 }, round: 4, Latency(graph));
        // L(16, 32, 8) = 1000 + 112 + 1536 + 1280 + 88 = 4016; budget floor(2008).
        const double original = 4016;
        Assert.Equal(4016, env.Wall!.Original);
        Assert.Equal(2008, env.Wall.Budget);

        // rest (latency variant) = what the later groups can still remove, down to their minimums:
        // L(16, 8, 4) = 1000 + 112 + 384 + 160 + 44 = 1700, so 4016 - 1700 = 2316.
        AssertState(0, 0, 2316 / original, 1.0, env.Reset());

        // Step 0, keep 0.6 -> 9.6 -> 10 -> 12; the wall (1204 + 31w1 <= 2008) allows all 16.
        var r0 = env.Step(0.6);
        Assert.Equal(12, r0.Channels);
        // L(12, 32, 8) = 1000 + 84 + 1152 + 1280 + 88 = 3604; L(12, 32, 4) = 2920.
        AssertState(1, (4016 - 3604) / original, (3604 - 2920) / original, 0.75, r0.Next);

        // Step 1, keep 0.9 -> 32, walled: 1128 + 56w2 <= 2008, w2 <= 15.7 -> 12.
        var r1 = env.Step(0.9);
        Assert.Equal(12, r1.Channels);
        // L(12, 12, 8) = 1000 + 84 + 432 + 480 + 88 = 2084. Step 2 is the last: no later group,
        // so rest is 0 (its own removable 2084 - L(12, 12, 4) = 284 is not "rest").
        AssertState(2, (4016 - 2084) / original, 0, 0.375, r1.Next);

        // Step 2, keep 1.0 -> 8, walled: 1516 + 71w3 <= 2008, w3 <= 6.9 -> 4 (allowed: 4, 8).
        var r2 = env.Step(1.0);
        Assert.Equal(4, r2.Channels);
        Assert.True(r2.Done);
        // Final L(12, 12, 4) = 1800; nothing later, so nothing left to remove.
        AssertState(2, (4016 - 1800) / original, 0, 0.5, r2.Next);
    }
}
