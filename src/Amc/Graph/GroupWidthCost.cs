namespace Amc.Graph;

/// <summary>
/// MACs and parameters of the network if each channel group had the given width, without
/// building the pruned network: spatial sizes do not change under channel pruning, so every
/// layer's cost is a product of its (new) input and output widths. The search's budget wall calls
/// this hundreds of times per episode. Agrees exactly with <see cref="CostModel"/> on the pruned network.
/// </summary>
public sealed class GroupWidthCost
{
    readonly Network net;
    readonly ChannelGraph graph;
    readonly IReadOnlyDictionary<string, TensorShape> shapes;

    public GroupWidthCost(Network net, ChannelGraph graph)
    {
        this.net = net;
        this.graph = graph;
        shapes = ShapeInference.Infer(net);
    }

    int Width(string tensor, IReadOnlyList<int> widths)
    {
        int total = 0;
        foreach (var s in graph.Layout[tensor]) total += widths[s.Group] * s.Repeat;
        return total;
    }

    /// <param name="widths">Channels of every group, indexed by group id.</param>
    public (long Macs, long Params) Of(IReadOnlyList<int> widths)
    {
        long macs = 0, prms = 0;
        foreach (var l in net.Layers)
        {
            var outShape = shapes[l.Name];
            switch (l.Kind)
            {
                case LayerKind.Conv2d:
                {
                    long inC = Width(l.Inputs[0], widths), outC = Width(l.Name, widths), k = l.KernelSize;
                    long perGroupIn = ChannelGraph.IsDepthwise(l, shapes[l.Inputs[0]].C) ? 1 : inC / l.GroupCount;
                    long weights = outC * perGroupIn * k * k;
                    macs += weights * outShape.H * outShape.W;
                    prms += weights + (l.HasBias ? outC : 0);
                    break;
                }
                case LayerKind.Linear:
                {
                    long inF = Width(l.Inputs[0], widths), outF = Width(l.Name, widths);
                    macs += inF * outF;
                    prms += inF * outF + (l.HasBias ? outF : 0);
                    break;
                }
                case LayerKind.BatchNorm2d:
                    prms += 2L * Width(l.Name, widths);
                    break;
            }
        }
        return (macs, prms);
    }

    public int[] FullWidths() => graph.Groups.Select(g => g.Channels).ToArray();
}
