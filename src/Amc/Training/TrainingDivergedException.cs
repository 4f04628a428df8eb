namespace Amc.Training;

/// <summary>
/// The training loss became NaN or infinite: the learning rate is too large for this network (a
/// BN-free imported one, for instance). The CLI reports it on one line with exit code 2.
/// </summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
