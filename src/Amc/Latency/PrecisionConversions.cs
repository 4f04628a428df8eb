using Amc.Graph;

namespace Amc.Latency;

/// <summary>
/// The conversions between float and uint8 a policy's precisions cause in the network ONNX Runtime
/// runs, found by following each tensor through the network: a conv or linear layer reads its
/// input in its own precision, and a tensor that exists only in the other one is converted once
/// (later readers of that precision share the copy); an Add, Concat or Mul runs in int8 when every
/// input exists in int8 (ONNX Runtime's QLinearAdd), otherwise in float, converting the inputs it
/// lacks; every other layer passes its input's precisions on (BN and ReLU are folded into the conv
/// before them, pooling runs in the precision it is given).
/// </summary>
/// <param name="eligible">The layers that can run in int8, with the group whose precision each follows.</param>
public sealed class PrecisionConversions
{
    readonly Network net;
    readonly ChannelGraph graph;
    readonly IReadOnlyDictionary<string, int> eligible;
    readonly IReadOnlyDictionary<string, TensorShape> shapes;

    public PrecisionConversions(Network net, ChannelGraph graph, IReadOnlyDictionary<string, int> eligible)
    {
        (this.net, this.graph, this.eligible) = (net, graph, eligible);
        shapes = ShapeInference.Infer(net);
        AllInt8 = Trace(_ => true);
    }

    /// <summary>The conversions with every eligible layer int8 (the int8 table's network): the same for every policy.</summary>
    public IReadOnlyList<(string Tensor, bool ToInt8)> AllInt8 { get; }

    /// <summary>Each conversion the policy's precisions cause, in network order: the tensor (by producing layer) and whether it becomes int8.</summary>
    public IReadOnlyList<(string Tensor, bool ToInt8)> Of(Policy policy) => Trace(policy.IsInt8);

    IReadOnlyList<(string Tensor, bool ToInt8)> Trace(Func<int, bool> int8Group)
    {
        var inInt8 = new Dictionary<string, bool> { [Network.InputName] = false };
        var inFloat = new Dictionary<string, bool> { [Network.InputName] = true };
        var result = new List<(string, bool)>();
        void Convert(string tensor, bool toInt8)
        {
            var has = toInt8 ? inInt8 : inFloat;
            if (has[tensor]) return;
            has[tensor] = true;
            result.Add((tensor, toInt8));
        }
        foreach (var l in net.Layers)
        {
            switch (l.Kind)
            {
                case LayerKind.Conv2d or LayerKind.Linear:
                    bool int8 = eligible.TryGetValue(l.Name, out int g) && int8Group(g);
                    Convert(l.Inputs[0], int8);
                    (inInt8[l.Name], inFloat[l.Name]) = (int8, !int8);
                    break;
                case LayerKind.Add or LayerKind.Concat or LayerKind.Mul:
                    bool together = l.Inputs.All(i => inInt8[i]);
                    if (!together)
                        foreach (var i in l.Inputs) Convert(i, toInt8: false);
                    (inInt8[l.Name], inFloat[l.Name]) = (together, !together);
                    break;
                default:
                    (inInt8[l.Name], inFloat[l.Name]) = (inInt8[l.Inputs[0]], inFloat[l.Inputs[0]]);
                    break;
            }
        }
        return result;
    }

    /// <summary>What the policy's conversions (with <paramref name="allInt8"/>: <see cref="AllInt8"/>'s) cost at its widths (ms).</summary>
    public double Ms(Policy policy, ConversionCost cost, bool allInt8 = false)
    {
        double ms = 0;
        foreach (var (tensor, _) in allInt8 ? AllInt8 : Of(policy))
        {
            var shape = shapes[tensor];
            ms += cost.Ms((long)policy.Width(graph.Layout[tensor]) * shape.H * shape.W);
        }
        return ms;
    }
}
