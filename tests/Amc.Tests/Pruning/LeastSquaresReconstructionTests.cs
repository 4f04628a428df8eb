using Amc.Graph;
using Amc.Pruning;
using static TorchSharp.torch;
using Amc.Torch;

namespace Amc.Tests.Pruning;

public class LeastSquaresReconstructionTests
{
    /// <summary>A network that is one layer reading the input, so the test controls that layer's input exactly.</summary>
    static GraphModule OneLayer(TensorShape input, int outputs, int kernel, bool bias, int seed)
    {
        var b = new NetworkBuilder("one", input);
        if (input.H == 1 && input.W == 1) b.Linear("layer", b.Flatten("flat", Network.InputName), outputs, bias);
        else b.Conv("layer", Network.InputName, outputs, kernel, 1, kernel / 2, bias: bias);
        return RandomWeights.Module(b.Build(), seed);
    }

    static Tensor Gram(GraphModule m, params Tensor[] batches) =>
        LayerInputGram.Collect(m, batches, ["layer"], pointsPerImage: 10, seed: 1)["layer"];

    static Tensor Forward(Tensor x, Tensor w, Tensor? b) =>
        w.dim() == 4 ? nn.functional.conv2d(x, w, b, padding: [w.shape[2] / 2, w.shape[3] / 2]) : nn.functional.linear(x.flatten(1), w, b);

    static double MaxDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    static double SquaredError(Tensor a, Tensor b) => (a - b).Squared().sum().item<float>();

    [Theory]
    [InlineData(1, false)]
    [InlineData(3, false)]
    [InlineData(3, true)]
    [InlineData(0, true)] // Linear
    public void Keeping_every_channel_returns_the_original_weights(int kernel, bool bias)
    {
        using var scope = NewDisposeScope();
        var input = kernel == 0 ? new TensorShape(6, 1, 1) : new TensorShape(4, 6, 6);
        using var m = OneLayer(input, 5, kernel, bias, seed: 2);
        var g = new Generator(3);
        var gram = Gram(m, randn([16, input.C, input.H, input.W], generator: g), randn([16, input.C, input.H, input.W], generator: g));
        var w = m.Tensors()["layer.weight"];
        var b = bias ? m.Tensors()["layer.bias"] : null;
        var all = Enumerable.Range(0, input.C).Select(i => (long)i).ToArray();
        var (nw, nb) = LeastSquaresReconstruction.Solve(w, b, all, gram, ridge: 0);
        Assert.Equal(w.shape, nw.shape);
        Assert.True(MaxDiff(nw, w) < 1e-4, $"weights moved by {MaxDiff(nw, w)}");
        if (bias) Assert.True(MaxDiff(nb!, b!) < 1e-4, $"bias moved by {MaxDiff(nb!, b!)}");
        else Assert.Null(nb);
    }

    [Fact]
    public void A_redundant_channel_of_a_3x3_conv_is_folded_into_its_twin()
    {
        using var scope = NewDisposeScope();
        using var m = OneLayer(new TensorShape(4, 6, 6), 5, 3, bias: false, seed: 4);
        var x = randn([8, 4, 6, 6], generator: new Generator(5));
        x[.., 3] = x[.., 1].Times(2); // channel 3 carries nothing channel 1 does not
        var gram = Gram(m, x);
        var w = m.Tensors()["layer.weight"];
        long[] kept = [0, 1, 2];
        var (nw, _) = LeastSquaresReconstruction.Solve(w, null, kept, gram, ridge: 0);
        Assert.Equal(new long[] { 5, 3, 3, 3 }, nw.shape);

        var xs = x.index_select(1, tensor(kept));
        var original = Forward(x, w, null);
        double reconstructed = MaxDiff(Forward(xs, nw, null), original);
        double sliced = MaxDiff(Forward(xs, w.index_select(1, tensor(kept)), null), original);
        Assert.True(reconstructed < 1e-3, $"reconstruction error {reconstructed}");
        Assert.True(sliced > 0.1, $"plain slicing error {sliced} should be large");
        // The fold is the obvious one: channel 1's kernel gains twice channel 3's.
        Assert.True(MaxDiff(nw[.., 1], w[.., 1].Plus(w[.., 3].Times(2))) < 1e-3);
    }

