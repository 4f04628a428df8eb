using Amc.Training;

namespace Amc.Sessions;

/// <summary>
/// A finished training run: the checkpoint written, its test accuracy (null without labelled test
/// images) and the epochs this run trained. After distillation, <see cref="Agreement"/> compares the
/// network with its teacher on <see cref="AgreementSplit"/> ("test", or "heldout" when there are
/// no test images).
/// </summary>
public sealed record TrainResult(string Checkpoint, Evaluation? Test, IReadOnlyList<EpochResult> Epochs, Evaluation? Agreement = null, string? AgreementSplit = null);
