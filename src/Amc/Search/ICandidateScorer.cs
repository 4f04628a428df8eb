using Amc.Graph;

namespace Amc.Search;

/// <summary>
/// Scores policies the way AMC does (prune, reconstruct, re-estimate BN, evaluate on the held-out
/// split, no fine-tuning). Baselines and the agent are scored by the same scorer, so their numbers
/// are comparable. Implementations differ in what evaluates the pruned network.
/// </summary>
public interface ICandidateScorer
{
    CandidateScore Score(Policy policy);

    /// <summary>Scores of several policies, in their order: concurrently where the scorer can
    /// (the results are those <see cref="Score"/> gives one by one).</summary>
    IReadOnlyList<CandidateScore> ScoreAll(IReadOnlyList<Policy> policies) => policies.Select(Score).ToList();
}
