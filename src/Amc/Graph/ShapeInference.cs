namespace Amc.Graph;

/// <summary>
/// Computes every layer's output shape and checks the graph is consistent. Follows PyTorch's
/// rules (floor division for conv and pooling, no ceil mode), so the runtime agrees.
/// </summary>
public static class ShapeInference
{
    public static IReadOnlyDictionary<string, TensorShape> Infer(Network net)
    {
        var shapes = new Dictionary<string, TensorShape> { [Network.InputName] = net.Input };
        if (net.Layers.Count == 0) throw new InvalidNetworkException($"network '{net.Name}' has no layers");
        foreach (var layer in net.Layers)
        {
            if (layer.Name == Network.InputName || shapes.ContainsKey(layer.Name))
                throw new InvalidNetworkException($"layer name '{layer.Name}' is used twice");
            if (layer.Inputs.Count == 0) throw new InvalidNetworkException($"layer '{layer.Name}' has no inputs");
            var ins = layer.Inputs.Select(i => shapes.TryGetValue(i, out var s)
                ? s
                : throw new InvalidNetworkException($"layer '{layer.Name}' reads '{i}', which is not defined before it")).ToArray();
            shapes[layer.Name] = Output(layer, ins);
        }
        return shapes;
    }

    static TensorShape Output(Layer l, TensorShape[] ins)
    {
        var x = ins[0];
        switch (l.Kind)
        {
            case LayerKind.Conv2d:
            {
                Single(l, ins); Spatial(l, x);
                int outC = Need(l, l.Out, "out"), g = l.GroupCount;
                if (outC <= 0) throw Bad(l, $"has {outC} output channels");
                if (g <= 0 || x.C % g != 0 || outC % g != 0)
                    throw Bad(l, $"groups={g} must divide input channels {x.C} and output channels {outC}");
                int k = Need(l, l.Kernel, "kernel");
                return new TensorShape(outC, ConvSize(l, x.H, k), ConvSize(l, x.W, k));
            }
            case LayerKind.BatchNorm2d:
            case LayerKind.ReLU:
            case LayerKind.ReLU6:
            case LayerKind.Dropout:
                Single(l, ins);
                return x;
            case LayerKind.MaxPool:
            case LayerKind.AvgPool:
            {
                Single(l, ins); Spatial(l, x);
                int k = Need(l, l.Kernel, "kernel");
                return new TensorShape(x.C, ConvSize(l, x.H, k), ConvSize(l, x.W, k));
            }
            case LayerKind.GlobalAvgPool:
                Single(l, ins); Spatial(l, x);
                return new TensorShape(x.C, 1, 1);
            case LayerKind.Flatten:
                Single(l, ins);
                return TensorShape.Vector(checked((int)x.Elements));
            case LayerKind.Linear:
                Single(l, ins);
                if (!x.Flat) throw Bad(l, $"reads a {x} feature map; put a Flatten before it");
                return TensorShape.Vector(Need(l, l.Out, "out"));
            case LayerKind.Add:
                if (ins.Length < 2) throw Bad(l, "needs at least two inputs");
                foreach (var s in ins.Skip(1))
                    if (s != x) throw Bad(l, $"adds tensors of different shapes: {string.Join(" + ", ins.Select(i => i.ToString()))}");
                return x;
            case LayerKind.Concat:
                if (ins.Length < 2) throw Bad(l, "needs at least two inputs");
                foreach (var s in ins.Skip(1))
                    if (s.H != x.H || s.W != x.W || s.Flat != x.Flat)
                        throw Bad(l, $"concatenates tensors of different spatial size: {string.Join(", ", ins.Select(i => i.ToString()))}");
                return x with { C = ins.Sum(s => s.C) };
            default:
                throw Bad(l, $"has unknown kind {l.Kind}");
        }
    }

    static int ConvSize(Layer l, int size, int k)
    {
        if (l.StrideValue <= 0) throw Bad(l, $"has stride {l.StrideValue}");
        // Floor division as in PyTorch: C#'s '/' truncates toward zero and would turn a window
        // larger than the padded map into a size-1 output.
        int o = (int)Math.Floor((size + 2 * l.PaddingValue - l.DilationValue * (k - 1) - 1) / (double)l.StrideValue) + 1;
        if (o <= 0) throw Bad(l, $"output would be empty (input {size}, kernel {k}, stride {l.StrideValue}, padding {l.PaddingValue}); the input is too small for this network");
        return o;
    }

    static void Single(Layer l, TensorShape[] ins)
    {
        if (ins.Length != 1) throw Bad(l, $"has {ins.Length} inputs, expected 1");
    }

    static void Spatial(Layer l, TensorShape x)
    {
        if (x.Flat) throw Bad(l, $"needs a feature map but reads a flat vector of {x.C}");
    }

    static int Need(Layer l, int? v, string what) => v ?? throw Bad(l, $"has no '{what}'");

    static InvalidNetworkException Bad(Layer l, string problem) => new($"layer '{l.Name}' ({l.Kind}) {problem}");
}
