using static Amc.Graph.ShapeInference;

namespace Amc.Graph;

/// <summary>
/// How a layer's channel axis relates to its input's, which is all <see cref="ChannelGraph"/>,
/// the pruner and the cost formulas need to know about a kind.
/// </summary>
internal enum ChannelRole
{
    /// <summary>Output channels are the input channels; no tensor along them (ReLU, pooling, dropout).</summary>
    Keep,
    /// <summary>Output channels are the input channels, and the layer owns tensors along them
    /// (BatchNorm, depthwise or other width-preserving grouped conv): sliced and resized with the
    /// group it passes through.</summary>
    PassThrough,
    /// <summary>Reads all input channels and makes a new group (ordinary conv, Linear).</summary>
    Producer,
    /// <summary>Grouped conv whose width differs from its input's: both sides stay whole.</summary>
    Grouped,
    /// <summary>Repeats each input channel h*w times as features.</summary>
    Flatten,
    /// <summary>Adds or multiplies its inputs channel by channel: their groups become one.</summary>
    Add,
    /// <summary>Lays its inputs' channels one after another.</summary>
    Concat,
}

/// <param name="Shape">Output shape from the input shapes; validates the hyper-parameters.</param>
/// <param name="Role">Channel role, given the layer's input shape.</param>
/// <param name="Parameters">The layer's tensors at the given input and output shapes.</param>
/// <param name="Cost">MACs and params at the given input and output widths. One formula for the
/// described network (<see cref="CostModel"/>) and for any group widths (<see cref="GroupWidthCost"/>),
/// which is why they agree exactly.</param>
/// <param name="Resize">The layer with a new output width, for layers the pruner narrows; null
/// for layers whose width follows their input.</param>
internal sealed record LayerRule(
    Func<Layer, TensorShape[], TensorShape> Shape,
    Func<Layer, TensorShape, ChannelRole> Role,
    Func<Layer, TensorShape, TensorShape, IEnumerable<ParameterSpec>> Parameters,
    LayerRule.CostFormula Cost,
    Func<Layer, int, Layer>? Resize = null)
{
    /// <param name="role">The layer's role in the described network (a depthwise conv stays one at any width).</param>
    public delegate (long Macs, long Params) CostFormula(Layer layer, long inChannels, long outChannels, TensorShape output, ChannelRole role);
}

/// <summary>
/// The one table of what each <see cref="LayerKind"/> means to the graph: shape, channel role,
/// tensors and cost. Adding a kind means one entry here (see docs/ARCHITECTURE.md); the runtime
/// and ONNX mappings live next to TorchSharp and ONNX, which Graph does not know.
/// Counting convention: MACs only for Conv2d and Linear; params are weights, biases and BN's
/// gamma and beta (running statistics are buffers).
/// </summary>
internal static class LayerRules
{
    static readonly IEnumerable<ParameterSpec> NoParameters = [];
    static (long, long) Free(Layer l, long inC, long outC, TensorShape o, ChannelRole r) => (0, 0);
    static ChannelRole Keeps(Layer l, TensorShape input) => ChannelRole.Keep;
    /// <summary>An elementwise function of one input (declared before the table, which reads it).</summary>
    static readonly LayerRule Activation = new((l, ins) => { Single(l, ins); return ins[0]; }, Keeps, (_, _, _) => NoParameters, Free);

