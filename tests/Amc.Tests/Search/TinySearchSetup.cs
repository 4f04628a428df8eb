using Amc.Data;
using Amc.Graph;
using Amc.Models;
using Amc.Pruning;
using Amc.Search;
using Amc.Training;
using static TorchSharp.torch;
using Amc.Torch;

namespace Amc.Tests.Search;

/// <summary>
/// A tiny trained-ish setting for search tests: a quarter-width ResNet-20 on 1x8x8 synthetic
/// images whose class is readable from pixel intensity, so accuracy varies with the policy.
/// </summary>
sealed class TinySearchSetup : IDisposable
{
    public Network Network { get; }
    public Dictionary<string, Tensor> Weights { get; }
    public TensorBatches Calibration { get; }
    public TensorBatches HeldOut { get; }
    public ChannelPruner Pruner { get; }

    public TinySearchSetup(int seed = 7)
    {
        manual_seed(seed);
        var shape = new TensorShape(1, 8, 8);
        Network = ModelZoo.Build("resnet20", new ModelOptions(shape, Classes: 4, WidthMultiplier: 0.5));
        using var module = new GraphModule(Network);
        Weights = module.Tensors().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        var data = Synthetic(shape, 160, seed);
        Calibration = new TensorBatches(data, Enumerable.Range(0, 64).ToArray(), 32);
        HeldOut = new TensorBatches(data, Enumerable.Range(64, 96).ToArray(), 48);
        Pruner = new ChannelPruner(Network, Weights, Calibration.Images, batchNormImages: 32, pointsPerImage: 4);
    }

    public static Dataset Synthetic(TensorShape shape, int count, int seed)
    {
        var rng = new Random(seed);
        int size = shape.C * shape.H * shape.W;
        var pixels = new byte[count * size];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = rng.Next(4);
            for (int j = 0; j < size; j++) pixels[i * size + j] = (byte)Math.Clamp(labels[i] * 60 + rng.Next(80), 0, 255);
        }
        return new Dataset("synthetic", pixels, labels, shape, 4, [0.5f], [0.3f]);
    }

    public SearchRunner Runner(SearchOptions options, string outDir, int round = 2)
    {
        var env = new PruningEnvironment(Network, Pruner.Graph, options, round);
        var scorer = new TorchCandidateScorer(new CandidateBuilder(Pruner, new PruneOptions(Round: round, Seed: options.Seed)), HeldOut);
        return new SearchRunner(env, scorer, options, outDir, "test-fingerprint");
    }

    public void Dispose()
    {
        Calibration.Dispose();
        HeldOut.Dispose();
    }
}
