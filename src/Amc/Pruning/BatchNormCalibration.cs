using Amc.Runtime;
using static TorchSharp.torch;

namespace Amc.Pruning;

/// <summary>
/// Re-estimates BatchNorm running statistics of a pruned network on training images (no
/// gradient, only the BNs in training mode). After pruning, the old statistics describe channels
/// that now receive different inputs; re-estimating them is cheap and recovers much accuracy.
/// Uses a cumulative average over the batches (momentum 1/(i+1)), i.e. exact dataset statistics.
/// </summary>
public static class BatchNormCalibration
{
    public static void Recalibrate(GraphModule model, IReadOnlyList<Tensor> batches)
    {
        var bns = model.BatchNorms().ToList();
        if (bns.Count == 0 || batches.Count == 0) return;
        model.eval();
        foreach (var bn in bns)
        {
            bn.reset_running_stats();
            bn.train();
        }
        using (no_grad())
        {
            for (int i = 0; i < batches.Count; i++)
            {
                foreach (var bn in bns) bn.momentum = 1.0 / (i + 1);
                using var scope = NewDisposeScope();
                model.call(batches[i]);
            }
        }
        foreach (var bn in bns)
        {
            bn.momentum = 0.1;
            bn.eval();
        }
    }
}
