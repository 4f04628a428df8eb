using Amc.Graph;

namespace Amc.Latency;

/// <summary>
/// The network as the latency table sees it: its conv and linear layers, each with the op it runs
/// in the deployed (BN-folded) graph, the widths it can reach and the grid of widths to measure.
/// </summary>
internal static class LatencyTableAnalysis
{
    /// <summary>The conv / linear layers in network order, with their reachable widths and measuring grids.</summary>
    /// <param name="reachable">Widths each channel group can take, by group id (a fixed group: its full width only).</param>
    /// <param name="int8">Every layer int8 but the first and the last, as `amc quantize` leaves them by default.</param>
    public static IReadOnlyList<LatencyTableLayer> Analyze(Network net, ChannelGraph graph, IReadOnlyList<IReadOnlyList<int>> reachable, int maxValuesPerAxis, bool int8 = false)
    {
        var shapes = ShapeInference.Infer(net);
        var layers = new List<LatencyTableLayer>();
        foreach (var l in net.Layers)
        {
            if (l.Kind is not (LayerKind.Conv2d or LayerKind.Linear)) continue;
            // A LatencyOp is square; timing a 1x7 conv as 1x1 or 7x7 would be a wrong number, not an estimate.
            if (l.KernelWidth != l.KernelSize || l.PaddingWidth != l.PaddingValue)
                throw new InvalidNetworkException($"layer '{l.Name}' has a {l.KernelSize}x{l.KernelWidth} kernel with padding {l.PaddingValue}x{l.PaddingWidth}; latency tables time square convs only");
            var inShape = shapes[l.Inputs[0]];
            var outShape = shapes[l.Name];
            bool depthwise = ChannelGraph.IsBlockwise(l, inShape.C);
            var full = l.Kind == LayerKind.Linear
                ? new LatencyOp(LayerKind.Linear, inShape.C, outShape.C, 1, 1, 0, 1, 1, 1, 1, Activation(net, l))
                : new LatencyOp(LayerKind.Conv2d, inShape.C, outShape.C, l.KernelSize, l.StrideValue, l.PaddingValue, l.DilationValue,
                    l.GroupCount, inShape.H, inShape.W, Activation(net, l));
            // The full widths are always measured: the budget is a fraction of the original network,
            // even when --rbound < 1 keeps the search from reaching it.
            var ins = Reachable(graph.Layout[l.Inputs[0]], reachable).Append(inShape.C).Distinct().Order().ToArray();
            var outs = depthwise ? ins : Reachable(graph.Layout[l.Name], reachable).Append(outShape.C).Distinct().Order().ToArray();
            layers.Add(new LatencyTableLayer(l.Name, l.Inputs[0], full, depthwise, ins, outs, Grid(ins, maxValuesPerAxis), Grid(outs, maxValuesPerAxis)));
        }
        if (!int8) return layers;
        return layers.Select((l, i) => i == 0 || i == layers.Count - 1 ? l : l with { Full = l.Full with { Int8 = true } }).ToList();
    }

    /// <summary>
    /// The activation ORT fuses into this layer in the exported graph: the exporter folds a BN that
    /// is the conv's only reader, and ORT fuses a ReLU / Clip that is then the only reader.
    /// </summary>
    static FusedActivation Activation(Network net, Layer l)
    {
        if (l == net.Output) return FusedActivation.None;
        var readers = net.Consumers(l.Name).ToList();
        if (l.Kind == LayerKind.Conv2d && readers is [{ Kind: LayerKind.BatchNorm2d } bn] && bn != net.Output)
            readers = net.Consumers(bn.Name).ToList();
        return readers switch
        {
            [{ Kind: LayerKind.ReLU }] => FusedActivation.Relu,
            [{ Kind: LayerKind.ReLU6 }] => FusedActivation.Relu6,
            _ => FusedActivation.None,
        };
    }

    /// <summary>Every width a tensor can have: sums over its segments of a reachable group width times the repeat.</summary>
    static int[] Reachable(IReadOnlyList<ChannelSegment> segments, IReadOnlyList<IReadOnlyList<int>> reachable)
    {
        var sums = new HashSet<int> { 0 };
        foreach (var s in segments)
            sums = sums.SelectMany(a => reachable[s.Group].Select(w => a + w * s.Repeat)).ToHashSet();
        return sums.Order().ToArray();
    }

    /// <summary>All values, or <paramref name="max"/> of them evenly spread with both ends.</summary>
    static int[] Grid(int[] values, int max)
    {
        if (values.Length <= max) return values;
        return Enumerable.Range(0, max).Select(i => values[(int)Math.Round((double)i * (values.Length - 1) / (max - 1))]).Distinct().ToArray();
    }
}
