using Amc.Graph;
using static TorchSharp.torch;

namespace Amc.Pruning;

/// <summary>
/// Physical pruning: a smaller description (producers' and blockwise convs' widths changed) and
/// weights sliced with one index list per group along every channel axis that carries it. Never
/// a masked big network.
/// </summary>
public static class NetworkPruner
{
    public static PrunedNetwork Prune(Network net, ChannelGraph graph, IReadOnlyDictionary<string, Tensor> weights, IReadOnlyDictionary<int, int[]> kept)
    {
        foreach (var (g, idx) in kept)
        {
            var group = graph.Groups[g];
            if (idx.Length == group.Channels) continue;
            if (!group.Prunable) throw new ArgumentException($"group '{group.Name}' cannot be pruned: {group.Reason}");
            if (idx.Length == 0) throw new ArgumentException($"group '{group.Name}' must keep at least one channel");
            if (idx.Any(i => i < 0 || i >= group.Channels) || idx.Distinct().Count() != idx.Length)
                throw new ArgumentException($"group '{group.Name}': kept indices must be distinct and in 0..{group.Channels - 1}");
            if (group.Block > 1 && idx.GroupBy(i => i / group.Block).Any(b => b.Count() != group.Block))
                throw new ArgumentException($"group '{group.Name}': a grouped conv reads it in blocks of {group.Block} channels; keep whole blocks");
        }
        var shapes = ShapeInference.Infer(net);
        var layers = net.Layers.Select(l =>
        {
            if (LayerRules.Of(l).Resize is not { } resize) return l;
            int width = graph.KeptIndices(l.Name, kept).Length;
            return width == l.Out ? l : resize(l, width);
        }).ToList();
        var pruned = net.WithLayers(layers);
        ShapeInference.Infer(pruned);

        var result = new Dictionary<string, Tensor>();
        foreach (var spec in ParameterShapes.Of(net))
        {
            var layer = net[spec.Layer];
            var t = weights[spec.Key];
            var outIdx = graph.KeptIndices(layer.Name, kept);
            if (spec.OutAxis >= 0 && outIdx.Length != t.shape[spec.OutAxis])
                t = t.index_select(spec.OutAxis, tensor(outIdx));
            bool readsChannels = LayerRules.Of(layer).Role(layer, shapes[layer.Inputs[0]]) == ChannelRole.Producer;
            if (readsChannels && spec.InAxis >= 0)
            {
                var inIdx = graph.KeptIndices(layer.Inputs[0], kept);
                if (inIdx.Length != t.shape[spec.InAxis]) t = t.index_select(spec.InAxis, tensor(inIdx));
            }
            result[spec.Key] = t;
        }
        return new PrunedNetwork(pruned, result, kept);
    }

    /// <summary>
    /// The network at the policy's widths, keeping each group's first channels: for timing,
    /// where which channels stay does not matter.
    /// </summary>
    public static PrunedNetwork ToWidths(Network net, ChannelGraph graph, IReadOnlyDictionary<string, Tensor> weights, Policy policy) =>
        Prune(net, graph, weights, graph.Groups.Where(g => policy.Width(g.Id) < g.Channels).ToDictionary(g => g.Id, g => Enumerable.Range(0, policy.Width(g.Id)).ToArray()));
}
