using Amc.Graph;
using Amc.Models;
using Amc.Pruning;
using static TorchSharp.torch;

namespace Amc.Tests.Pruning;

public class ChannelPrunerTests
{
    [Fact]
    public void Prunes_reconstructs_and_recalibrates_to_the_requested_widths()
    {
        var net = ModelZoo.Build("resnet20", new ModelOptions(new TensorShape(3, 32, 32), 10, 0.5));
        using var original = RandomWeights.Module(net, seed: 1);
        var g = new Generator(2);
        var calibration = Enumerable.Range(0, 2).Select(_ => randn([4, 3, 32, 32], generator: g)).ToList();
        var pruner = new ChannelPruner(net, original.Tensors(), calibration, batchNormBatches: 1, pointsPerImage: 4);
        var channels = PruningPolicy.Uniform(pruner.Graph, 0.5).Resolve(pruner.Graph, 1);

        var pruned = pruner.Prune(channels, new PruneOptions(Round: 1));
        foreach (var group in pruner.Graph.Groups) Assert.Equal(channels.Width(group.Id), pruned.Kept.GetValueOrDefault(group.Id)?.Length ?? group.Channels);
        using var module = pruner.ToModule(pruned, new PruneOptions(Round: 1));
        Assert.False(module.training);
        using var _ = no_grad();
        Assert.Equal(new long[] { 4, 10 }, module.call(calibration[0]).shape);
    }

    [Fact]
    public void Cached_gram_matrices_outlive_the_dispose_scope_of_the_first_prune()
    {
        // A search scores policies in a loop, each iteration in its own dispose scope; the Gram
        // matrices collected during the first one must survive it.
        var net = ModelZoo.Build("plain20", new ModelOptions(new TensorShape(1, 28, 28), 10, 0.25));
        using var original = RandomWeights.Module(net, seed: 3);
        var g = new Generator(4);
        var calibration = new List<Tensor> { randn([4, 1, 28, 28], generator: g) };
        var pruner = new ChannelPruner(net, original.Tensors(), calibration, batchNormBatches: 1, pointsPerImage: 4);
        var channels = PruningPolicy.Uniform(pruner.Graph, 0.5).Resolve(pruner.Graph, 1);
        var options = new PruneOptions(Round: 1, RecalibrateBatchNorm: false);
        for (int i = 0; i < 2; i++)
        {
            using var scope = NewDisposeScope();
            var pruned = pruner.Prune(channels, options);
            Assert.Equal(pruner.Graph.Prunable.Count(), pruned.Kept.Count);
        }
    }
}