    public static readonly IReadOnlyDictionary<LayerKind, LayerRule> Table = new Dictionary<LayerKind, LayerRule>
    {
        [LayerKind.Conv2d] = new(
            Shape: (l, ins) =>
            {
                var x = ins[0];
                Single(l, ins); Spatial(l, x);
                int outC = AtLeast(l, "out", Need(l, l.Out, "out"), 1);
                int g = AtLeast(l, "groups", l.GroupCount, 1);
                if (x.C % g != 0 || outC % g != 0)
                    throw Bad(l, $"groups={g} must divide input channels {x.C} and output channels {outC}");
                int kh = AtLeast(l, "kernel", Need(l, l.Kernel, "kernel"), 1), kw = AtLeast(l, "kernelW", l.KernelWidth, 1);
                int stride = AtLeast(l, "stride", l.StrideValue, 1), dilation = AtLeast(l, "dilation", l.DilationValue, 1);
                int ph = AtLeast(l, "padding", l.PaddingValue, 0), pw = AtLeast(l, "paddingW", l.PaddingWidth, 0);
                CheckWeights(l, "weight", Product(outC, x.C / g, kh, kw));
                return Map(l, outC, Window(l, x.H, kh, stride, ph, dilation), Window(l, x.W, kw, stride, pw, dilation));
            },
            Role: (l, input) => ChannelGraph.IsBlockwise(l, input.C) ? ChannelRole.PassThrough
                : l.GroupCount > 1 ? ChannelRole.Grouped : ChannelRole.Producer,
            Parameters: (l, input, output) => WeightAndBias(l, [output.C, input.C / l.GroupCount, l.KernelSize, l.KernelWidth], output.C),
            Cost: (l, inC, outC, output, role) =>
            {
                // A blockwise conv (depthwise included) reads one block per filter at any width; other
                // grouped convs are never resized.
                long perGroupIn = role == ChannelRole.PassThrough ? ChannelGraph.BlockOf(l) : inC / l.GroupCount;
                long weights = outC * perGroupIn * l.KernelSize * l.KernelWidth;
                return (weights * output.H * output.W, weights + (l.HasBias ? outC : 0));
            },
            // A blockwise conv keeps its block size, so its group count follows its width; other
            // grouped convs' channels are fixed (ChannelGraph), so they never get here with a new width.
            Resize: (l, width) => l with { Out = width, Groups = l.GroupCount > 1 ? width / ChannelGraph.BlockOf(l) : l.Groups }),

        [LayerKind.BatchNorm2d] = new(
            // BatchNorm2d normalises each channel of a feature map; a flat vector has none.
            Shape: (l, ins) => { Single(l, ins); Spatial(l, ins[0]); return ins[0]; },
            Role: (l, input) => ChannelRole.PassThrough,
            Parameters: (l, input, output) => new[] { "weight", "bias", "running_mean", "running_var" }
                .Select(p => Spec(l, p, [output.C], 0, 0)),
            Cost: (l, inC, outC, output, role) => (0, 2 * outC)),

        [LayerKind.ReLU] = Activation,
        [LayerKind.ReLU6] = Activation,
        [LayerKind.Sigmoid] = Activation,
        [LayerKind.HardSigmoid] = Activation,
        [LayerKind.HardSwish] = Activation,
        [LayerKind.SiLU] = Activation,
        [LayerKind.LeakyReLU] = new(
            (l, ins) =>
            {
                Single(l, ins);
                if (l.Slope is double a && !double.IsFinite(a)) throw Bad(l, $"has slope {a}; the slope must be a finite number");
                return ins[0];
            },
            Keeps, (_, _, _) => NoParameters, Free),
        [LayerKind.PReLU] = new(
            (l, ins) => { Single(l, ins); return ins[0]; },
            // One learned slope per channel: sliced with the channels it passes through.
            Role: (l, input) => ChannelRole.PassThrough,
            Parameters: (l, input, output) => [Spec(l, "weight", [output.C], 0, -1)],
            Cost: (l, inC, outC, output, role) => (0, outC)),

        [LayerKind.Dropout] = new(
            Shape: (l, ins) =>
            {
                Single(l, ins);
                if (l.P is double p && !(p >= 0 && p <= 1)) throw Bad(l, $"has p {p}; a dropout probability must be in [0, 1]");
                return ins[0];
            },
            Keeps, (_, _, _) => NoParameters, Free),

        [LayerKind.MaxPool] = new(Pool, Keeps, (_, _, _) => NoParameters, Free),
        [LayerKind.AvgPool] = new(Pool, Keeps, (_, _, _) => NoParameters, Free),

        [LayerKind.GlobalAvgPool] = new(
            (l, ins) => { Single(l, ins); Spatial(l, ins[0]); return new TensorShape(ins[0].C, 1, 1); },
            Keeps, (_, _, _) => NoParameters, Free),

        [LayerKind.Flatten] = new(
            // every shape holds at most MaxValues values
            (l, ins) => { Single(l, ins); return TensorShape.Vector((int)ins[0].Elements); },
            (l, input) => ChannelRole.Flatten, (_, _, _) => NoParameters, Free),

        [LayerKind.Linear] = new(
            Shape: (l, ins) =>
            {
                var x = ins[0];
                Single(l, ins);
                if (!x.Flat) throw Bad(l, $"reads a {x} feature map; put a Flatten before it");
                int outF = AtLeast(l, "out", Need(l, l.Out, "out"), 1);
                CheckWeights(l, "weight", Product(outF, x.C));
                return TensorShape.Vector(outF);
            },
            Role: (l, input) => ChannelRole.Producer,
            Parameters: (l, input, output) => WeightAndBias(l, [output.C, input.C], output.C),
            Cost: (l, inF, outF, output, role) => (inF * outF, inF * outF + (l.HasBias ? outF : 0)),
            Resize: (l, width) => l with { Out = width }),

        [LayerKind.Add] = new(
            (l, ins) =>
            {
                if (ins.Length < 2) throw Bad(l, "needs at least two inputs");
                foreach (var s in ins.Skip(1))
                    if (s != ins[0]) throw Bad(l, $"adds tensors of different shapes: {string.Join(" + ", ins.Select(i => i.ToString()))}");
                return ins[0];
            },
            (l, input) => ChannelRole.Add, (_, _, _) => NoParameters, Free),

        [LayerKind.Concat] = new(
            (l, ins) =>
            {
                var x = ins[0];
                if (ins.Length < 2) throw Bad(l, "needs at least two inputs");
                foreach (var s in ins.Skip(1))
                    if (s.H != x.H || s.W != x.W || s.Flat != x.Flat)
                        throw Bad(l, $"concatenates tensors of different spatial size: {string.Join(", ", ins.Select(i => i.ToString()))}");
                long channels = ins.Sum(s => (long)s.C);
                return x.Flat ? Map(l, channels) : Map(l, channels, x.H, x.W);
            },
            (l, input) => ChannelRole.Concat, (_, _, _) => NoParameters, Free),

        [LayerKind.Mul] = new(
            (l, ins) =>
            {
                if (ins.Length != 2) throw Bad(l, $"has {ins.Length} inputs, expected 2");
                var (a, b) = (ins[0], ins[1]);
                // Same shapes, or a CxHxW map scaled by a Cx1x1 one (squeeze-and-excitation).
                bool broadcast = a.C == b.C && !a.Flat && !b.Flat && ((b.H == 1 && b.W == 1) || (a.H == 1 && a.W == 1));
                if (a != b && !broadcast)
                    throw Bad(l, $"multiplies tensors of shapes {a} and {b}; they must be equal or one a Cx1x1 map of the other's channels");
                return a.Elements >= b.Elements ? a : b;
            },
            // Like an add, the product ties each channel of one input to the same channel of the other.
            (l, input) => ChannelRole.Add, (_, _, _) => NoParameters, Free),

        [LayerKind.Pad] = new(
            (l, ins) =>
            {
                var x = ins[0];
                Single(l, ins); Spatial(l, x);
                if (l.Pads is not { Count: 4 } p) throw Bad(l, "needs 'pads': four numbers [top, left, bottom, right]");
                if (p.Any(v => v < 0)) throw Bad(l, $"has pads [{string.Join(", ", p)}]; pads must not be negative");
                return Map(l, x.C, (long)x.H + p[0] + p[2], (long)x.W + p[1] + p[3]);
            },
            Keeps, (_, _, _) => NoParameters, Free),
    };

