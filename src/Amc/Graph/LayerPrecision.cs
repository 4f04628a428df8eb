namespace Amc.Graph;

/// <summary>
/// Which conv and linear layers a policy's precisions put in int8: a layer follows the group its
/// output channels belong to (a depthwise conv's output is its input's group), so every layer that
/// makes a group's channels runs in one precision. A layer whose output spans several groups stays
/// float, and so do the layers of a group the policy leaves float, which includes every fixed
/// group of the searched network (the classifier's classes): no step of the search decides them.
/// A group that is fixed only in the pruned network (pruned to one channel) keeps the precision
/// the policy gave it, so the deployed network runs as the search scored it.
/// </summary>
public static class LayerPrecision
{
    /// <summary>The conv / linear layers of <paramref name="net"/> that <paramref name="policy"/> runs in int8, in network order.</summary>
    public static IReadOnlyList<string> Int8Layers(Network net, ChannelGraph graph, Policy policy) =>
        net.Layers.Where(l => l.Kind is LayerKind.Conv2d or LayerKind.Linear && OutputGroup(graph, l.Name) is int g && policy.IsInt8(g))
            .Select(l => l.Name).ToList();

    /// <summary>The conv / linear layers of <paramref name="net"/> that run in float under <paramref name="policy"/>.</summary>
    public static IReadOnlyList<string> FloatLayers(Network net, ChannelGraph graph, Policy policy)
    {
        var int8 = Int8Layers(net, graph, policy).ToHashSet();
        return net.Layers.Where(l => l.Kind is LayerKind.Conv2d or LayerKind.Linear && !int8.Contains(l.Name)).Select(l => l.Name).ToList();
    }

    /// <summary>The one prunable group a layer's output channels belong to, or null.</summary>
    public static int? Group(ChannelGraph graph, string layer) =>
        OutputGroup(graph, layer) is int g && graph.Groups[g].Prunable ? g : null;

    /// <summary>The one group, prunable or not, a layer's output channels belong to, or null.</summary>
    static int? OutputGroup(ChannelGraph graph, string layer) =>
        graph.Layout[layer] is [{ Repeat: 1 } only] ? only.Group : null;
}
