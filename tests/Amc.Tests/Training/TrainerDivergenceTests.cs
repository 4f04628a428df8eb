using Amc.Graph;
using Amc.Models;
using Amc.Training;
using Amc.Torch;
using static TorchSharp.torch;

namespace Amc.Tests.Training;

/// <summary>
/// A run whose loss turns NaN or infinite stops with a TrainingDivergedException (one line, exit code 2)
/// instead of training on and saving NaN weights: `finetune --distill` of a BN-free imported
/// ResNet-18 at --lr 0.01 did that and reported agreement 0 % and relative error 0.
/// </summary>
public sealed class TrainerDivergenceTests
{
    static GraphModule Net()
    {
        manual_seed(1);
        return new GraphModule(TinyNetwork());
    }

    /// <summary>A conv, global pooling and a classifier on 1x4x4 images: a training step in microseconds.</summary>
    internal static Network TinyNetwork() => new()
    {
        Name = "n", Input = new TensorShape(1, 4, 4),
        Layers =
        [
            new Layer { Name = "conv", Kind = LayerKind.Conv2d, Inputs = [Network.InputName], Out = 4, Kernel = 3, Padding = 1, Bias = true },
            new Layer { Name = "pool", Kind = LayerKind.GlobalAvgPool, Inputs = ["conv"] },
            new Layer { Name = "flat", Kind = LayerKind.Flatten, Inputs = ["pool"] },
            new Layer { Name = "fc", Kind = LayerKind.Linear, Inputs = ["flat"], Out = 2 },
        ],
    };

    static Trainer TrainerOf(GraphModule net, double lr)
    {
        var shape = net.Network.Input;
        int size = shape.C * shape.H * shape.W;
        var data = new Amc.Data.Dataset("d", Enumerable.Range(0, 8 * size).Select(i => (byte)(i * 37)).ToArray(), [0, 1, 0, 1, 0, 1, 0, 1], shape, 2, [0.5f], [0.3f]);
        return new Trainer(net, data, data.AllIndices(), new TrainOptions { Epochs = 3, BatchSize = 4, Augment = false, LearningRate = lr });
    }

    [Fact]
    public void A_loss_that_turns_non_finite_stops_the_run_before_an_epoch_is_saved()
    {
        using var net = Net();
        int epochsDone = 0;
        var e = Assert.Throws<TrainingDivergedException>(() => TrainerOf(net, 1e30).Run(0, null, _ => epochsDone++));
        Assert.StartsWith("training diverged: the loss is", e.Message);
        Assert.EndsWith("use a smaller --lr", e.Message);
        Assert.Equal(0, epochsDone);
    }

    [Fact]
    public void A_healthy_run_is_not_stopped()
    {
        using var net = Net();
        int epochsDone = 0;
        TrainerOf(net, 0.01).Run(0, null, _ => epochsDone++);
        Assert.Equal(3, epochsDone);
    }
}
