using Amc.Graph;
using Amc.Models;
using Amc.Pruning;
using static TorchSharp.torch;
using Amc.Torch;

namespace Amc.Tests.Pruning;

public class NetworkPrunerTests
{
    /// <summary>Small inputs and widths keep the whole zoo under a few seconds; vgg16 at 64x64 keeps a 2x2 map before fc6.</summary>
    public static TheoryData<string, string, double> Zoo() => new()
    {
        { "plain20", "1x28x28", 0.5 },
        { "resnet20", "3x32x32", 0.5 },
        { "resnet56", "1x28x28", 0.25 },
        { "vgg16", "3x64x64", 0.25 },
        { "vgg16-cifar", "3x32x32", 0.25 },
        { "mobilenet", "3x32x32", 0.25 },
        { "mobilenetv2", "3x32x32", 0.35 },
        { "resnet50", "3x32x32", 0.25 },
    };

    [Theory]
    [MemberData(nameof(Zoo))]
    public void Pruned_zoo_model_equals_the_original_with_pruned_channels_zeroed_and_costs_what_the_zoo_predicts(string model, string input, double width)
    {
        var options = new ModelOptions(TensorShape.Parse(input), 10, width);
        var net = ModelZoo.Build(model, options);
        var graph = ChannelGraph.Build(net);
        using var original = RandomWeights.Module(net, seed: 7);
        var weights = original.Tensors();
        using var x = RandomWeights.Input(net, 3, seed: 11);

        for (int seed = 1; seed <= 3; seed++)
        {
            using var scope = NewDisposeScope();
            var kept = RandomKept(graph, seed);
            Assert.NotEmpty(kept);
            var pruned = NetworkPruner.Prune(net, graph, weights, kept);

            ShapeInference.Infer(pruned.Network);
            using var small = new GraphModule(pruned.Network);
            small.LoadTensors(pruned.Weights); // checks every tensor's shape against the pruned description
            small.eval();

            using var reference = new GraphModule(net);
            reference.LoadTensors(weights);
            ZeroPrunedChannels(graph, reference.Tensors(), kept);
            reference.eval();

            using (no_grad())
            {
                var expected = reference.call(x);
                var actual = small.call(x);
                var unpruned = original.call(x);
                double scale = expected.abs().max().item<float>();
                Assert.InRange(scale, 1e-2, 1e3); // activations neither vanished nor exploded: the comparison means something
                double diff = (actual - expected).abs().max().item<float>();
                Assert.True(diff < 1e-4, $"{model} seed {seed}: pruned output differs from the zeroed original by {diff}");
                Assert.True((unpruned - expected).abs().max().item<float>() > 1e-3, "pruning should change the output");
            }

            // The pruned description is the zoo's architecture at those widths: same layers, same cost.
            var widths = kept.SelectMany(kv => graph.Groups[kv.Key].Producers.Select(p => (p, kv.Value.Length))).ToDictionary(t => t.p, t => t.Length);
            var expectedNet = ModelZoo.Build(model, options with { Widths = widths });
            Assert.Equal(NetworkJson.Write(expectedNet), NetworkJson.Write(pruned.Network));
            var cost = CostModel.Of(pruned.Network);
            var predicted = CostModel.Of(expectedNet);
            Assert.Equal(predicted.Macs, cost.Macs);
            Assert.Equal(predicted.Params, cost.Params);
            Assert.True(cost.Macs < CostModel.Of(net).Macs);
        }
    }

    [Fact]
    public void Depthwise_and_concat_channels_are_sliced_with_their_groups()
    {
        var b = new NetworkBuilder("mixed", new TensorShape(3, 8, 8));
        var a = b.ReLU("ra", b.BN("bna", b.Conv("a", Network.InputName, 6, 3, 1, 1)));
        var dw = b.ReLU("rdw", b.BN("bndw", b.Conv("dw", a, 6, 3, 1, 1, groups: 6, bias: true)));
        var c = b.Conv("c", Network.InputName, 5, 1, bias: true);
        var cat = b.BN("bncat", b.Concat("cat", dw, c));
        var head = b.ReLU("rh", b.Conv("head", cat, 4, 3, 2, 1));
        b.Linear("fc", b.Flatten("flat", head), 3);
        var net = b.Build();
        var graph = ChannelGraph.Build(net);
        using var original = RandomWeights.Module(net, seed: 3);
        var kept = new Dictionary<int, int[]> { [graph["a"].Id] = [0, 2, 5], [graph["c"].Id] = [4], [graph["head"].Id] = [1, 2] };

        var pruned = NetworkPruner.Prune(net, graph, original.Tensors(), kept);
        Assert.Equal(3, pruned.Network["dw"].Out);
        Assert.Equal(3, pruned.Network["dw"].Groups);
        Assert.Equal(new long[] { 3, 1, 3, 3 }, pruned.Weights["dw.weight"].shape);
        Assert.Equal(new long[] { 4 }, pruned.Weights["bncat.running_var"].shape);
        Assert.Equal(new long[] { 2, 4, 3, 3 }, pruned.Weights["head.weight"].shape);
        Assert.Equal(new long[] { 3, 2 * 4 * 4 }, pruned.Weights["fc.weight"].shape);
        // The concat BN keeps a's channels 0, 2, 5 then c's channel 4 (at offset 6).
        var bn = original.Tensors()["bncat.weight"];
        Assert.Equal(bn.index_select(0, tensor(new long[] { 0, 2, 5, 10 })).data<float>().ToArray(), pruned.Weights["bncat.weight"].data<float>().ToArray());

        Assert.True(DifferenceFromZeroedOriginal(net, graph, original.Tensors(), pruned, kept, inputSeed: 5) < 1e-4);
    }

