using Amc.Graph;
using Amc.Pruning;
using static TorchSharp.torch;
using Amc.Torch;

namespace Amc.Tests.Pruning;

public class BatchNormCalibrationTests
{
    static Network Net()
    {
        var b = new NetworkBuilder("bn", new TensorShape(3, 8, 8));
        var x = b.ReLU("relu1", b.BN("bn1", b.Conv("conv1", Network.InputName, 4, 3, 1, 1)));
        x = b.ReLU("relu2", b.BN("bn2", b.Conv("conv2", x, 6, 3, 2, 1)));
        b.Linear("fc", b.Flatten("flat", b.GlobalAvgPool("gap", x)), 2);
        return b.Build();
    }

    /// <summary>
    /// Per-channel mean and unbiased variance of each BN's input over all batches, with every BN
    /// normalising by its batch statistics as it does while statistics are estimated.
    /// </summary>
    static Dictionary<string, (Tensor Mean, Tensor Var)> Expected(Network net, IReadOnlyDictionary<string, Tensor> weights, IReadOnlyList<Tensor> batches)
    {
        using var m = new GraphModule(net);
        m.LoadTensors(weights);
        m.eval();
        foreach (var bn in m.BatchNorms()) bn.train();
        var inputs = net.Layers.Where(l => l.Kind == LayerKind.BatchNorm2d).ToDictionary(l => l.Name, _ => new List<Tensor>());
        using (no_grad())
            foreach (var x in batches)
            {
                var values = m.ForwardAll(x);
                foreach (var (name, list) in inputs) list.Add(values[net[name].Input].detach().clone());
            }
        return inputs.ToDictionary(kv => kv.Key, kv =>
        {
            var all = cat(kv.Value, 0).transpose(0, 1).flatten(1).to_type(ScalarType.Float64); // [C, N*H*W]
            return (all.mean([1]), all.var(1, unbiased: true));
        });
    }

    static string Text(Tensor t) => string.Join(", ", t.data<double>().ToArray().Select(v => v.ToString("G6")));

    [Theory]
    [InlineData(new[] { 16 })]
    [InlineData(new[] { 8, 8, 8 })]
    [InlineData(new[] { 10, 3 })]  // a short last batch weighs by its size, not as a whole batch
    public void Running_statistics_become_those_of_the_calibration_data(int[] sizes)
    {
        var net = Net();
        using var model = RandomWeights.Module(net, seed: 1);
        var g = new Generator(2);
        // Batches with different means, so averaging per-batch variances would not be the variance.
        var batches = sizes.Select((n, i) => randn([n, 3, 8, 8], generator: g).Times(1 + i).Plus(i)).ToList();
        var expected = Expected(net, model.Tensors(), batches);

        BatchNormCalibration.Recalibrate(model, batches);

        var t = model.Tensors();
        foreach (var (name, (mean, variance)) in expected)
        {
            var rm = t[$"{name}.running_mean"].to_type(ScalarType.Float64);
            var rv = t[$"{name}.running_var"].to_type(ScalarType.Float64);
            Assert.True((rm - mean).abs().max().item<double>() < 1e-5 * (1 + mean.abs().max().item<double>()), $"{name} mean: {Text(rm)} vs {Text(mean)}");
            Assert.True(((rv - variance).abs() / variance).max().item<double>() < 1e-5, $"{name} variance: {Text(rv)} vs {Text(variance)}");
        }
        Assert.All(model.BatchNorms(), bn => Assert.False(bn.training));
        Assert.All(model.BatchNorms(), bn => Assert.Equal(0.1, bn.momentum!.Value, 6));
    }

    /// <summary>
    /// Deep zoo networks, pruned to uneven widths, with residual adds (a BN input computed long
    /// before the BN's turn in a releasing forward) and images far from zero mean (the first BN's
    /// input then has a mean large next to its spread): every BN's statistics within 1e-5 of the
    /// direct computation over all its inputs, relative to the channel's scale.
    /// </summary>
    [Theory]
    [InlineData("resnet20")]
    [InlineData("mobilenetv2")]
    [InlineData("resnet50")]
    public void Zoo_networks_statistics_equal_a_direct_computation(string model)
    {
        var net = TestNetworks.Build(model, narrowed: true);
        using var module = TestNetworks.Randomized(net, seed: 5);
        var g = new Generator(6);
        var batches = new[] { 6, 6, 3 }.Select(n => randn([n, net.Input.C, net.Input.H, net.Input.W], generator: g).Plus(20)).ToList();
        var expected = Expected(net, module.Tensors(), batches);

        BatchNormCalibration.Recalibrate(module, batches);

        var t = module.Tensors();
        foreach (var (name, (mean, variance)) in expected)
        {
            var rm = t[$"{name}.running_mean"].to_type(ScalarType.Float64);
            var rv = t[$"{name}.running_var"].to_type(ScalarType.Float64);
            var scale = mean.abs().Plus(variance.sqrt());
            Assert.True(((rm - mean).abs() / scale).max().item<double>() < 1e-5, $"{name} mean: {Text(rm)} vs {Text(mean)}");
            Assert.True(((rv - variance).abs() / variance).max().item<double>() < 1e-5, $"{name} variance: {Text(rv)} vs {Text(variance)}");
        }
    }

    [Fact]
    public void Eval_output_after_recalibration_normalises_the_first_bn_input()
    {
        var net = Net();
        using var model = RandomWeights.Module(net, seed: 3);
        var x = randn([32, 3, 8, 8], generator: new Generator(4)).Times(3).Plus(1);
        BatchNormCalibration.Recalibrate(model, [x]);
        var t = model.Tensors();
        using var _ = no_grad();
        var bnOut = model.ForwardAll(x)["bn1"];
        // (x - mean) / std * gamma + beta over the data: per-channel mean beta, std |gamma|.
        var perChannel = bnOut.transpose(0, 1).flatten(1);
        Assert.True((perChannel.mean([1]) - t["bn1.bias"]).abs().max().item<float>() < 1e-3);
        Assert.True((perChannel.std(1) - t["bn1.weight"].abs()).abs().max().item<float>() < 1e-2);
    }
}
