namespace Amc.Torch;

/// <summary>A checkpoint cannot be read or does not fit its architecture; the message says which and why.</summary>
public sealed class CheckpointException(string message) : Exception(message);
