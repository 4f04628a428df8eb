using Amc.Graph;

namespace Amc.Search;

/// <summary>
/// What the search runner and its agents step through: one decision per step, each turned into an
/// integer (a channel group's width, or a layer's count of kept weights) under the budget wall.
/// Two environments: <see cref="PruningEnvironment"/> (channels, AMC's main search) and
/// <see cref="SparsityEnvironment"/> (fine-grained sparsity per layer).
/// </summary>
public interface ISearchEnvironment
{
    int StepCount { get; }

    /// <summary>Features of a state: what the agent's networks take in.</summary>
    int StateSize { get; }

    /// <summary>What step <paramref name="step"/> decides, for messages (a group's or a layer's name).</summary>
    string StepName(int step);

    /// <summary>The largest integer step <paramref name="step"/> can end at (full width, all weights kept).</summary>
    int StepSize(int step);

    float[] Reset();

    StepResult Step(double action);

    /// <summary>The policy decided so far (undecided steps at full size).</summary>
    Policy Policy { get; }

    /// <summary>Every step at full size: the uncompressed network.</summary>
    Policy Full { get; }

    /// <summary>The policy of one integer per step, as episodes list them.</summary>
    Policy FromSteps(IReadOnlyList<int> steps);

    /// <summary>MACs and (non-zero) params of the network under a policy.</summary>
    (long Macs, long Params) Cost(Policy p);

    /// <summary>The budget wall; null without a budget (accuracy mode).</summary>
    BudgetWall? Wall { get; }
}
