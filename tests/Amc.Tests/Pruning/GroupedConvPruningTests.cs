using Amc.Graph;
using Amc.Latency;
using Amc.Pruning;
using Amc.Search;

namespace Amc.Tests.Pruning;

/// <summary>
/// Grouped convs as wide as their input (ResNeXt, RegNet) are pruned by whole blocks: the channels
/// one of their groups reads stay or go together, so the conv stays grouped with fewer groups.
/// </summary>
public class GroupedConvPruningTests
{
    /// <summary>A ResNeXt-style bottleneck: 1x1 to 12, 3x3 in 3 groups of 4, 1x1 back, residual add.</summary>
    static Network Bottleneck()
    {
        var b = new NetworkBuilder("resnext-tiny", new TensorShape(3, 8, 8));
        var stem = b.ReLU("r0", b.BN("bn0", b.Conv("stem", Network.InputName, 16, 3, 1, 1)));
        var a = b.ReLU("r1", b.BN("bn1", b.Conv("a", stem, 12, 1)));
        var g = b.ReLU("r2", b.BN("bn2", b.Conv("g", a, 12, 3, 1, 1, groups: 3)));
        var c = b.BN("bn3", b.Conv("c", g, 16, 1));
        var sum = b.ReLU("r3", b.Sum("add", c, stem));
        b.Linear("fc", b.Flatten("flat", b.GlobalAvgPool("gap", sum)), 5);
        return b.Build();
    }

    [Fact]
    public void The_group_passes_through_the_grouped_conv_in_blocks_of_its_group_width()
    {
        var graph = ChannelGraph.Build(Bottleneck());
        var a = graph["a"];
        Assert.True(a.Prunable);
        Assert.Equal(4, a.Block);
        Assert.Equal(["bn1", "g", "bn2"], a.PassThrough);
        Assert.Equal(["c"], a.Consumers);
        Assert.Equal(1, graph["stem"].Block);
        Assert.Equal(2, graph.Prunable.Count());
    }

    [Fact]
    public void Grouped_convs_of_different_widths_on_one_stream_keep_blocks_of_their_least_common_multiple()
    {
        var b = new NetworkBuilder("two-blocks", new TensorShape(3, 8, 8));
        var x = b.Conv("stem", Network.InputName, 24, 3, 1, 1);
        var g4 = b.Conv("g4", x, 24, 3, 1, 1, groups: 6);  // blocks of 4
        var g6 = b.Conv("g6", x, 24, 3, 1, 1, groups: 4);  // blocks of 6
        var sum = b.Sum("add", g4, g6);
        b.Linear("fc", b.Flatten("flat", b.GlobalAvgPool("gap", sum)), 5);
        var graph = ChannelGraph.Build(b.Build());
        Assert.Equal(12, graph["stem"].Block);
        Assert.True(graph["stem"].Prunable);
    }

    [Fact]
    public void A_grouped_conv_reading_a_concat_keeps_its_inputs_whole()
    {
        var b = new NetworkBuilder("cat-grouped", new TensorShape(3, 8, 8));
        var p = b.Conv("p", Network.InputName, 4, 3, 1, 1);
        var q = b.Conv("q", Network.InputName, 4, 3, 1, 1);
        var g = b.Conv("g", b.Concat("cat", p, q), 8, 3, 1, 1, groups: 2);
        b.Linear("fc", b.Flatten("flat", b.GlobalAvgPool("gap", g)), 5);
        var graph = ChannelGraph.Build(b.Build());
        Assert.False(graph["p"].Prunable);
        Assert.Contains("grouped conv 'g'", graph["p"].Reason);
        Assert.False(graph["q"].Prunable);
    }

    [Theory]
    [InlineData(12, 4, 8, 8)]    // lcm(8, 4) = 8
    [InlineData(12, 4, 1, 4)]    // no rounding asked: the block
    [InlineData(48, 3, 8, 24)]   // lcm(8, 3) = 24
    [InlineData(24, 3, 8, 3)]    // 24 would leave only the full width: the block alone
    [InlineData(64, 1, 8, 8)]    // an ordinary group: the rounding
    public void Counts_round_to_whole_blocks(int channels, int block, int round, int expected)
    {
        var group = new ChannelGroup(1, "g", channels, ["g"], [], ["c"], null, block);
        Assert.Equal(expected, ChannelRounding.Multiple(group, round));
        for (double keep = 0.05; keep <= 1; keep += 0.05)
            Assert.Equal(0, ChannelRounding.Channels(group, keep, round) % block);
    }

