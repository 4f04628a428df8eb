namespace Amc.Graph;

/// <summary>
/// Computes every layer's output shape and checks the graph is consistent and meaningful: every
/// hyper-parameter in its range (stride, kernel and dilation at least 1, padding not negative,
/// groups dividing the channels...), no window larger than its padded input, no tensor too large
/// to index. Follows PyTorch's rules (floor division for conv and pooling, ceil mode for max pooling), so the
/// runtime agrees. Checkpoints, imports and zoo builders all pass through here. Each kind's own
/// rule is its entry in <see cref="LayerRules"/>; the helpers below are shared by those entries.
/// </summary>
internal static class ShapeInference
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
            shapes[layer.Name] = LayerRules.Of(layer).Shape(layer, ins);
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

    /// <summary>
    /// Output size of a conv or pooling window along one axis, floor division as in PyTorch, or
    /// PyTorch's ceil mode: rounded up, less a last window that would start in the right padding.
    /// In long: a large padding or dilation must not wrap around into a plausible size.
    /// </summary>
    internal static long Window(Layer l, int size, int k, int stride, int padding, int dilation, bool ceil = false)
    {
        long span = (long)dilation * (k - 1) + 1, padded = size + 2L * padding;
        if (span > padded)
            throw Bad(l, $"has kernel {k}{(dilation > 1 ? $" at dilation {dilation} (spanning {span})" : "")}, larger than its input {size} padded by {padding} on each side ({padded}); the input is too small for this network");
        if (!ceil) return (padded - span) / stride + 1;
        long windows = (padded - span + stride - 1) / stride + 1;
        return (windows - 1) * stride >= size + padding ? windows - 1 : windows;
    }

    /// <summary>A feature map's shape, refused when it holds more values per image than a tensor may.</summary>
    internal static TensorShape Map(Layer l, long c, long h, long w)
    {
        long values = Product(c, h, w);
        if (values > MaxValues)
            throw Bad(l, $"would output {c}x{h}x{w}, {Describe(values)} values per image, more than the {MaxValues:N0} a tensor may hold; use a smaller input or fewer channels");
        return new TensorShape((int)c, (int)h, (int)w);
    }

    internal static TensorShape Map(Layer l, long features)
    {
        if (features > MaxValues)
            throw Bad(l, $"would output {Describe(features)} features, more than the {MaxValues:N0} a tensor may hold");
        return TensorShape.Vector((int)features);
    }

    internal static void CheckWeights(Layer l, string param, long values)
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

    internal static int AtLeast(Layer l, string field, int value, int min) =>
        value >= min ? value : throw Bad(l, $"has {field} {value}; {field} must be at least {min}");

    internal static void Single(Layer l, TensorShape[] ins)
    {
        if (ins.Length != 1) throw Bad(l, $"has {ins.Length} inputs, expected 1");
    }

    internal static void Spatial(Layer l, TensorShape x)
    {
        if (x.Flat) throw Bad(l, $"needs a feature map but reads a flat vector of {x.C}");
    }

    internal static int Need(Layer l, int? v, string what) => v ?? throw Bad(l, $"has no '{what}'");

    internal static InvalidNetworkException Bad(Layer l, string problem) => new($"layer '{l.Name}' ({l.Kind}) {problem}");
}
