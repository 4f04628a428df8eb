namespace Amc.Graph;

/// <summary>One learnable tensor (or BN statistic) of a layer, with the axes that carry channels.</summary>
/// <param name="Key">"layer.param", e.g. "layer1.0.conv1.weight" (PyTorch's state-dict names).</param>
/// <param name="OutAxis">Axis indexed by the layer's output channels, or -1.</param>
/// <param name="InAxis">Axis indexed by the layer's input channels (or input features), or -1.</param>
internal sealed record ParameterSpec(string Key, string Layer, string Param, long[] Shape, int OutAxis, int InAxis);

/// <summary>
/// Which tensors each layer owns and their shapes, derived from the description alone: the
/// runtime creates them, checkpoints are checked against them, and the pruner slices along their
/// channel axes.
/// </summary>
internal static class ParameterShapes
{
    public static IReadOnlyList<ParameterSpec> Of(Network net)
    {
        var shapes = ShapeInference.Infer(net);
        var specs = new List<ParameterSpec>();
        foreach (var l in net.Layers)
        {
            var input = shapes[l.Inputs[0]];
            var output = shapes[l.Name];
            specs.AddRange(LayerRules.Of(l).Parameters(l, input, output));
        }
        return specs;
    }
}
