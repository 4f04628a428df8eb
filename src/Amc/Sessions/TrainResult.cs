using Amc.Training;

namespace Amc.Sessions;

/// <summary>A finished training run: the checkpoint written, its test accuracy and the epochs this run trained.</summary>
public sealed record TrainResult(string Checkpoint, Evaluation Test, IReadOnlyList<EpochResult> Epochs);
