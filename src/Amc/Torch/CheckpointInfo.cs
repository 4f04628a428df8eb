namespace Amc.Torch;

/// <summary>What a checkpoint remembers besides weights: where it came from and how to feed it.</summary>
public sealed record CheckpointInfo
{
    public string? Model { get; init; }
    public string? Dataset { get; init; }
    /// <summary>Per-channel normalisation the network was trained with (0..1 pixel scale).</summary>
    public float[]? Mean { get; init; }
    public float[]? Std { get; init; }
    public int? EpochsDone { get; init; }
    public int? Epochs { get; init; }
    public int? Seed { get; init; }
    public string? Command { get; init; }
    public string? Parent { get; init; }
    public Dictionary<string, double>? Metrics { get; init; }
    /// <summary>
    /// Fraction of zeroed weights per layer of a fine-grained sparse network. Informative: the
    /// zeros in the weights are the mask itself (SparsityMasks.FromZeros reads it back).
    /// </summary>
    public Dictionary<string, double>? Sparsity { get; init; }
}
