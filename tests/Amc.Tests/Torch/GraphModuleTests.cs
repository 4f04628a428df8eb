using Amc.Graph;
using Amc.Models;
using static TorchSharp.torch;

namespace Amc.Tests.Torch;

public class GraphModuleTests
{
    [Fact]
    public void ResNet20_equals_a_hand_written_network()
    {
        var net = ModelZoo.Build("resnet20", new ModelOptions(new TensorShape(3, 32, 32), 10));
        Compare(net, ReferenceNetworks.ResNet20(10));
    }

    [Fact]
    public void MobileNetV2_equals_a_hand_written_network()
    {
        var net = ModelZoo.Build("mobilenetv2", new ModelOptions(new TensorShape(3, 32, 32), 10, WidthMultiplier: 0.5));
        Compare(net, ReferenceNetworks.MobileNetV2(0.5, 10));
    }

    /// <summary>
    /// Every zoo model, pruned or not: residual adds read a value far from where it was made,
    /// concatenations several at once; releasing one too early would fail or change the output.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestNetworks.ModelsAndPruning), MemberType = typeof(TestNetworks))]
    public void Releasing_forward_gives_the_same_output_and_shows_every_layer_in_order(string model, bool narrowed)
    {
        var net = TestNetworks.Build(model, narrowed);
        using var module = TestNetworks.Randomized(net, seed: 23);
        using var x = TestNetworks.Input(net.Input, batch: 2, seed: 24);
        var expected = TestNetworks.Forward(module, x);
        var seen = new List<string>();
        float[] actual;
        using (no_grad())
        using (var y = module.ForwardReleasing(x, l => seen.Add(l.Name)))
            actual = y.data<float>().ToArray();
        Assert.Equal(expected, actual);
        Assert.Equal(net.Layers.Select(l => l.Name), seen);
        Assert.Equal(x.numel(), x.data<float>().ToArray().Length); // the caller's input is not released
    }

    /// <summary>
    /// Copies the module's weights into the reference by state-dict key; every reference tensor
    /// must find its counterpart (so the description's keys are PyTorch's), then both forward
    /// passes must agree.
    /// </summary>
    static void Compare(Network net, nn.Module<Tensor, Tensor> reference)
    {
        using var module = TestNetworks.Randomized(net, seed: 21);
        var tensors = module.Tensors();
        using (no_grad())
        {
            var state = reference.state_dict().Where(kv => !kv.Key.EndsWith("num_batches_tracked")).ToList();
            Assert.Equal(tensors.Keys.Order(), state.Select(kv => kv.Key).Order());
            foreach (var (key, t) in state) t.copy_(tensors[key]);
        }
        reference.eval();
        using var x = TestNetworks.Input(net.Input, batch: 3, seed: 22);
        var expected = TestNetworks.Forward(module, x);
        float[] actual;
        using (no_grad())
        using (var y = reference.call(x))
            actual = y.data<float>().ToArray();
        float diff = TestNetworks.MaxAbsDiff(expected, actual);
        Assert.True(diff < 1e-5, $"max abs diff {diff}");
        reference.Dispose();
    }
}
