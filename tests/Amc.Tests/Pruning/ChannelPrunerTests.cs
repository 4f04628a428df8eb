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
        var pruner = new ChannelPruner(net, original.Tensors(), calibration, batchNormImages: 4, pointsPerImage: 4);
        var channels = PruningPolicy.Uniform(pruner.Graph, 0.5).Resolve(pruner.Graph, 1);

        var pruned = pruner.Prune(channels, new PruneOptions(Round: 1));
        foreach (var group in pruner.Graph.Groups) Assert.Equal(channels.Width(group.Id), pruned.Kept.GetValueOrDefault(group.Id)?.Length ?? group.Channels);
        using var module = pruner.ToModule(pruned, new PruneOptions(Round: 1));
        Assert.False(module.training);
        using var _ = no_grad();
        Assert.Equal(new long[] { 4, 10 }, module.call(calibration[0]).shape);
    }

    [Theory]
    [InlineData(6, new[] { 4, 2 })]
    [InlineData(4, new[] { 4 })]
    [InlineData(100, new[] { 4, 4 })]
    [InlineData(0, new[] { 1 })]
    public void Re_estimates_BN_statistics_on_exactly_the_images_asked_for(int images, int[] batches)
    {
        var net = ModelZoo.Build("plain20", new ModelOptions(new TensorShape(1, 16, 16), 10, 0.25));
        using var original = RandomWeights.Module(net, seed: 1);
        var g = new Generator(2);
        var calibration = Enumerable.Range(0, 2).Select(_ => randn([4, 1, 16, 16], generator: g)).ToList();
        var pruner = new ChannelPruner(net, original.Tensors(), calibration, batchNormImages: images);
        Assert.Equal(batches, pruner.BatchNormBatches.Select(b => (int)b.shape[0]));
        int taken = batches.Sum();
        Assert.True(cat(pruner.BatchNormBatches.ToList(), 0).equal(cat(calibration, 0).narrow(0, 0, taken)).all().item<bool>());
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
        var pruner = new ChannelPruner(net, original.Tensors(), calibration, batchNormImages: 1000, pointsPerImage: 4);
        var channels = PruningPolicy.Uniform(pruner.Graph, 0.5).Resolve(pruner.Graph, 1);
        var options = new PruneOptions(Round: 1, RecalibrateBatchNorm: false);
        for (int i = 0; i < 2; i++)
        {
            using var scope = NewDisposeScope();
            var pruned = pruner.Prune(channels, options);
            Assert.Equal(pruner.Graph.Prunable.Count(), pruned.Kept.Count);
        }
    }

    [Fact]
    public void Gram_matrices_read_from_another_process_file_prune_bit_for_bit_as_collected_ones()
    {
        // A distributed search's local workers read the coordinator's matrices instead of collecting them.
        var net = ModelZoo.Build("resnet20", new ModelOptions(new TensorShape(1, 16, 16), 10, 0.25));
        using var original = RandomWeights.Module(net, seed: 5);
        var g = new Generator(6);
        var calibration = new List<Tensor> { randn([4, 1, 16, 16], generator: g) };
        var here = new ChannelPruner(net, original.Tensors(), calibration, batchNormImages: 1000, pointsPerImage: 4);
        using var temp = new Amc.Tests.Data.TempFolder();
        string file = Path.Combine(temp.Path, "grams.safetensors");
        here.Grams(seed: 7).Save(file, "search-a");

        // Other images: had it collected its own matrices, its least squares would differ.
        var there = new ChannelPruner(net, original.Tensors(), [randn([4, 1, 16, 16], generator: g)], batchNormImages: 1000, pointsPerImage: 4);
        there.UseGrams(file, "search-a");
        var options = new PruneOptions(Round: 1, RecalibrateBatchNorm: false, Seed: 7);
        var channels = PruningPolicy.Uniform(here.Graph, 0.5).Resolve(here.Graph, 1);
        var expected = here.Prune(channels, options).Weights;
        var read = there.Prune(channels, options).Weights;
        foreach (var (name, w) in expected) Assert.Equal(w.data<float>().ToArray(), read[name].data<float>().ToArray());

        var e = Assert.Throws<Amc.Torch.CheckpointException>(() => there.UseGrams(file, "search-b"));
        Assert.Contains("Gram matrices of another search", e.Message);
        var other = ModelZoo.Build("plain20", new ModelOptions(new TensorShape(1, 16, 16), 10, 0.25));
        using var otherWeights = RandomWeights.Module(other, seed: 5);
        var elsewhere = new ChannelPruner(other, otherWeights.Tensors(), calibration, batchNormImages: 1000, pointsPerImage: 4);
        Assert.Contains("the network needs", Assert.Throws<Amc.Torch.CheckpointException>(() => elsewhere.UseGrams(file, "search-a")).Message);
    }
}
