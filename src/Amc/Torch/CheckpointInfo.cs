using Amc.Data;
using Amc.Graph;

namespace Amc.Torch;

/// <summary>What a checkpoint remembers besides weights: where it came from and how to feed it.</summary>
public sealed record CheckpointInfo
{
    public string? Model { get; init; }
    public string? Dataset { get; init; }
    /// <summary>Per-channel normalisation the network was trained with (0..1 pixel scale).</summary>
    public float[]? Mean { get; init; }
    public float[]? Std { get; init; }
    /// <summary>
    /// How image files were brought to the input size (image folders); null for data that came at
    /// the input size (IDX, CIFAR) and for checkpoints written before it was recorded.
    /// </summary>
    public ImageTransform? Transform { get; init; }
    /// <summary>
    /// The images of its training data the network never trained on (searches score and confirm
    /// there); null for imported networks, checkpoints written before it was recorded, and
    /// fine-tunes of those or on other data.
    /// </summary>
    public HeldOutImages? HeldOut { get; init; }
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

    /// <summary>
    /// The whole preprocessing for a network with this input, or null without Mean/Std (an import
    /// that was given none). Older checkpoints, without a transform, get <see cref="ImageTransform.None"/>.
    /// </summary>
    public Preprocessing? PreprocessingFor(TensorShape input)
        => Mean is { } mean && Std is { } std ? new Preprocessing(mean, std, input, Transform ?? ImageTransform.None) : null;
}
