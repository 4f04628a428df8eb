using Amc.Pruning;

namespace Amc.Sessions;

/// <summary>
/// What a <see cref="PruneSession"/> prunes and how. Give exactly one target: <see cref="Uniform"/>,
/// <see cref="Policy"/>, <see cref="PolicyFile"/> (channel pruning: a physically smaller network)
/// or <see cref="Sparsity"/> (fine-grained: zeros in the same shapes).
/// </summary>
public sealed record PruneSettings
{
    /// <summary>The trained checkpoint to prune.</summary>
    public required string Checkpoint { get; init; }
    /// <summary>Keep this fraction of every prunable group's channels.</summary>
    public double? Uniform { get; init; }
    /// <summary>A policy in hand, e.g. <see cref="SearchResult.Policy"/>.</summary>
    public PruningPolicy? Policy { get; init; }
    /// <summary>A policy JSON file, e.g. a search's best-policy.json.</summary>
    public string? PolicyFile { get; init; }
    /// <summary>Zero this fraction of every conv and linear layer's smallest weights instead.</summary>
    public double? Sparsity { get; init; }
    /// <summary>
    /// The images to calibrate and score on. Null: none, allowed for channel pruning without
    /// reconstruction: channels are chosen from the weights, BN statistics stay as they were and
    /// no accuracy is measured (a model imported from ONNX can be pruned without its data set).
    /// </summary>
    public DataSettings? Data { get; init; } = new();
    /// <summary>Channel selection, reconstruction, BN re-estimation and rounding; its Seed also seeds the calibration sample.</summary>
    public PruneOptions Pruning { get; init; } = new();
    public CalibrationSettings Calibration { get; init; } = new();
    /// <summary>The command that pruned, recorded in the pruned checkpoint.</summary>
    public string? CommandLine { get; init; }
}
