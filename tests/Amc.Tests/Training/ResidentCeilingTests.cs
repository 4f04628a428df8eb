using Amc.Host;
using Amc.Training;
using Amc.Torch;

namespace Amc.Tests.Training;

/// <summary>
/// Training returns the allocator's free memory before a step when the process holds too much for the
/// step's activations to fit the budget (<see cref="Trainer.ResidentCeiling"/>): without it, `amc train`
/// of MobileNetV2 at 224x224 crept past its estimate step by step. Returning memory must not change what is trained.
/// </summary>
public sealed class ResidentCeilingTests
{
    [Fact]
    public void Memory_is_returned_only_above_the_ceiling()
    {
        Assert.False(MallocTuning.ReleaseAbove(long.MaxValue));
        // On glibc the call binds and runs; elsewhere there is nothing to return.
        Assert.Equal(OperatingSystem.IsLinux(), MallocTuning.ReleaseAbove(0));
    }

    // One set of starting weights for both runs (the global generator is shared with tests running beside this one).
    static readonly Checkpoint Start = Initial();

    static Checkpoint Initial()
    {
        using var net = TestNetworks.Randomized(TrainerDivergenceTests.TinyNetwork(), 5);
        return Checkpoint.From(net, new CheckpointInfo());
    }

    static float[] Trained(long? ceiling)
    {
        using var net = Start.ToModule();
        var data = new Amc.Data.Dataset("d", Enumerable.Range(0, 8 * 16).Select(i => (byte)(i * 37)).ToArray(), [0, 1, 0, 1, 0, 1, 0, 1], net.Network.Input, 2, [0.5f], [0.3f]);
        new Trainer(net, data, data.AllIndices(), new TrainOptions { Epochs = 2, BatchSize = 4, LearningRate = 0.05, Seed = 3 }) { ResidentCeiling = ceiling }
            .Run(0, null, _ => { });
        return net.Tensors().Values.SelectMany(t => t.cpu().data<float>().ToArray()).ToArray();
    }

    [Fact]
    public void Returning_memory_before_every_step_trains_the_same_weights()
    {
        Assert.Equal(Trained(null), Trained(0));
    }
}
