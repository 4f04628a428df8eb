using System.Diagnostics;
using Amc.Graph;
using Amc.Onnx;
using Amc.Pruning;
using Amc.Torch;
using Amc.Training;
using static TorchSharp.torch;

namespace Amc.Search;

/// <summary>
/// Scores a sparsity policy (<see cref="SparsityEnvironment"/>: kept weights per layer) as AMC
/// scores fine-grained pruning: each layer's smallest-magnitude weights zeroed, exactly as
/// <see cref="SparsityMasks.Prune"/> zeroes them (same order, ties by position), no reconstruction,
/// no fine-tuning, BN statistics re-estimated on the BN images when given (as the channel search
/// does after pruning: with most weights gone the old statistics no longer fit the activations),
/// evaluated on the held-out images by ONNX Runtime (or TorchSharp, which also re-estimates BN).
/// Each layer's magnitude order is computed once; a candidate only fills zeros into copies of the weights.
/// </summary>
public sealed class SparsityCandidateScorer : ICandidateScorer, IDisposable
{
    readonly Network net;
    readonly IReadOnlyDictionary<string, Tensor> weights;
    readonly SparsityLayers layers;
    readonly TensorBatches heldOut;
    readonly OnnxEvaluator? onnx;
    readonly IReadOnlyList<Tensor>? batchNormImages;
    readonly OnnxBatchNormCalibration? onnxBatchNorm;
    readonly Tensor[] order;
    readonly long macs;

    /// <param name="batchNormImages">Batches to re-estimate BN statistics on; null: keep the original statistics.</param>
    /// <param name="onnxRuntime">Re-estimate and evaluate with ONNX Runtime (true) or TorchSharp.</param>
    public SparsityCandidateScorer(Network net, IReadOnlyDictionary<string, Tensor> weights, TensorBatches heldOut,
        IReadOnlyList<Tensor>? batchNormImages = null, bool onnxRuntime = true)
    {
        this.batchNormImages = batchNormImages;
        onnxBatchNorm = onnxRuntime && batchNormImages is not null ? new OnnxBatchNormCalibration(batchNormImages) : null;
        this.net = net;
        this.weights = weights;
        this.heldOut = heldOut;
        layers = SparsityLayers.Of(net);
        onnx = onnxRuntime ? new OnnxEvaluator(heldOut) : null;
        macs = CostModel.Of(net).Macs;
        order = layers.Layers.Select(l =>
        {
            using var scope = NewDisposeScope();
            return weights[$"{l.Name}.weight"].detach().abs().flatten().sort(stable: true).Indices.DetachFromDisposeScope();
        }).ToArray();
    }

    /// <summary>The network's weights with each layer keeping <paramref name="policy"/>'s count of its largest-magnitude weights (new tensors for the thinned layers, the others shared).</summary>
    public Dictionary<string, Tensor> Sparse(Policy policy)
    {
        var result = new Dictionary<string, Tensor>(weights);
        for (int i = 0; i < layers.Layers.Count; i++)
        {
            var l = layers.Layers[i];
            int zeroed = l.Size - policy.Width(i);
            if (zeroed == 0) continue;
            var w = weights[$"{l.Name}.weight"];
            result[$"{l.Name}.weight"] = w.detach().flatten().clone().ZeroAt(0, order[i].slice(0, 0, zeroed, 1)).reshape(w.shape);
        }
        return result;
    }

    /// <summary>The network as scored: <see cref="Sparse"/>, then BN re-estimated (when BN images were given), in a module.</summary>
    public GraphModule Module(Policy policy)
    {
        using var scope = NewDisposeScope();
        var module = new Checkpoint(net, Sparse(policy), new CheckpointInfo()).ToModule();
        if (batchNormImages is not null) BatchNormCalibration.Recalibrate(module, batchNormImages);
        return module;
    }

    public CandidateScore Score(Policy policy)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        Evaluation evaluation;
        double prune, batchNorm = 0, export = 0, eval;
        if (onnx is not null)
        {
            var sparse = Sparse(policy);
            prune = clock.Elapsed.TotalSeconds;
            double batchNormExport = 0;
            if (onnxBatchNorm is not null) sparse = onnxBatchNorm.Recalibrate(net, sparse, get_num_threads(), out batchNormExport, out batchNorm);
            clock.Restart();
            evaluation = onnx.Evaluate(net, sparse, get_num_threads(), out double evalExport);
            eval = clock.Elapsed.TotalSeconds - evalExport;
            export = batchNormExport + evalExport;
        }
        else
        {
            using var module = Module(policy);
            prune = clock.Elapsed.TotalSeconds;
            clock.Restart();
            evaluation = Evaluator.Evaluate(module, heldOut);
            eval = clock.Elapsed.TotalSeconds;
        }
        return new CandidateScore(policy, macs, layers.NonZero(policy), evaluation, new StageTimes(prune, 0, batchNorm, eval, export));
    }

    public void Dispose()
    {
        foreach (var o in order) o.Dispose();
    }
}
