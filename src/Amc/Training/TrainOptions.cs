namespace Amc.Training;

/// <summary>
/// SGD with momentum, cosine learning rate over all epochs (per iteration), weight decay. Defaults
/// are the usual CIFAR ResNet recipe; fine-tuning uses the same trainer with a smaller rate.
/// </summary>
public sealed record TrainOptions
{
    public int Epochs { get; init; } = 30;
    public int BatchSize { get; init; } = 128;
    public double LearningRate { get; init; } = 0.1;
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; } = 5e-4;
    public bool Augment { get; init; } = true;
    public int Seed { get; init; }
}

/// <summary>Progress inside an epoch, reported every few batches.</summary>
public sealed record TrainProgress(int Epoch, int Epochs, int Batch, int Batches, double Loss, double Accuracy, double ImagesPerSecond, double LearningRate);

/// <summary>The summary of one finished epoch.</summary>
public sealed record EpochResult(int Epoch, double Loss, double TrainAccuracy, double? HeldOutAccuracy, double Seconds, double ImagesPerSecond);
