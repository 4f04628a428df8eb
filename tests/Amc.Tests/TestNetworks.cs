using Amc.Graph;
using Amc.Models;
using TorchSharp;
using static TorchSharp.torch;
using Amc.Torch;

namespace Amc.Tests;

/// <summary>
/// Zoo models at sizes that run in milliseconds, with seeded random weights. Every tensor comes
/// from a private generator, so tests running in parallel cannot disturb each other's values.
/// </summary>
internal static class TestNetworks
{
    /// <summary>A static Scalar is never finalized, so it is safe in a native call (see Amc.Torch.Scalars).</summary>
    static readonly TorchSharp.Scalar ClampFloor = 0.05.ToScalar();

    public static TheoryData<string> Models() => new(ModelZoo.Names);

    /// <summary>Every zoo model, as built and with the widths of a non-uniformly pruned network.</summary>
    public static TheoryData<string, bool> ModelsAndPruning()
    {
        var data = new TheoryData<string, bool>();
        foreach (var m in ModelZoo.Names)
        {
            data.Add(m, false);
            data.Add(m, true);
        }
        return data;
    }

    /// <summary>Small inputs; the big models thinned so a forward pass stays cheap.</summary>
    public static ModelOptions Options(string model) => model.ToLowerInvariant() switch
    {
        "vgg16" => new ModelOptions(new TensorShape(1, 28, 28), 10, WidthMultiplier: 0.25),
        "vgg16-cifar" or "mobilenet" or "mobilenetv2" => new ModelOptions(new TensorShape(3, 32, 32), 10, WidthMultiplier: 0.5),
        "resnet50" => new ModelOptions(new TensorShape(3, 32, 32), 10, WidthMultiplier: 0.25),
        _ => new ModelOptions(new TensorShape(3, 32, 32), 10),
    };

    /// <summary>
    /// The model, or (narrowed) the same builder with every prunable channel group cut to a
    /// different fraction, as a pruned network comes out of the search.
    /// </summary>
    public static Network Build(string model, bool narrowed = false)
    {
        var options = Options(model);
        var net = ModelZoo.Build(model, options);
        if (!narrowed) return net;
        double[] keep = [0.5, 0.75, 0.3, 0.9, 0.6];
        var widths = new Dictionary<string, int>();
        int k = 0;
        foreach (var g in ChannelGraph.Build(net).Prunable)
        {
            int width = Math.Max(1, (int)Math.Round(g.Channels * keep[k++ % keep.Length]));
            foreach (var p in g.Producers) widths[p] = width;
        }
        return ModelZoo.Build(model, options with { Widths = widths });
    }

    /// <summary>
    /// A module in eval mode with He-scaled random weights and BatchNorms whose scale, shift and
    /// running statistics are all far from the identity, so a wrong BN mapping shows. The running
    /// statistics are those of a random batch, slightly perturbed: random statistics let
    /// activations grow with depth (ResNet-56 logits reached 1e4, ResNet-50's 230 with +-40 %
    /// perturbations), and there float rounding alone exceeds any absolute tolerance.
    /// </summary>
    public static GraphModule Randomized(Network net, long seed)
    {
        var module = new GraphModule(net);
        using var g = new Generator((ulong)seed);
        var tensors = module.Tensors();
        var specs = ParameterShapes.Of(net);
        using (no_grad())
        {
            foreach (var spec in specs)
            {
                using var scope = NewDisposeScope();
                long fanIn = spec.Shape.Skip(1).Aggregate(1L, (a, b) => a * b);
                var value = (net[spec.Layer].Kind, spec.Param) switch
                {
                    (LayerKind.BatchNorm2d, "weight") => rand(spec.Shape, generator: g).Plus(0.5),
                    (LayerKind.BatchNorm2d, "running_var") => ones(spec.Shape),
                    (_, "weight") => randn(spec.Shape, generator: g).Times(Math.Sqrt(2.0 / fanIn)),
                    _ => randn(spec.Shape, generator: g).Times(0.2), // biases, BN shift and running mean
                };
                tensors[spec.Key].copy_(value);
            }

            // Training mode with momentum 1 makes every BN's running statistics those of the batch.
            foreach (var bn in module.BatchNorms()) bn.momentum = 1.0;
            module.train();
            using (var calibration = Input(net.Input, 16, seed + 1000))
                module.forward(calibration).Dispose();
            foreach (var bn in module.BatchNorms()) bn.momentum = 0.1;
            module.eval();

            foreach (var spec in specs.Where(s => s.Param == "running_mean"))
            {
                using var scope = NewDisposeScope();
                var mean = tensors[spec.Key];
                var variance = tensors[$"{spec.Layer}.running_var"];
                // Deep random networks map different inputs to nearly the same features, so a
                // channel's batch variance can be tiny next to its mean; (x - mean) / std would
                // then magnify float rounding a hundredfold per layer. Dividing by the root mean
                // square instead keeps every BN well conditioned.
                variance.PlusInPlace(mean.Squared()).clamp_min_(ClampFloor);
                mean.PlusInPlace((variance.sqrt() * randn(spec.Shape, generator: g)).Times(0.1));
                variance.mul_(rand(spec.Shape, generator: g).Times(0.2).Plus(0.9));
            }
        }
        return module;
    }

    public static Tensor Input(TensorShape shape, int batch, long seed)
    {
        using var g = new Generator((ulong)seed);
        return randn([batch, shape.C, shape.H, shape.W], generator: g);
    }

    public static float[] Forward(GraphModule module, Tensor input)
    {
        using var _ = no_grad();
        using var y = module.forward(input);
        return y.data<float>().ToArray();
    }

    public static float MaxAbsDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