    [Fact]
    public void A_depthwise_conv_pruned_to_one_channel_becomes_an_ordinary_one_channel_conv()
    {
        var net = ModelZoo.Build("mobilenet", new ModelOptions(new TensorShape(3, 32, 32), 10, 0.25));
        var graph = ChannelGraph.Build(net);
        using var original = RandomWeights.Module(net, seed: 1);
        var group = graph["features.0.0"];
        var pruned = NetworkPruner.Prune(net, graph, original.Tensors(), new Dictionary<int, int[]> { [group.Id] = [3] });
        Assert.Equal(1, pruned.Network["features.1.0"].Out);
        Assert.Equal(1, pruned.Network["features.1.0"].Groups);
        using var small = new GraphModule(pruned.Network);
        small.LoadTensors(pruned.Weights);
    }

    [Fact]
    public void Invalid_kept_indices_are_rejected_with_the_group_name()
    {
        var net = ModelZoo.Build("resnet20", new ModelOptions(new TensorShape(3, 32, 32), 10, 0.25));
        var graph = ChannelGraph.Build(net);
        using var m = new GraphModule(net);
        var w = m.Tensors();
        var inner = graph["layer1.0.conv1"];
        ArgumentException Fails(int group, int[] idx) =>
            Assert.Throws<ArgumentException>(() => NetworkPruner.Prune(net, graph, w, new Dictionary<int, int[]> { [group] = idx }));

        Assert.Contains("cannot be pruned", Fails(graph["fc"].Id, [0, 1]).Message);
        Assert.Contains("at least one channel", Fails(inner.Id, []).Message);
        Assert.Contains("'layer1.0.conv1'", Fails(inner.Id, [0, 99]).Message);
        Assert.Contains("distinct", Fails(inner.Id, [1, 1]).Message);
    }

    /// <summary>For each prunable group, a seeded random count (full width allowed) of random channels.</summary>
    internal static Dictionary<int, int[]> RandomKept(ChannelGraph graph, int seed)
    {
        var rng = new Random(seed);
        var kept = new Dictionary<int, int[]>();
        foreach (var g in graph.Prunable)
        {
            int count = rng.Next(1, g.Channels + 1);
            if (count == g.Channels) continue;
            kept[g.Id] = Enumerable.Range(0, g.Channels).OrderBy(_ => rng.Next()).Take(count).Order().ToArray();
        }
        return kept;
    }

    /// <summary>
    /// Largest difference between the pruned network's outputs and the original's with the pruned
    /// channels zeroed (<see cref="ZeroPrunedChannels"/>), on two seeded random inputs.
    /// </summary>
    internal static float DifferenceFromZeroedOriginal(Network net, ChannelGraph graph, Dictionary<string, Tensor> weights,
        PrunedNetwork pruned, IReadOnlyDictionary<int, int[]> kept, int inputSeed)
    {
        using var small = new GraphModule(pruned.Network);
        small.LoadTensors(pruned.Weights);
        small.eval();
        using var reference = new GraphModule(net);
        reference.LoadTensors(weights);
        ZeroPrunedChannels(graph, reference.Tensors(), kept);
        reference.eval();
        using var x = RandomWeights.Input(net, 2, seed: inputSeed);
        using (no_grad())
            return (small.call(x) - reference.call(x)).abs().max().item<float>();
    }

    /// <summary>
    /// Zeroes, along the output axis, every weight and bias that writes a pruned channel: the
    /// producers', the BNs' gamma and beta, the depthwise convs'. Such a channel is then exactly
    /// zero wherever it flows, which is what removing it means to every consumer.
    /// </summary>
    internal static void ZeroPrunedChannels(ChannelGraph graph, Dictionary<string, Tensor> tensors, IReadOnlyDictionary<int, int[]> kept)
    {
        using var _ = no_grad();
        foreach (var (id, _) in kept)
        {
            var group = graph.Groups[id];
            foreach (var layer in group.Producers.Concat(group.PassThrough))
            {
                var keep = graph.KeptIndices(layer, kept).ToHashSet();
                foreach (var param in new[] { "weight", "bias" })
                {
                    if (!tensors.TryGetValue($"{layer}.{param}", out var t)) continue;
                    var removed = Enumerable.Range(0, (int)t.shape[0]).Where(i => !keep.Contains(i)).Select(i => (long)i).ToArray();
                    if (removed.Length > 0) t.ZeroAt(0, tensor(removed));
                }
            }
        }
    }
}
