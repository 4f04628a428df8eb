using Amc.Graph;
using static TorchSharp.torch;
using Amc.Torch;

namespace Amc.Tests.Pruning;

/// <summary>
/// Seeded random weights that keep activations of order one through any depth (He-scaled convs,
/// BN statistics that do not match the data, small gammas on the BNs that feed a residual add),
/// so output comparisons of deep zoo models test something. Uses its own generator: xunit runs
/// test classes in parallel and torch's global seed would be shared.
/// </summary>
static class RandomWeights
{
    public static GraphModule Module(Network net, int seed)
    {
        var module = new GraphModule(net);
        Fill(net, module.Tensors(), seed);
        module.eval();
        return module;
    }

    public static void Fill(Network net, IReadOnlyDictionary<string, Tensor> tensors, int seed)
    {
        var g = new Generator((ulong)seed);
        var feedsAdd = net.Layers.Where(l => l.Kind == LayerKind.Add).SelectMany(l => l.Inputs).ToHashSet();
        using var _ = no_grad();
        foreach (var spec in ParameterShapes.Of(net))
        {
            var t = tensors[spec.Key];
            var layer = net[spec.Layer];
            Tensor value = (layer.Kind, spec.Param) switch
            {
                (LayerKind.BatchNorm2d, "weight") => Uniform(spec.Shape, feedsAdd.Contains(layer.Name) ? 0.1 : 0.5, feedsAdd.Contains(layer.Name) ? 0.3 : 1.5, g),
                (LayerKind.BatchNorm2d, "bias") => randn(spec.Shape, generator: g).Times(0.1),
                (LayerKind.BatchNorm2d, "running_mean") => randn(spec.Shape, generator: g).Times(0.2),
                (LayerKind.BatchNorm2d, "running_var") => Uniform(spec.Shape, 0.5, 2.0, g),
                (_, "weight") => randn(spec.Shape, generator: g).Times(Math.Sqrt(2.0 / spec.Shape.Skip(1).Aggregate(1L, (a, b) => a * b))),
                _ => randn(spec.Shape, generator: g).Times(0.1),
            };
            t.copy_(value);
        }
    }

    public static Tensor Uniform(long[] shape, double low, double high, Generator g) => rand(shape, generator: g).Times(high - low).Plus(low);

    public static Tensor Input(Network net, int batch, int seed) =>
        randn([batch, net.Input.C, net.Input.H, net.Input.W], generator: new Generator((ulong)seed));
}
