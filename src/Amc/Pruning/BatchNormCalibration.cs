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
/// <remarks>
/// No activation is kept: the network runs with <see cref="GraphModule.ForwardReleasing"/>, and
/// each BN's batch statistics are read from the BN itself right after it ran. In training mode a BN
/// computes its input's per-channel mean and unbiased variance anyway (ATen accumulates them in
/// double, two passes), and with momentum 1 its running buffers become exactly those; they are
/// pooled across batches in <see cref="ChannelMoments"/>. Running sums of x and x² in float32
/// instead would lose the variance to cancellation when a channel's mean is large next to its spread.
/// </remarks>
internal static class BatchNormCalibration
{
    public static void Recalibrate(GraphModule model, IReadOnlyList<Tensor> batches)
    {
        var net = model.Network;
        var shapes = ShapeInference.Infer(net);
        var moments = net.Layers.Where(l => l.Kind == LayerKind.BatchNorm2d).ToDictionary(l => l.Name, l => new ChannelMoments(shapes[l.Name].C));
        if (moments.Count == 0 || batches.Count == 0) return;
        var tensors = model.Tensors();
        var bns = model.BatchNorms().ToList();
        var momentum = bns.Select(bn => bn.momentum).ToList();
        model.eval();
        try
        {
            foreach (var bn in bns)
            {
                bn.train();
                bn.momentum = 1;
            }
            using var _ = no_grad();
            foreach (var x in batches)
            {
                using var batch = NewDisposeScope();
                model.ForwardReleasing(x, l =>
                {
                    if (!moments.TryGetValue(l.Name, out var m)) return;
                    var input = shapes[l.Input];
                    m.Add(x.shape[0] * input.H * input.W, Values(tensors[$"{l.Name}.running_mean"]), Values(tensors[$"{l.Name}.running_var"]));
                });
            }
            foreach (var (name, m) in moments)
            {
                using var mean = tensor(m.Mean());
                using var variance = tensor(m.UnbiasedVariance());
                tensors[$"{name}.running_mean"].copy_(mean);
                tensors[$"{name}.running_var"].copy_(variance);
            }
        }
        finally
        {
            for (int i = 0; i < bns.Count; i++)
            {
                bns[i].momentum = momentum[i];
                bns[i].eval();
            }
        }
    }

    static double[] Values(Tensor t)
    {
        using var d = t.to_type(ScalarType.Float64);
        return d.data<double>().ToArray();
    }
}
