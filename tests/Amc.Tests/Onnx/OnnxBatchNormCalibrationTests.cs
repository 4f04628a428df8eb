using Amc.Graph;
using Amc.Models;
using Amc.Onnx;
using Amc.Pruning;
using Amc.Search;
using Amc.Tests.Search;
using Amc.Torch;
using static TorchSharp.torch;

namespace Amc.Tests.Onnx;

/// <summary>
/// BN re-estimation in ONNX Runtime gives the statistics of the TorchSharp pass
/// (<see cref="BatchNormCalibration"/>), and the ORT scorer built on it the scores of TorchSharp
/// re-estimation followed by ORT evaluation, which is what it replaced.
/// </summary>
public class OnnxBatchNormCalibrationTests
{
    /// <summary>
    /// Networks pruned to uneven widths, images far from zero mean, a short last batch. The two
    /// engines' convolutions round differently, and a BN normalising by a small batch amplifies
    /// such differences layer by layer (random weights at initialisation are chaotic that way), so
    /// 1e-5 holds where the forward passes still agree: every BN of the shallow network and of
    /// ResNet-20, the first third of MobileNetV2's and ResNet-50's. Their deepest BNs differ by up
    /// to a few 1e-4, which 1e-2 bounds (a wrong pooling or an unbiasing slip is larger than that
    /// already in the first BN, where the strict bound applies).
    /// </summary>
    [Theory]
    [InlineData("shallow", 1.0)]
    [InlineData("resnet20", 1.0)]
    [InlineData("mobilenetv2", 0.34)]
    [InlineData("resnet50", 0.34)]
    public void Statistics_equal_those_of_the_torchsharp_pass(string model, double strictFraction)
    {
        var full = model == "shallow" ? Shallow() : ModelZoo.Build(model, TestNetworks.Options(model) with { Input = new TensorShape(3, 64, 64) });
        using var original = TestNetworks.Randomized(full, seed: 5);
        var graph = ChannelGraph.Build(full);
        var widths = Policy.OfWidths(graph.Groups.Select(g => g.Prunable ? Math.Max(1, g.Channels * (1 + g.Id % 3) / 4) : g.Channels));
        var pruned = NetworkPruner.ToWidths(full, graph, original.Tensors(), widths);
        var g = new Generator(6);
        var batches = new[] { 16, 16, 5 }.Select(n => randn([n, full.Input.C, full.Input.H, full.Input.W], generator: g).Times(2).Plus(20)).ToList();
        using var module = new GraphModule(pruned.Network);
        module.LoadTensors(pruned.Weights);

        var ort = new OnnxBatchNormCalibration(batches).Recalibrate(pruned.Network, pruned.Weights, threads: 1, out _, out _);
        BatchNormCalibration.Recalibrate(module, batches);

        var torch = module.Tensors();
        var bns = pruned.Network.Layers.Where(l => l.Kind == LayerKind.BatchNorm2d).Select(l => l.Name).ToList();
        Assert.NotEmpty(bns);
        for (int i = 0; i < bns.Count; i++)
        {
            string name = bns[i];
            double tolerance = i < strictFraction * bns.Count ? 1e-5 : 1e-2;
            var (mean, variance) = (Doubles(torch[$"{name}.running_mean"]), Doubles(torch[$"{name}.running_var"]));
            var (ortMean, ortVariance) = (Doubles(ort[$"{name}.running_mean"]), Doubles(ort[$"{name}.running_var"]));
            for (int c = 0; c < mean.Length; c++)
            {
                double scale = Math.Abs(mean[c]) + Math.Sqrt(variance[c]);
                Assert.True(Math.Abs(ortMean[c] - mean[c]) / scale < tolerance, $"{name}[{c}] mean: ORT {ortMean[c]:G9}, TorchSharp {mean[c]:G9}");
                Assert.True(Math.Abs(ortVariance[c] - variance[c]) / variance[c] < tolerance, $"{name}[{c}] variance: ORT {ortVariance[c]:G9}, TorchSharp {variance[c]:G9}");
            }
            // The statistics changed: the test would notice an ORT pass that left them alone.
            Assert.False(Doubles(pruned.Weights[$"{name}.running_var"]).SequenceEqual(ortVariance), name);
        }
        // Every other tensor is passed on untouched.
        foreach (var (key, t) in pruned.Weights)
            if (!key.EndsWith(".running_mean") && !key.EndsWith(".running_var")) Assert.Same(t, ort[key]);
    }

    /// <summary>Two conv-BN-ReLU blocks, the second strided.</summary>
    static Network Shallow()
    {
        var b = new NetworkBuilder("shallow", new TensorShape(3, 8, 8));
        var x = b.ReLU("relu1", b.BN("bn1", b.Conv("conv1", Network.InputName, 8, 3, 1, 1)));
        x = b.ReLU("relu2", b.BN("bn2", b.Conv("conv2", x, 12, 3, 2, 1)));
        b.Linear("fc", b.Flatten("flat", b.GlobalAvgPool("gap", x)), 2);
        return b.Build();
    }

    static double[] Doubles(Tensor t)
    {
        using var d = t.to_type(ScalarType.Float64);
        return d.data<double>().ToArray();
    }

    [Fact]
    public void A_network_without_batchnorm_keeps_its_weights()
    {
        var b = new NetworkBuilder("nobn", new TensorShape(1, 4, 4));
        b.Linear("fc", b.Flatten("flat", b.ReLU("relu", b.Conv("conv", Network.InputName, 2, 3, 1, 1))), 2);
        var net = b.Build();
        using var module = new GraphModule(net);
        var weights = module.Tensors();
        var result = new OnnxBatchNormCalibration([randn([2, 1, 4, 4])]).Recalibrate(net, weights, 1, out _, out _);
        Assert.Equal(weights.Keys.Order(), result.Keys.Order());
        Assert.All(weights, kv => Assert.Same(kv.Value, result[kv.Key]));
    }

    /// <summary>
    /// The ORT scorer's search scores against the path it replaced (TorchSharp BN re-estimation,
    /// ORT evaluation) on the tiny search's policies: the same top-1 and, within float rounding,
    /// the same loss; and the time of its ONNX export and sessions is reported.
    /// </summary>
    [Fact]
    public void Scores_equal_those_of_torchsharp_batchnorm_with_ort_evaluation()
    {
        using var setup = new TinySearchSetup();
        var builder = new CandidateBuilder(setup.Pruner, new PruneOptions(Round: 2, Seed: 5));
        var scorer = new OnnxCandidateScorer(builder, setup.HeldOut);
        var evaluator = new OnnxEvaluator(setup.HeldOut);
        var rng = new Random(3);
        var groups = setup.Pruner.Graph.Groups;
        for (int i = 0; i < 6; i++)
        {
            var policy = Policy.OfWidths(groups.Select(g => g.Prunable ? 2 * rng.Next(1, g.Channels / 2 + 1) : g.Channels));
            var reference = builder.Score(policy, (pruned, module) => evaluator.Evaluate(pruned.Network, module.Tensors(), threads: 1));
            var score = scorer.Score(policy);
            Assert.Equal(reference.HeldOut.Top1, score.HeldOut.Top1);
            Assert.Equal(reference.HeldOut.Top5, score.HeldOut.Top5);
            Assert.Equal(reference.HeldOut.Loss, score.HeldOut.Loss, 1e-4);
            Assert.Equal(reference.Macs, score.Macs);
            Assert.True(score.Times.Export > 0 && score.Times.BatchNorm > 0 && score.Times.Evaluate > 0, score.Times.ToString());
        }
    }
}
