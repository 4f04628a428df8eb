using Amc.Torch;
using Amc.Graph;
using static TorchSharp.torch;

namespace Amc.Pruning;

/// <summary>
/// Picks which channels of a group to keep. As in AMC, a channel's importance is the magnitude of
/// the consumer weights that read it (summed over every consumer of the group, e.g. all blocks on
/// a residual stream), not the norm of the filter that produces it. A group read by a grouped conv
/// keeps whole blocks (<see cref="ChannelGroup.Block"/>).
/// </summary>
internal static class ChannelSelector
{
    public static int[] Select(Network net, ChannelGraph graph, IReadOnlyDictionary<string, Tensor> weights, ChannelGroup group, int keep, SelectionCriterion criterion, int seed)
    {
        if (keep >= group.Channels) return Enumerable.Range(0, group.Channels).ToArray();
        if (keep < 1) throw new ArgumentOutOfRangeException(nameof(keep), $"group '{group.Name}' must keep at least one channel");
        if (keep % group.Block != 0)
            throw new ArgumentException($"group '{group.Name}' is kept in whole blocks of {group.Block} channels; {keep} is not a multiple", nameof(keep));
        double[] score = criterion == SelectionCriterion.Random ? RandomScores(group, seed) : Importance(net, graph, weights, group, criterion);
        // A block (the channels one group of a grouped conv reads) stays or goes whole, ranked by its summed importance.
        int b = group.Block;
        var blockScore = Enumerable.Range(0, group.Channels / b).Select(k => Enumerable.Range(k * b, b).Sum(c => score[c])).ToArray();
        return Enumerable.Range(0, blockScore.Length)
            .OrderByDescending(k => blockScore[k]).ThenBy(k => k)
            .Take(keep / b).Order().SelectMany(k => Enumerable.Range(k * b, b)).ToArray();
    }

    static double[] RandomScores(ChannelGroup group, int seed)
    {
        // Not HashCode.Combine: it is seeded per process, and a seeded run must replay in another one.
        var rng = new Random(unchecked(seed * 1_000_003 + group.Id));
        return Enumerable.Range(0, group.Channels).Select(_ => rng.NextDouble()).ToArray();
    }

    /// <summary>Importance of each channel of the group: summed norm of its input slices in every consumer.</summary>
    public static double[] Importance(Network net, ChannelGraph graph, IReadOnlyDictionary<string, Tensor> weights, ChannelGroup group, SelectionCriterion criterion)
    {
        var score = new double[group.Channels];
        using var _ = NewDisposeScope();
        foreach (var consumer in group.Consumers)
        {
            var w = weights[$"{consumer}.weight"];
            var dims = Enumerable.Range(0, (int)w.dim()).Where(d => d != 1).Select(d => (long)d).ToArray();
            var perInput = (criterion == SelectionCriterion.L2 ? w.Squared().sum(dims) : w.abs().sum(dims)).to_type(ScalarType.Float64).data<double>().ToArray();
            long offset = 0;
            foreach (var seg in graph.Layout[net[consumer].Inputs[0]])
            {
                if (seg.Group == group.Id)
                    for (int c = 0; c < seg.Channels; c++)
                        for (int r = 0; r < seg.Repeat; r++) score[c] += perInput[offset + (long)c * seg.Repeat + r];
                offset += (long)seg.Channels * seg.Repeat;
            }
        }
        if (criterion == SelectionCriterion.L2) for (int c = 0; c < score.Length; c++) score[c] = Math.Sqrt(score[c]);
        return score;
    }
}
