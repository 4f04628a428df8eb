using Amc.Pruning;
using Amc.Torch;
using Amc.Training;

namespace Amc.Sessions;

/// <summary>The training images a pruner learns from.</summary>
/// <param name="Images">Sampled for the least-squares reconstruction (and BN re-estimation).</param>
/// <param name="BatchNormImages">Of those, used to re-estimate BN statistics after pruning.</param>
public sealed record CalibrationSettings(int Images = 3000, int BatchNormImages = 500)
{
    /// <summary>The batch calibration images are held in.</summary>
    public const int BatchSize = 100;

    public ChannelPruner Pruner(Checkpoint ck, TensorBatches calibration) =>
        new(ck.Network, ck.Weights, calibration.Images, BatchNormImages);
}
