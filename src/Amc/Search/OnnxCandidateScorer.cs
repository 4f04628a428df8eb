using System.Diagnostics;
using Amc.Graph;
using Amc.Onnx;
using Amc.Pruning;
using Amc.Quantization;
using Amc.Training;
using static TorchSharp.torch;

namespace Amc.Search;

/// <summary>
/// Scores candidates with ONNX Runtime: the pruned, least-squares-refit network is exported twice,
/// once with every BN normalising by its batch to re-estimate the BN statistics on the calibration
/// images (<see cref="OnnxBatchNormCalibration"/>, the statistics TorchSharp's pass would give),
/// then as the inference graph with those statistics, which scores the held-out images. No
/// TorchSharp module is built: at 224x224 TorchSharp's pass over the BN images was most of an
/// episode. One policy at a time, its sessions use as many threads as TorchSharp; several
/// policies are scored concurrently, one ORT thread each, at most one per core (more would only
/// add memory: every concurrent candidate holds its own network). With <paramref name="int8"/>, the
/// candidate is scored as the int8 network `amc quantize` makes of it, its activation ranges
/// calibrated on the BN images; with <paramref name="mixedPrecision"/> too, only the layers of the
/// policy's int8 groups run in int8 (<see cref="LayerPrecision"/>; first and last stay float, as
/// the int8 latency table times them), and a policy without int8 groups is scored in float.
/// </summary>
public sealed class OnnxCandidateScorer(CandidateBuilder builder, TensorBatches heldOut, bool int8 = false, bool mixedPrecision = false) : ICandidateScorer
{
    readonly OnnxEvaluator evaluator = new(heldOut);
    readonly OnnxBatchNormCalibration? batchNorm = builder.Options.RecalibrateBatchNorm ? new(builder.Pruner.BatchNormBatches) : null;
    readonly Func<IEnumerable<(float[] Images, int Count)>>? ranges = int8 ? Int8Export.Batches(builder.Pruner.BatchNormBatches) : null;

    public CandidateScore Score(Policy policy)
    {
        using var scope = NewDisposeScope();
        return Finish(Prune(policy), get_num_threads());
    }

    /// <summary>A candidate after the TorchSharp part of its scoring, with that part's times (s).</summary>
    sealed record Pruned(Policy Policy, PrunedNetwork Network, double PruneSeconds, double LeastSquaresSeconds);

    /// <summary>The TorchSharp part of a candidate: channel selection and least squares.</summary>
    Pruned Prune(Policy policy)
    {
        var pruned = builder.Pruner.Prune(policy, builder.Options, out double prune, out double leastSquares);
        return new Pruned(policy, pruned, prune, leastSquares);
    }

    /// <summary>The ONNX Runtime part: BN statistics, export and scoring; no TorchSharp operation.</summary>
    CandidateScore Finish(Pruned candidate, int threads)
    {
        var (policy, pruned, prune, leastSquares) = candidate;
        var weights = pruned.Weights;
        double batchNormExport = 0, batchNormRun = 0;
        if (batchNorm is not null) weights = batchNorm.Recalibrate(pruned.Network, weights, threads, out batchNormExport, out batchNormRun);
        var clock = Stopwatch.StartNew();
        double export;
        Evaluation evaluation;
        var mixed = mixedPrecision ? QuantizationSettings.ForMixedPolicy(pruned.Network, builder.Pruner.Graph, policy) : null;
        if (ranges is null || (mixedPrecision && mixed is null)) evaluation = evaluator.Evaluate(pruned.Network, weights, threads, out export);
        else
        {
            var model = Int8Export.Export(pruned.Network, weights, ranges, mixed, threads);
            export = clock.Elapsed.TotalSeconds;
            evaluation = evaluator.Evaluate(model, threads);
        }
        double eval = clock.Elapsed.TotalSeconds - export;
        return CandidateBuilder.Scored(policy, pruned, evaluation, new StageTimes(prune, leastSquares, batchNormRun, eval, batchNormExport + export));
    }

    public IReadOnlyList<CandidateScore> ScoreAll(IReadOnlyList<Policy> policies)
    {
        if (policies.Count <= 1) return policies.Select(Score).ToList();
        using var scope = NewDisposeScope();
        // TorchSharp's part one candidate after another, on this thread: another thread allocating
        // while TorchSharp runs can free a native Scalar under it (see Amc.Data.BatchLoader).
        var pruned = policies.Select(Prune).ToList();
        var scores = new CandidateScore[policies.Count];
        Parallel.For(0, policies.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(policies.Count, Environment.ProcessorCount) }, i =>
        {
            using var local = NewDisposeScope();
            scores[i] = Finish(pruned[i], 1);
        });
        return scores;
    }
}