    [Fact]
    public void Every_width_the_search_can_reach_is_whole_blocks()
    {
        var graph = ChannelGraph.Build(Bottleneck());
        foreach (var round in new[] { 1, 8 })
        {
            var widths = PruningEnvironment.ReachableWidths(graph, new SearchOptions { LowerBound = 0.05 }, round)[graph["a"].Id];
            Assert.All(widths, w => Assert.Equal(0, w % 4));
            Assert.Equal(round == 1 ? [4, 8, 12] : [8, 12], widths);
        }
    }

    [Fact]
    public void Selection_keeps_the_blocks_of_highest_importance_whole()
    {
        var net = Bottleneck();
        var graph = ChannelGraph.Build(net);
        using var module = RandomWeights.Module(net, seed: 2);
        var weights = module.Tensors();
        var a = graph["a"];
        var importance = ChannelSelector.Importance(net, graph, weights, a, SelectionCriterion.L1);
        var blockScore = Enumerable.Range(0, 3).Select(k => importance.Skip(4 * k).Take(4).Sum()).ToArray();
        int dropped = Array.IndexOf(blockScore, blockScore.Min());

        var kept = ChannelSelector.Select(net, graph, weights, a, 8, SelectionCriterion.L1, seed: 0);
        Assert.Equal(Enumerable.Range(0, 12).Where(c => c / 4 != dropped), kept);
        var random = ChannelSelector.Select(net, graph, weights, a, 4, SelectionCriterion.Random, seed: 5);
        Assert.Equal(Enumerable.Range(random[0], 4), random);
        Assert.Equal(0, random[0] % 4);
        Assert.Throws<ArgumentException>(() => ChannelSelector.Select(net, graph, weights, a, 6, SelectionCriterion.L1, seed: 0));
    }

    [Fact]
    public void The_pruned_conv_has_fewer_groups_and_equals_the_original_with_the_dropped_blocks_zeroed()
    {
        var net = Bottleneck();
        var graph = ChannelGraph.Build(net);
        using var original = RandomWeights.Module(net, seed: 4);
        var weights = original.Tensors();
        var kept = new Dictionary<int, int[]>
        {
            [graph["a"].Id] = [0, 1, 2, 3, 8, 9, 10, 11],
            [graph["stem"].Id] = [0, 2, 3, 5, 7, 8, 11, 12, 13, 15],
        };
        var pruned = NetworkPruner.Prune(net, graph, weights, kept);
        Assert.Equal(8, pruned.Network["g"].Out);
        Assert.Equal(2, pruned.Network["g"].Groups);
        Assert.Equal(new long[] { 8, 4, 3, 3 }, pruned.Weights["g.weight"].shape);
        Assert.Equal(new long[] { 10, 8, 1, 1 }, pruned.Weights["c.weight"].shape); // c also writes the residual stream
        Assert.Equal(CostModel.Of(pruned.Network).Macs, new GroupWidthCost(net, graph).Of(
            Policy.Full(graph).WithWidths(kept.Select(kv => (kv.Key, kv.Value.Length)))).Macs);

        float diff = NetworkPrunerTests.DifferenceFromZeroedOriginal(net, graph, weights, pruned, kept, inputSeed: 9);
        Assert.True(diff < 1e-4, $"pruned output differs from the zeroed original by {diff}");

        var partial = new Dictionary<int, int[]> { [graph["a"].Id] = [0, 1, 2, 3, 4, 5] };
        Assert.Contains("whole blocks", Assert.Throws<ArgumentException>(() => NetworkPruner.Prune(net, graph, weights, partial)).Message);
    }

    [Fact]
    public void A_policy_asking_for_part_of_a_block_is_refused_with_the_block_size()
    {
        var graph = ChannelGraph.Build(Bottleneck());
        var policy = new PruningPolicy { Groups = [new GroupDecision { Name = "a", Channels = 6 }] };
        Assert.Contains("multiple of 4", Assert.Throws<PolicyException>(() => policy.Resolve(graph, 8)).Message);
        var byRatio = new PruningPolicy { Groups = [new GroupDecision { Name = "a", Keep = 0.4 }] }.Resolve(graph, 1);
        Assert.Equal(8, byRatio.Width(graph["a"].Id));
    }

    [Fact]
    public void The_latency_table_times_the_grouped_conv_with_as_many_groups_as_whole_blocks()
    {
        var full = new LatencyOp(LayerKind.Conv2d, 12, 12, 3, 1, 1, 1, 3, 8, 8, FusedActivation.Relu);
        var layer = new LatencyTableLayer("g", "r1", full, true, [4, 8, 12], [4, 8, 12], [4, 8, 12], [4, 8, 12]);
        Assert.Equal(full with { In = 8, Out = 8, Groups = 2 }, layer.At(8, 8));
        Assert.Equal([1, 2, 3], layer.GridOps().Select(o => o.Groups));
    }
}
