namespace Amc.Graph;

/// <summary>
/// Counting convention (the one of the AMC paper and most papers' tables):
/// MACs are the multiply-accumulates of Conv2d (grouped and depthwise included) and Linear layers
/// only; BatchNorm, activations, pooling, adds and biases count zero MACs. Params are the learnable
/// weights and biases of Conv2d, Linear and BatchNorm (gamma and beta); BN running statistics are
/// buffers, not parameters. The per-kind formulas are <see cref="LayerRule.Cost"/>, shared with
/// <see cref="GroupWidthCost"/>.
/// </summary>
public static class CostModel
{
    public static NetworkCost Of(Network net)
    {
        var shapes = ShapeInference.Infer(net);
        var layers = new List<LayerCost>(net.Layers.Count);
        long macs = 0, prms = 0;
        foreach (var l in net.Layers)
        {
            var input = shapes[l.Inputs[0]];
            var output = shapes[l.Name];
            var rule = LayerRules.Of(l);
            var (m, p) = rule.Cost(l, input.C, output.C, output, rule.Role(l, input));
            layers.Add(new LayerCost(l.Name, l.Kind, input, output, m, p));
            // Shape inference bounds each layer's weights and outputs, so a layer's cost fits in a
            // long; only a sum over many huge layers can overflow, and that is no real network.
            try
            {
                macs = checked(macs + m);
                prms = checked(prms + p);
            }
            catch (OverflowException)
            {
                throw new InvalidNetworkException($"network '{net.Name}' counts more than 9.2e18 MACs or parameters by layer '{l.Name}'; it is far too large");
            }
        }
        return new NetworkCost(macs, prms, layers);
    }
}
