using Amc.Pruning;
using Amc.Torch;

namespace Amc.Sessions;

/// <summary>A network's cost and accuracy before or after pruning (params: non-zeros after fine-grained
/// pruning); the accuracies are null when it pruned without data.</summary>
/// <param name="SparseOnnxBytes">Fine-grained pruning only: the size of the ONNX file `amc export --onnx --sparse` writes.</param>
public sealed record PruneRow(string Network, long Macs, long Params, double? HeldOutTop1, double? TestTop1, double? TestTop5,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] long? SparseOnnxBytes = null);

/// <summary>The pruned network, ready to save or fine-tune, the channels it kept (null for fine-grained pruning), and the original and pruned rows.</summary>
/// <param name="HeldOutWarning">Set when some held-out images trained the checkpoint (<see cref="OpenedData.ScoringOnTrainedImagesWarning"/>).</param>
public sealed record PruneResult(Checkpoint Pruned, PruningPolicy? Policy, IReadOnlyList<PruneRow> Rows, string? HeldOutWarning = null)
{
    public PruneRow Original => Rows[0];
    public PruneRow After => Rows[1];
}
