using Amc.Graph;
using static TorchSharp.torch;
using Amc.Torch;

namespace Amc.Pruning;

/// <summary>
/// Re-estimates BatchNorm running statistics of a pruned network on training images. After
/// pruning, the old statistics describe channels that now receive different inputs; re-estimating
/// them is cheap and recovers much accuracy. As in PyTorch's update_bn, every BN normalises by its
/// batch statistics during the pass (training mode, no gradient). The running mean and unbiased
/// variance are then the pooled statistics of the BN's input over all calibration images: an
/// average of per-batch variances would miss the spread of the batch means, and a short last
/// batch would weigh as much as a full one.
/// </summary>
public static class BatchNormCalibration
{
    public static void Recalibrate(GraphModule model, IReadOnlyList<Tensor> batches)
    {
        var net = model.Network;
        var layers = net.Layers.Where(l => l.Kind == LayerKind.BatchNorm2d).ToList();
        if (layers.Count == 0 || batches.Count == 0) return;
        using var outer = NewDisposeScope(); // the accumulators and the arithmetic below
        var shapes = ShapeInference.Infer(net);
        var sums = layers.ToDictionary(l => l.Name, l => zeros(shapes[l.Name].C, dtype: ScalarType.Float64));
        var squares = layers.ToDictionary(l => l.Name, l => zeros(shapes[l.Name].C, dtype: ScalarType.Float64));
        model.eval();
        foreach (var bn in model.BatchNorms()) bn.train();
        using (no_grad())
        {
            foreach (var x in batches)
            {
                using var batch = NewDisposeScope();
                var values = model.ForwardAll(x);
                foreach (var l in layers)
                {
                    var input = values[l.Input].to_type(ScalarType.Float64);
                    sums[l.Name].add_(input.sum([0, 2, 3]));
                    squares[l.Name].add_(input.square().sum([0, 2, 3]));
                }
            }
            long images = batches.Sum(x => x.shape[0]);
            var tensors = model.Tensors();
            foreach (var l in layers)
            {
                long n = images * shapes[l.Input].H * shapes[l.Input].W;
                var mean = sums[l.Name] / n;
                var variance = ((squares[l.Name] - mean.square() * n) / Math.Max(1, n - 1)).clamp_min(0);
                tensors[$"{l.Name}.running_mean"].copy_(mean);
                tensors[$"{l.Name}.running_var"].copy_(variance);
            }
        }
        foreach (var bn in model.BatchNorms()) bn.eval();
    }
}
