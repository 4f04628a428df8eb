using Amc.Data;
using Amc.Graph;
using Amc.Pruning;
using Amc.Tests.Data;
using Amc.Training;
using static TorchSharp.torch;
using Amc.Torch;

namespace Amc.Tests.Pruning;

public class SparsityMasksTests
{
    static Network Net()
    {
        var b = new NetworkBuilder("sparse", new TensorShape(1, 8, 8));
        var x = b.ReLU("relu1", b.BN("bn1", b.Conv("conv1", Network.InputName, 6, 3, 1, 1)));
        x = b.ReLU("relu2", b.BN("bn2", b.Depthwise("dw", x, 6, 3, 2, 1)));
        x = b.ReLU("relu3", b.Conv("conv2", x, 8, 1, bias: true));
        b.Linear("fc", b.Flatten("flat", x), 4);
        return b.Build();
    }

    static long Zeros(Tensor t) => t.numel() - t.count_nonzero().item<long>();

    [Fact]
    public void Prune_zeroes_exactly_the_requested_fraction_of_smallest_magnitudes()
    {
        var net = Net();
        using var model = RandomWeights.Module(net, seed: 1);
        var before = model.Tensors().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        var ratios = new Dictionary<string, double> { ["conv1"] = 0.5, ["dw"] = 1.0 / 3, ["conv2"] = 0.9, ["fc"] = 0.0 };

        var masks = SparsityMasks.Prune(model, ratios);

        var after = model.Tensors();
        foreach (var (layer, ratio) in ratios)
        {
            var w = after[$"{layer}.weight"];
            var original = before[$"{layer}.weight"];
            long expected = (long)Math.Round(ratio * w.numel(), MidpointRounding.AwayFromZero);
            Assert.Equal(expected, Zeros(w));
            Assert.Equal((double)expected / w.numel(), masks.Sparsity[layer], 6);
            // Kept weights are unchanged, and none is smaller than a zeroed one.
            var kept = w.NonZero();
            Assert.True(w.masked_select(kept).eq(original.masked_select(kept)).all().item<bool>());
            if (expected > 0 && expected < w.numel())
                Assert.True(original.abs().masked_select(kept.logical_not()).max().item<float>() <= original.abs().masked_select(kept).min().item<float>());
        }
        Assert.Equal(27, Zeros(after["conv1.weight"])); // half of 6 x 1 x 3 x 3
        Assert.Equal(43, Zeros(after["conv2.weight"])); // 0.9 x 48 = 43.2
    }

    [Fact]
    public void Masks_survive_training_steps_with_momentum_and_weight_decay()
    {
        var net = Net();
        using var model = RandomWeights.Module(net, seed: 2);
        var masks = SparsityMasks.Prune(model, new Dictionary<string, double> { ["conv1"] = 0.5, ["conv2"] = 0.75, ["fc"] = 0.8 });
        var zerosBefore = model.Tensors().Where(kv => kv.Key.EndsWith(".weight")).ToDictionary(kv => kv.Key, kv => kv.Value.IsZero().clone());
        var fcBefore = model.Tensors()["fc.weight"].clone();

        var rng = new Random(3);
        var pixels = new byte[32 * 64];
        rng.NextBytes(pixels);
        var data = new Dataset("random", pixels, Enumerable.Range(0, 32).Select(i => i % 4).ToArray(), net.Input, 4, [0.5f], [0.25f]);
        var options = new TrainOptions { Epochs = 1, BatchSize = 8, LearningRate = 0.1, Augment = false, Seed = 1 };
        var trainer = new Trainer(model, data, Enumerable.Range(0, 32).ToArray(), options) { AfterStep = masks.Apply };
        trainer.Run(0, null, _ => { });

        var t = model.Tensors();
        foreach (var (key, zero) in zerosBefore)
            Assert.True(t[key].masked_select(zero).IsZero().all().item<bool>(), $"{key}: a masked weight came back");
        Assert.False(t["fc.weight"].eq(fcBefore).all().item<bool>()); // the kept weights did train
        Assert.Equal(masks.Sparsity, SparsityMasks.FromZeros(model).Sparsity);
    }

    [Fact]
    public void NonZeroParams_counts_what_the_cost_model_counts_minus_the_zeros()
    {
        var net = Net();
        using var model = RandomWeights.Module(net, seed: 4);
        var dense = CostModel.Of(net).Params;
        Assert.Equal(dense, SparsityMasks.NonZeroParams(net, model.Tensors()));

        SparsityMasks.Prune(model, new Dictionary<string, double> { ["conv1"] = 0.5, ["fc"] = 0.25 });
        long zeroed = 27 + (long)Math.Round(0.25 * 4 * 8 * 4 * 4);
        Assert.Equal(dense - zeroed, SparsityMasks.NonZeroParams(net, model.Tensors()));
    }

    [Fact]
    public void A_checkpoint_carries_the_mask_as_its_zeros()
    {
        var net = Net();
        using var model = RandomWeights.Module(net, seed: 5);
        var masks = SparsityMasks.Prune(model, new Dictionary<string, double> { ["conv1"] = 0.5, ["conv2"] = 0.6 });
        using var folder = new TempFolder();
        var path = folder.File("sparse.safetensors");
        Checkpoint.From(model, new CheckpointInfo { Model = "sparse", Sparsity = masks.Sparsity }).Save(path);

        var loaded = Checkpoint.Load(path);
        Assert.Equal(masks.Sparsity, loaded.Info.Sparsity);
        using var reloaded = loaded.ToModule();
        var again = SparsityMasks.FromZeros(reloaded);
        Assert.Equal(masks.Sparsity, again.Sparsity);
        Assert.Equal(SparsityMasks.NonZeroParams(net, model.Tensors()), SparsityMasks.NonZeroParams(loaded.Network, loaded.Weights));

        // The mask read back holds: a weight set after loading is zeroed again.
        var w = reloaded.Tensors()["conv1.weight"];
        using (no_grad()) w.FillWith(1);
        again.Apply();
        Assert.Equal(27, Zeros(w));
    }

    [Theory]
    [InlineData("bn1", 0.5, "BatchNorm2d")]
    [InlineData("nothing", 0.5, "no layer named 'nothing'")]
    [InlineData("conv1", 1.5, "sparsity must be in [0, 1], got 1.5")]
    [InlineData("conv1", -0.1, "sparsity must be in [0, 1]")]
    public void Bad_requests_name_the_layer(string layer, double ratio, string message)
    {
        using var model = new GraphModule(Net());
        var e = Assert.Throws<ArgumentException>(() => SparsityMasks.Prune(model, new Dictionary<string, double> { [layer] = ratio }));
        Assert.Contains(message, e.Message);
    }
}