    /// <summary>The rule of a layer's kind; a kind without one (a number cast to the enum) is an invalid network.</summary>
    public static LayerRule Of(Layer l) =>
        Table.TryGetValue(l.Kind, out var rule) ? rule : throw Bad(l, $"has unknown kind {l.Kind}");

    static TensorShape Pool(Layer l, TensorShape[] ins)
    {
        var x = ins[0];
        Single(l, ins); Spatial(l, x);
        int kh = AtLeast(l, "kernel", Need(l, l.Kernel, "kernel"), 1), kw = AtLeast(l, "kernelW", l.KernelWidth, 1);
        int stride = AtLeast(l, "stride", l.StrideValue, 1);
        int ph = AtLeast(l, "padding", l.PaddingValue, 0), pw = AtLeast(l, "paddingW", l.PaddingWidth, 0);
        // The runtime's pools take neither dilation nor a padding past half the window (PyTorch refuses it).
        if (l.DilationValue != 1) throw Bad(l, $"has dilation {l.DilationValue}; pooling supports dilation 1 only");
        foreach (var (p, k) in new[] { (ph, kh), (pw, kw) })
            if (p > k / 2) throw Bad(l, $"has padding {p} with kernel {k}; a pool's padding must be at most half its kernel ({k / 2})");
        // PyTorch's average pool divides the windows that ceil mode adds at the edge by their own
        // size, ONNX Runtime by the full kernel: only max pooling rounds up here.
        bool ceil = l.CeilMode ?? false;
        if (ceil && l.Kind != LayerKind.MaxPool) throw Bad(l, "has ceilMode; only max pooling supports rounding the output size up");
        return Map(l, x.C, Window(l, x.H, kh, stride, ph, 1, ceil), Window(l, x.W, kw, stride, pw, 1, ceil));
    }

    static IEnumerable<ParameterSpec> WeightAndBias(Layer l, long[] weight, long outC)
    {
        yield return Spec(l, "weight", weight, 0, 1);
        if (l.HasBias) yield return Spec(l, "bias", [outC], 0, -1);
    }

    static ParameterSpec Spec(Layer l, string param, long[] shape, int outAxis, int inAxis) =>
        new($"{l.Name}.{param}", l.Name, param, shape, outAxis, inAxis);
}
