namespace Amc.Graph;

/// <summary>
/// Small fluent helper the model zoo uses to emit layers. Each method appends one layer and returns
/// its name, so a builder reads like the forward pass. <paramref name="widths"/> overrides the
/// output channels of named convs and linears: a pruned architecture is the same builder with
/// other widths.
/// </summary>
internal sealed class NetworkBuilder(string name, TensorShape input, IReadOnlyDictionary<string, int>? widths = null)
{
    readonly List<Layer> layers = [];

    public IReadOnlyList<Layer> Layers => layers;

    public string Add(Layer layer)
    {
        layers.Add(layer);
        return layer.Name;
    }

    int Width(string layer, int planned) => widths is not null && widths.TryGetValue(layer, out var w) ? w : planned;

    public string Conv(string name, string from, int outChannels, int kernel, int stride = 1, int padding = 0, int groups = 1, bool bias = false, int dilation = 1) =>
        Add(new Layer
        {
            Name = name, Kind = LayerKind.Conv2d, Inputs = [from], Out = Width(name, outChannels), Kernel = kernel,
            Stride = stride, Padding = padding, Groups = groups, Bias = bias, Dilation = dilation == 1 ? null : dilation,
        });

    /// <summary>Depthwise conv: one filter per channel; its width follows its input.</summary>
    public string Depthwise(string name, string from, int channels, int kernel, int stride = 1, int padding = 0) =>
        Add(new Layer { Name = name, Kind = LayerKind.Conv2d, Inputs = [from], Out = channels, Kernel = kernel, Stride = stride, Padding = padding, Groups = channels, Bias = false });

    public string BN(string name, string from) => Add(new Layer { Name = name, Kind = LayerKind.BatchNorm2d, Inputs = [from] });
    public string ReLU(string name, string from) => Add(new Layer { Name = name, Kind = LayerKind.ReLU, Inputs = [from] });
    public string ReLU6(string name, string from) => Add(new Layer { Name = name, Kind = LayerKind.ReLU6, Inputs = [from] });
    public string MaxPool(string name, string from, int kernel, int stride, int padding = 0) =>
        Add(new Layer { Name = name, Kind = LayerKind.MaxPool, Inputs = [from], Kernel = kernel, Stride = stride, Padding = padding });
    public string AvgPool(string name, string from, int kernel, int stride, int padding = 0) =>
        Add(new Layer { Name = name, Kind = LayerKind.AvgPool, Inputs = [from], Kernel = kernel, Stride = stride, Padding = padding });
    public string GlobalAvgPool(string name, string from) => Add(new Layer { Name = name, Kind = LayerKind.GlobalAvgPool, Inputs = [from] });
    public string Flatten(string name, string from) => Add(new Layer { Name = name, Kind = LayerKind.Flatten, Inputs = [from] });
    public string Linear(string name, string from, int outFeatures, bool bias = true) =>
        Add(new Layer { Name = name, Kind = LayerKind.Linear, Inputs = [from], Out = Width(name, outFeatures), Bias = bias });
    public string Dropout(string name, string from, double p) => Add(new Layer { Name = name, Kind = LayerKind.Dropout, Inputs = [from], P = p });
    public string Sum(string name, params string[] from) => Add(new Layer { Name = name, Kind = LayerKind.Add, Inputs = from });
    public string Concat(string name, params string[] from) => Add(new Layer { Name = name, Kind = LayerKind.Concat, Inputs = from });

    /// <summary>Conv, BN, ReLU: the unit most CNNs are made of. Returns the activation's name.</summary>
    public string ConvBnRelu(string prefix, string from, int outChannels, int kernel, int stride = 1, int padding = 0, bool relu6 = false, string conv = "conv", string bn = "bn", string act = "relu")
    {
        var c = Conv($"{prefix}{conv}", from, outChannels, kernel, stride, padding);
        var b = BN($"{prefix}{bn}", c);
        return relu6 ? ReLU6($"{prefix}{act}", b) : ReLU($"{prefix}{act}", b);
    }

    /// <summary>The current output channels of a layer already added (depthwise convs follow their input).</summary>
    public int Channels(string layer) => Shape(layer).C;

    /// <summary>The output shape of a layer already added, for builders whose structure depends on the input size.</summary>
    public TensorShape Shape(string layer) => ShapeInference.Infer(Build())[layer];

    public Network Build() => new() { Name = name, Input = input, Layers = layers.ToList() };
}