    [Fact]
    public void Reconstruction_beats_plain_slicing_on_correlated_channels()
    {
        using var scope = NewDisposeScope();
        using var m = OneLayer(new TensorShape(6, 8, 8), 8, 3, bias: false, seed: 6);
        var g = new Generator(7);
        var mix = randn([6, 3], generator: g);
        Tensor Sample(int n) => einsum("ck,nkhw->nchw", mix, randn([n, 3, 8, 8], generator: g)).Plus(randn([n, 6, 8, 8], generator: g).Times(0.1));
        var gram = Gram(m, Sample(32), Sample(32));
        var w = m.Tensors()["layer.weight"];
        long[] kept = [0, 2, 3, 5];
        var (nw, _) = LeastSquaresReconstruction.Solve(w, null, kept, gram, ridge: 1e-4);

        var test = Sample(16); // fresh images: the fit generalises, not just memorises its samples
        var xs = test.index_select(1, tensor(kept));
        var original = Forward(test, w, null);
        double reconstructed = SquaredError(Forward(xs, nw, null), original);
        double sliced = SquaredError(Forward(xs, w.index_select(1, tensor(kept)), null), original);
        Assert.True(reconstructed < 0.2 * sliced, $"reconstructed {reconstructed} vs sliced {sliced}");
    }

    [Fact]
    public void The_bias_absorbs_the_mean_of_a_dropped_nearly_constant_input()
    {
        using var scope = NewDisposeScope();
        using var m = OneLayer(new TensorShape(3, 1, 1), 4, 0, bias: true, seed: 8);
        var g = new Generator(9);
        Tensor Sample(int n)
        {
            var x = randn([n, 3, 1, 1], generator: g);
            x[.., 2] = randn([n, 1, 1], generator: g).Times(0.01).Plus(3); // about 3, whatever the other two do
            return x;
        }
        var gram = Gram(m, Sample(64), Sample(64));
        var w = m.Tensors()["layer.weight"];
        var b = m.Tensors()["layer.bias"];
        long[] kept = [0, 1];
        var (nw, nb) = LeastSquaresReconstruction.Solve(w, b, kept, gram, ridge: 1e-6);

        Assert.True(MaxDiff(nb!, b.Plus(w[.., 2].Times(3))) < 0.05, "the bias should gain 3 times the dropped input's weights");
        Assert.True(MaxDiff(nw, w.index_select(1, tensor(kept))) < 0.05, "the kept weights should barely move");
        var test = Sample(32);
        var xs = test.index_select(1, tensor(kept));
        var original = Forward(test, w, b);
        Assert.True(MaxDiff(Forward(xs, nw, nb), original) < 0.05);
        Assert.True(MaxDiff(Forward(xs, w.index_select(1, tensor(kept)), b), original) > 0.5);
    }

    [Fact]
    public void Apply_refits_the_consumers_of_a_pruned_group_in_a_network()
    {
        // stem's channel 3 is exactly twice channel 1 (ReLU is positively homogeneous), so
        // dropping it and refitting head loses nothing.
        var b = new NetworkBuilder("twin", new TensorShape(3, 8, 8));
        var stem = b.ReLU("relu", b.Conv("stem", Network.InputName, 4, 3, 1, 1));
        var head = b.ReLU("hrelu", b.Conv("head", stem, 5, 3, 1, 1, bias: true));
        b.Linear("fc", b.Flatten("flat", b.GlobalAvgPool("gap", head)), 3);
        var net = b.Build();
        var graph = ChannelGraph.Build(net);
        using var original = RandomWeights.Module(net, seed: 10);
        var weights = original.Tensors();
        using (no_grad()) weights["stem.weight"][3] = weights["stem.weight"][1].Times(2);
        var x = randn([16, 3, 8, 8], generator: new Generator(11));
        var grams = LayerInputGram.Collect(original, [x], LayerInputGram.ReconstructableLayers(graph), 10, seed: 1);
        Assert.True(grams.Contains("head"));

        var kept = new Dictionary<int, int[]> { [graph["stem"].Id] = [0, 1, 2] };
        var plain = NetworkPruner.Prune(net, graph, weights, kept);
        var refit = NetworkPruner.Prune(net, graph, weights, kept);
        LeastSquaresReconstruction.Apply(net, graph, refit, weights, grams, ridge: 0);
        Assert.Same(plain.Weights["fc.weight"], refit.Weights["fc.weight"]); // untouched: its input lost nothing

        using var expected = original.call(x);
        double Error(PrunedNetwork p)
        {
            using var m = new GraphModule(p.Network);
            m.LoadTensors(p.Weights);
            m.eval();
            using var _ = no_grad();
            return MaxDiff(m.call(x), expected);
        }
        Assert.True(Error(refit) < 1e-3, $"refit error {Error(refit)}");
        Assert.True(Error(plain) > 1e-2, $"plain error {Error(plain)}");
    }
}
