using Amc.Graph;
using Amc.Models;
using Xunit.Abstractions;

namespace Amc.Tests.Models;

/// <summary>
/// Zoo totals against the figures papers report, with the counting convention of CostModel
/// (conv + linear MACs; conv/linear weights and biases plus BN gamma/beta). A miss means the
/// builder is wrong, not the reference.
/// </summary>
public class PublishedCostTests(ITestOutputHelper output)
{
    static readonly TensorShape Cifar = new(3, 32, 32);
    static readonly TensorShape ImageNet = new(3, 224, 224);

    [Theory]
    // ResNet-20/56 with 1x1 projection shortcuts; He et al. report 0.27 M and 0.85 M params.
    [InlineData("resnet20", 10, 40.8e6, 0.27e6)]
    [InlineData("resnet56", 10, 125.5e6, 0.85e6)]
    [InlineData("vgg16", 1000, 15.47e9, 138.36e6)]
    // The CIFAR VGG-16 of the pruning literature: 313.73 M MACs (HRank, Lin et al. 2020); 14.73 M
    // params is the single 512 -> 10 classifier (HRank's 512-512-10 head reports 14.98 M).
    [InlineData("vgg16-cifar", 10, 313.73e6, 14.73e6)]
    [InlineData("mobilenet", 1000, 568.7e6, 4.23e6)]
    [InlineData("mobilenetv2", 1000, 300.8e6, 3.50e6)]
    [InlineData("resnet50", 1000, 4.09e9, 25.56e6)]
    public void Totals_match_published_figures_within_one_percent(string model, int classes, double macs, double parameters)
    {
        var input = classes == 1000 ? ImageNet : Cifar;
        var cost = CostModel.Of(ModelZoo.Build(model, new ModelOptions(input, classes)));
        output.WriteLine($"{model}: {cost.Macs:N0} MACs ({cost.Macs / macs - 1:P2}), {cost.Params:N0} params ({cost.Params / parameters - 1:P2})");
        AssertWithin(macs, cost.Macs, $"{model} MACs");
        AssertWithin(parameters, cost.Params, $"{model} params");
    }

    [Fact]
    public void Plain20_has_the_convolutions_of_ResNet20_without_its_shortcuts()
    {
        // 40.55 M is ResNet-20's conv + fc count with parameter-free shortcuts, what Plain-20 is;
        // the projection shortcuts of our ResNet-20 add the other 0.26 M of its 40.8 M.
        var plain = CostModel.Of(ModelZoo.Build("plain20", new ModelOptions(Cifar)));
        output.WriteLine($"plain20: {plain.Macs:N0} MACs, {plain.Params:N0} params");
        AssertWithin(40.55e6, plain.Macs, "plain20 MACs");
        var resnet = CostModel.Of(ModelZoo.Build("resnet20", new ModelOptions(Cifar)));
        long shortcuts = 16L * 32 * 16 * 16 + 32L * 64 * 8 * 8;
        Assert.Equal(resnet.Macs - shortcuts, plain.Macs);
    }

    static void AssertWithin(double expected, long actual, string what)
    {
        double error = Math.Abs(actual - expected) / expected;
        Assert.True(error <= 0.01, $"{what}: {actual:N0} is {error:P2} off the published {expected:N0}");
    }
}
