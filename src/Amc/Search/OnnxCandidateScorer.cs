using Amc.Graph;
using Amc.Onnx;
using Amc.Training;
using static TorchSharp.torch;

namespace Amc.Search;

/// <summary>
/// Evaluates candidates with ONNX Runtime (faster than TorchSharp for small CNNs here, export and
/// session creation included). One policy at a time, its session uses as many threads as
/// TorchSharp; several policies are scored concurrently, one ORT thread each, at most one per
/// core (more would only add memory: every concurrent candidate holds its own network).
/// </summary>
public sealed class OnnxCandidateScorer(CandidateBuilder builder, TensorBatches heldOut) : ICandidateScorer
{
    readonly OnnxEvaluator evaluator = new(heldOut);

    public CandidateScore Score(Policy policy) => Score(policy, get_num_threads());

    CandidateScore Score(Policy policy, int threads) =>
        builder.Score(policy, (pruned, module) => evaluator.Evaluate(pruned.Network, module.Tensors(), threads));

    public IReadOnlyList<CandidateScore> ScoreAll(IReadOnlyList<Policy> policies)
    {
        if (policies.Count <= 1) return policies.Select(p => Score(p)).ToList();
        var scores = new CandidateScore[policies.Count];
        Parallel.For(0, policies.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(policies.Count, Environment.ProcessorCount) }, i => scores[i] = Score(policies[i], 1));
        return scores;
    }
}
