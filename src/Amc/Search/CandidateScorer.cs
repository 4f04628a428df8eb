using System.Diagnostics;
using Amc.Pruning;
using Amc.Training;
using static TorchSharp.torch;
using Amc.Torch;

namespace Amc.Search;

/// <summary>
/// Scores a policy the way AMC does: prune, reconstruct, re-estimate BN, evaluate on the held-out
/// split of the training set (never the test set), without fine-tuning. Baselines and the agent
/// are scored by this same object, so their numbers are comparable.
/// </summary>
public sealed class CandidateScorer(ChannelPruner pruner, TensorBatches heldOut, PruneOptions options, bool onnxRuntime = false)
{
    readonly Amc.Onnx.OnnxEvaluator? ort = onnxRuntime ? new Amc.Onnx.OnnxEvaluator(heldOut) : null;

    public PruneOptions Options => options;
    public ChannelPruner Pruner => pruner;

    /// <summary>The pruned, reconstructed, BN-recalibrated network of a policy (e.g. to test it or save it).</summary>
    public (PrunedNetwork Pruned, GraphModule Module) Build(int[] widths)
    {
        var pruned = pruner.Prune(Channels(widths), options);
        return (pruned, pruner.ToModule(pruned, options));
    }

    Dictionary<int, int> Channels(int[] widths) => pruner.Graph.Prunable.ToDictionary(g => g.Id, g => widths[g.Id]);

    public CandidateScore Score(int[] widths)
    {
        var channels = Channels(widths);
        using var scope = NewDisposeScope();
        var pruned = pruner.Prune(channels, options, out double prune, out double leastSquares);
        var clock = Stopwatch.StartNew();
        using var module = pruner.ToModule(pruned, options);
        double bn = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var evaluation = ort is null
            ? Evaluator.Evaluate(module, heldOut)
            : ort.Evaluate(pruned.Network, module.Tensors(), get_num_threads());
        double eval = clock.Elapsed.TotalSeconds;
        var cost = Amc.Graph.CostModel.Of(pruned.Network);
        return new CandidateScore(widths, cost.Macs, cost.Params, evaluation, new StageTimes(prune, leastSquares, bn, eval));
    }
}
