namespace Amc.Graph;

/// <summary>
/// MACs and parameters of the network if each channel group had the given width, without
/// building the pruned network: spatial sizes do not change under channel pruning, so every
/// layer's cost is its kind's <see cref="LayerRule.Cost"/> at its (new) input and output widths. The search's budget wall calls
/// this hundreds of times per episode. Agrees exactly with <see cref="CostModel"/> on the pruned network.
/// </summary>
public sealed class GroupWidthCost
{
    readonly ChannelGraph graph;
    readonly IReadOnlyDictionary<string, TensorShape> shapes;
    /// <summary>Each layer's rule and role in the described network, looked up once: Of runs hundreds of times per episode.</summary>
    readonly (Layer Layer, LayerRule Rule, ChannelRole Role)[] layers;

    public GroupWidthCost(Network net, ChannelGraph graph)
    {
        this.graph = graph;
        shapes = ShapeInference.Infer(net);
        layers = net.Layers.Select(l => (l, LayerRules.Of(l), LayerRules.Of(l).Role(l, shapes[l.Inputs[0]]))).ToArray();
    }

    int Width(string tensor, Policy policy) => policy.Width(graph.Layout[tensor]);

    public (long Macs, long Params) Of(Policy policy)
    {
        long macs = 0, prms = 0;
        foreach (var (l, rule, role) in layers)
        {
            var (m, p) = rule.Cost(l, Width(l.Inputs[0], policy), Width(l.Name, policy), shapes[l.Name], role);
            macs += m;
            prms += p;
        }
        return (macs, prms);
    }

    /// <summary>The unpruned network's policy.</summary>
    public Policy Full() => Policy.Full(graph);
}
