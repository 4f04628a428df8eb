using Amc.Pruning;
using Amc.Sessions;
using Amc.Tests.Cli;
using Amc.Tests.Data;
using Amc.Torch;
using Amc.Training;

namespace Amc.Tests.Sessions;

/// <summary>
/// Train and finetune end each epoch with BN statistics re-estimated on training images in the
/// evaluation transform (<see cref="TrainSettings.BatchNormImages"/>), not the running averages of
/// the augmented batches: the saved statistics are exactly what re-estimating the saved weights
/// on that sample gives.
/// </summary>
public class BatchNormAfterTrainingTests
{
    const int Images = 32, Seed = 4;

    static (Checkpoint Trained, float[] Recalibrated) Train(TempFolder temp, string data, int bnImages)
    {
        var settings = new TrainSettings
        {
            Out = temp.File($"bn{bnImages}.amc"), Model = "resnet20", Width = 0.25, Data = new DataSettings(data),
            Training = new TrainOptions { Epochs = 1, Seed = Seed }, BatchSize = 16, BatchNormImages = bnImages,
            Engine = ScoringEngine.Torch,
        };
        TrainSession.Run(settings);
        var trained = Checkpoint.Load(settings.Out);
        using var module = trained.ToModule();
        using var sample = OpenedData.Open(settings.Data).CalibrationSample(Images, Seed);
        BatchNormCalibration.Recalibrate(module, sample.Images);
        return (trained, RunningStatistics(module.Tensors()));
    }

    static float[] RunningStatistics(IReadOnlyDictionary<string, TorchSharp.torch.Tensor> tensors) =>
        tensors.Where(t => t.Key.EndsWith(".running_mean") || t.Key.EndsWith(".running_var")).OrderBy(t => t.Key)
            .SelectMany(t => t.Value.cpu().data<float>().ToArray()).ToArray();

    [Fact]
    public void The_saved_statistics_are_those_of_the_evaluation_transform()
    {
        using var temp = new TempFolder();
        string data = TinyIdxData.Write(temp.File("data"));

        var (trained, recalibrated) = Train(temp, data, Images);
        using (var module = trained.ToModule())
            Assert.Equal(recalibrated, RunningStatistics(module.Tensors()));

        // Without it the running averages of the augmented batches stay: the check above can fail.
        var (kept, wouldBe) = Train(temp, data, 0);
        using (var module = kept.ToModule())
            Assert.NotEqual(wouldBe, RunningStatistics(module.Tensors()));
    }
}
