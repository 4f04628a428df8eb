namespace Amc.Graph;

/// <summary>
/// Computes every layer's output shape and checks the graph is consistent and meaningful: every
/// hyper-parameter in its range (stride, kernel and dilation at least 1, padding not negative,
/// groups dividing the channels...), no window larger than its padded input, no tensor too large
/// to index. Follows PyTorch's rules (floor division for conv and pooling, no ceil mode), so the
/// runtime agrees. Checkpoints, imports and zoo builders all pass through here.
/// </summary>
public static class ShapeInference
{
    /// <summary>
    /// The most values one tensor may hold per image, and one weight tensor in all: the int range,
    /// which feature counts (Flatten), image sizes and buffers are counted in. A network past it is
    /// far beyond any real CNN; refusing it here keeps int arithmetic elsewhere from overflowing.
    /// </summary>
    public const long MaxValues = int.MaxValue;

    public static IReadOnlyDictionary<string, TensorShape> Infer(Network net)
    {
        CheckInput(net.Name, net.Input);
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

    /// <summary>Refuses an input shape no network can read (an empty axis, a flat vector, too many values).</summary>
    public static void CheckInput(string network, TensorShape x)
    {
        if (x.Flat || x.C < 1 || x.H < 1 || x.W < 1)
            throw new InvalidNetworkException($"network '{network}' has input {x.C}x{x.H}x{x.W}{(x.Flat ? " (flat)" : "")}; the input must be an image shape CxHxW with each of C, H and W at least 1");
        if (x.Elements > MaxValues)
            throw new InvalidNetworkException($"network '{network}' has input {x}, {x.Elements:N0} values per image, more than the {MaxValues:N0} a tensor may hold; use a smaller input");
    }

    static TensorShape Output(Layer l, TensorShape[] ins)
    {
        var x = ins[0];
        switch (l.Kind)
        {
            case LayerKind.Conv2d:
            {
                Single(l, ins); Spatial(l, x);
                int outC = AtLeast(l, "out", Need(l, l.Out, "out"), 1);
                int g = AtLeast(l, "groups", l.GroupCount, 1);
                if (x.C % g != 0 || outC % g != 0)
                    throw Bad(l, $"groups={g} must divide input channels {x.C} and output channels {outC}");
                int k = AtLeast(l, "kernel", Need(l, l.Kernel, "kernel"), 1);
                int stride = AtLeast(l, "stride", l.StrideValue, 1), dilation = AtLeast(l, "dilation", l.DilationValue, 1);
                int padding = AtLeast(l, "padding", l.PaddingValue, 0);
                CheckWeights(l, "weight", Product(outC, x.C / g, k, k));
                return Map(l, outC, Window(l, x.H, k, stride, padding, dilation), Window(l, x.W, k, stride, padding, dilation));
            }
            case LayerKind.BatchNorm2d:
                // BatchNorm2d normalises each channel of a feature map; a flat vector has none.
                Single(l, ins); Spatial(l, x);
                return x;
            case LayerKind.Dropout:
                Single(l, ins);
                if (l.P is double p && !(p >= 0 && p <= 1)) throw Bad(l, $"has p {p}; a dropout probability must be in [0, 1]");
                return x;
            case LayerKind.ReLU:
            case LayerKind.ReLU6:
                Single(l, ins);
                return x;
            case LayerKind.MaxPool:
            case LayerKind.AvgPool:
            {
                Single(l, ins); Spatial(l, x);
                int k = AtLeast(l, "kernel", Need(l, l.Kernel, "kernel"), 1);
                int stride = AtLeast(l, "stride", l.StrideValue, 1), padding = AtLeast(l, "padding", l.PaddingValue, 0);
                // The runtime's pools take neither dilation nor a padding past half the window (PyTorch refuses it).
                if (l.DilationValue != 1) throw Bad(l, $"has dilation {l.DilationValue}; pooling supports dilation 1 only");
                if (padding > k / 2) throw Bad(l, $"has padding {padding} with kernel {k}; a pool's padding must be at most half its kernel ({k / 2})");
                return Map(l, x.C, Window(l, x.H, k, stride, padding, 1), Window(l, x.W, k, stride, padding, 1));
            }
            case LayerKind.GlobalAvgPool:
                Single(l, ins); Spatial(l, x);
                return new TensorShape(x.C, 1, 1);
            case LayerKind.Flatten:
                Single(l, ins);
                return TensorShape.Vector((int)x.Elements); // every shape holds at most MaxValues values
            case LayerKind.Linear:
            {
                Single(l, ins);
                if (!x.Flat) throw Bad(l, $"reads a {x} feature map; put a Flatten before it");
                int outF = AtLeast(l, "out", Need(l, l.Out, "out"), 1);
                CheckWeights(l, "weight", Product(outF, x.C));
                return TensorShape.Vector(outF);
            }
            case LayerKind.Add:
                if (ins.Length < 2) throw Bad(l, "needs at least two inputs");
                foreach (var s in ins.Skip(1))
                    if (s != x) throw Bad(l, $"adds tensors of different shapes: {string.Join(" + ", ins.Select(i => i.ToString()))}");
                return x;
            case LayerKind.Concat:
            {
                if (ins.Length < 2) throw Bad(l, "needs at least two inputs");
                foreach (var s in ins.Skip(1))
                    if (s.H != x.H || s.W != x.W || s.Flat != x.Flat)
                        throw Bad(l, $"concatenates tensors of different spatial size: {string.Join(", ", ins.Select(i => i.ToString()))}");
                long channels = ins.Sum(s => (long)s.C);
                return x.Flat ? Map(l, channels) : Map(l, channels, x.H, x.W);
            }
            default:
                throw Bad(l, $"has unknown kind {l.Kind}");
        }
    }

    /// <summary>
    /// Output size of a conv or pooling window along one axis, floor division as in PyTorch. In
    /// long: a large padding or dilation must not wrap around into a plausible size.
    /// </summary>
    static long Window(Layer l, int size, int k, int stride, int padding, int dilation)
    {
        long span = (long)dilation * (k - 1) + 1, padded = size + 2L * padding;
        if (span > padded)
            throw Bad(l, $"has kernel {k}{(dilation > 1 ? $" at dilation {dilation} (spanning {span})" : "")}, larger than its input {size} padded by {padding} on each side ({padded}); the input is too small for this network");
        return (padded - span) / stride + 1;
    }

    /// <summary>A feature map's shape, refused when it holds more values per image than a tensor may.</summary>
    static TensorShape Map(Layer l, long c, long h, long w)
    {
        long values = Product(c, h, w);
        if (values > MaxValues)
            throw Bad(l, $"would output {c}x{h}x{w}, {Describe(values)} values per image, more than the {MaxValues:N0} a tensor may hold; use a smaller input or fewer channels");
        return new TensorShape((int)c, (int)h, (int)w);
    }

    static TensorShape Map(Layer l, long features)
    {
        if (features > MaxValues)
            throw Bad(l, $"would output {Describe(features)} features, more than the {MaxValues:N0} a tensor may hold");
        return TensorShape.Vector((int)features);
    }

    static void CheckWeights(Layer l, string param, long values)
    {
        if (values > MaxValues)
            throw Bad(l, $"would have a {param} of {Describe(values)} values, more than the {MaxValues:N0} a tensor may hold; use fewer channels or a smaller kernel");
    }

    /// <summary>Product of non-negative factors, saturating at long.MaxValue instead of wrapping.</summary>
    internal static long Product(params long[] factors)
    {
        long p = 1;
        foreach (var f in factors)
        {
            if (f != 0 && p > long.MaxValue / f) return long.MaxValue;
            p *= f;
        }
        return p;
    }

    static string Describe(long values) => values == long.MaxValue ? "more than 9.2e18" : $"{values:N0}";

    static int AtLeast(Layer l, string field, int value, int min) =>
        value >= min ? value : throw Bad(l, $"has {field} {value}; {field} must be at least {min}");

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
