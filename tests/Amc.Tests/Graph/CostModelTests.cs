using Amc.Graph;
using Amc.Models;

namespace Amc.Tests.Graph;

public class CostModelTests
{
    [Fact]
    public void Tiny_network_matches_a_hand_count()
    {
        var b = new NetworkBuilder("tiny", new TensorShape(4, 8, 8));
        var x = b.Conv("grouped", Network.InputName, 6, 3, 1, 1, groups: 2, bias: true);
        x = b.ReLU("relu", b.BN("bn", x));
        x = b.Depthwise("dw", x, 6, 3, 2, 1);
        x = b.Flatten("flat", b.GlobalAvgPool("gap", x));
        b.Linear("fc", x, 5);
        var cost = CostModel.Of(b.Build());

        // grouped: 6 filters of (4/2) x 3 x 3 = 108 weights, each applied at 8x8; 6 biases.
        // bn: gamma and beta for 6 channels. dw: 6 x 1 x 3 x 3 = 54 weights at 4x4.
        // fc: 6 x 5 weights and 5 biases.
        var expected = new Dictionary<string, (long Macs, long Params)>
        {
            ["grouped"] = (108 * 64, 108 + 6),
            ["bn"] = (0, 12),
            ["relu"] = (0, 0),
            ["dw"] = (54 * 16, 54),
            ["gap"] = (0, 0),
            ["flat"] = (0, 0),
            ["fc"] = (30, 35),
        };
        Assert.Equal(expected, cost.Layers.ToDictionary(l => l.Name, l => (l.Macs, l.Params)));
        Assert.Equal(6912 + 864 + 30, cost.Macs);
        Assert.Equal(114 + 12 + 54 + 35, cost.Params);
        Assert.Equal(new TensorShape(6, 4, 4), cost.Layers.Single(l => l.Name == "dw").OutputShape);
    }

    [Fact]
    public void Narrowing_a_conv_shrinks_it_and_its_consumer()
    {
        var input = new TensorShape(3, 32, 32);
        var full = CostModel.Of(ModelZoo.Build("resnet20", new ModelOptions(input)));
        var pruned = CostModel.Of(ModelZoo.Build("resnet20", new ModelOptions(input, Widths: new Dictionary<string, int> { ["layer1.0.conv1"] = 8 })));

        // 8 of 16 filters of layer1.0.conv1 go, and with them 8 of the 16 input channels of
        // layer1.0.conv2: 8 x 16 x 3 x 3 weights each, at 32x32; bn1 loses 8 gammas and betas.
        long weights = 8 * 16 * 9;
        Assert.Equal(full.Macs - 2 * weights * 32 * 32, pruned.Macs);
        Assert.Equal(full.Params - 2 * weights - 2 * 8, pruned.Params);
    }

    [Fact]
    public void Narrowing_a_hidden_linear_shrinks_it_and_the_next_one()
    {
        var input = new TensorShape(3, 224, 224);
        var full = CostModel.Of(ModelZoo.Build("vgg16", new ModelOptions(input, 1000)));
        var pruned = CostModel.Of(ModelZoo.Build("vgg16", new ModelOptions(input, 1000, Widths: new Dictionary<string, int> { ["classifier.0"] = 1024 })));

        long removed = 4096 - 1024;
        long macs = removed * 25088 + removed * 4096;
        Assert.Equal(full.Macs - macs, pruned.Macs);
        Assert.Equal(full.Params - macs - removed, pruned.Params);
    }

    [Fact]
    public void A_depthwise_conv_follows_its_pruned_input()
    {
        var input = new TensorShape(3, 224, 224);
        var net = ModelZoo.Build("mobilenet", new ModelOptions(input, 1000, Widths: new Dictionary<string, int> { ["features.1.3"] = 32 }));
        var shapes = ShapeInference.Infer(net);
        Assert.Equal(32, shapes["features.2.0"].C);
        Assert.Equal(32, net["features.2.0"].GroupCount);
    }
}
