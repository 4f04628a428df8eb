using Amc.Graph;
using Amc.Pruning;

namespace Amc.Search;

/// <summary>
/// AMC's action wall, made exact: when group t is decided, the largest width it may take is the
/// largest ALLOWED (rounded) width for which the network still meets the budget if every later
/// group ends at its minimum width. Because the wall reasons about rounded widths and the exact
/// cost, the finished network never exceeds the budget (the official code rounds after the wall
/// and lands at 51.7 % for a 50 % target). Feasibility is checked before the first episode.
/// </summary>
public sealed class BudgetWall
{
    readonly Func<Policy, long> measure;
    readonly long budget;

    public long Budget => budget;
    public long Original { get; }

    public BudgetWall(GroupWidthCost cost, Resource resource, double target, Policy minimum)
        : this(resource switch
        {
            Resource.Macs => p => cost.Of(p).Macs,
            Resource.Params => p => cost.Of(p).Params,
            _ => throw new ArgumentException($"a {resource} wall needs its cost function; use the other constructor"),
        }, resource, target, minimum, cost.Full())
    {
    }

    /// <param name="measure">The constrained resource of the network under a policy (for
    /// latency: the table's prediction in nanoseconds). Must be deterministic, or the wall's
    /// guarantee means nothing.</param>
    /// <param name="hint">What the user can change to reach a lower target, shown after the smallest
    /// feasible one when the budget is infeasible; null for the channel search's options.</param>
    public BudgetWall(Func<Policy, long> measure, Resource resource, double target, Policy minimum, Policy full, string? hint = null)
    {
        this.measure = measure;
        Original = Measure(full);
        budget = (long)Math.Floor(target * Original);
        long smallest = Measure(minimum);
        if (smallest > budget)
            throw new InfeasibleBudgetException(
                $"a {resource} budget of {target:0.###} is below what the smallest allowed widths reach; " +
                $"the smallest feasible target is {Math.Ceiling(1000.0 * smallest / Original) / 1000:0.###} " +
                "(" + (hint ?? (smallest >= Original
                    ? "the smallest widths are no faster than the full network: channel pruning cannot cut this network's latency"
                    : "lower --lbound or --round to go further")) + ")");
    }

    public long Measure(Policy policy) => measure(policy);

    /// <summary>Whether the network meets the budget with group <paramref name="group"/> of <paramref name="policy"/> at <paramref name="width"/>.</summary>
    public bool Fits(Policy policy, int group, int width) => Measure(policy.WithWidth(group, width)) <= budget;

    /// <summary>The largest of <paramref name="candidates"/> (ascending) for group <paramref name="group"/> that keeps the budget, the smallest if none does.</summary>
    public int Cap(Policy policy, int group, IReadOnlyList<int> candidates)
    {
        for (int i = candidates.Count - 1; i > 0; i--)
            if (Fits(policy, group, candidates[i])) return candidates[i];
        return candidates[0];
    }
}
