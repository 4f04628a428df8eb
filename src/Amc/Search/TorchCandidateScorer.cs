using Amc.Graph;
using Amc.Training;

namespace Amc.Search;

/// <summary>
/// Evaluates candidates with TorchSharp. Scores several policies one after another: each forward
/// pass already runs on libtorch's process-wide intra-op threads, which concurrent passes would share.
/// </summary>
public sealed class TorchCandidateScorer(CandidateBuilder builder, TensorBatches heldOut) : ICandidateScorer
{
    public CandidateScore Score(Policy policy) => builder.Score(policy, (_, module) => Evaluator.Evaluate(module, heldOut));
}
