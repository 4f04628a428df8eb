namespace Amc.Graph;

/// <summary>
/// The network description: layers in topological order, the last one is the output. Pure data:
/// a TorchSharp module, the cost, the channel groups and the ONNX graph are all derived from it.
/// </summary>
public sealed record Network
{
    public const string InputName = "input";

    public required string Name { get; init; }
    public required TensorShape Input { get; init; }
    public required IReadOnlyList<Layer> Layers { get; init; }

    public Layer Output => Layers[^1];

    /// <summary>The shape of the network's output for one image (inferred through every layer).</summary>
    public TensorShape OutputShape() => ShapeInference.Infer(this)[Output.Name];

    public Layer this[string name] => Find(name) ?? throw new InvalidNetworkException($"no layer named '{name}'");

    public Layer? Find(string name)
    {
        foreach (var l in Layers) if (l.Name == name) return l;
        return null;
    }

    /// <summary>Layers that read the output of <paramref name="name"/>.</summary>
    public IEnumerable<Layer> Consumers(string name) => Layers.Where(l => l.Inputs.Contains(name));

    public Network WithLayers(IReadOnlyList<Layer> layers) => this with { Layers = layers };
}
