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
    readonly Func<IReadOnlyList<int>, long> measure;
    readonly long budget;

    public long Budget => budget;
    public long Original { get; }

    public BudgetWall(GroupWidthCost cost, Resource resource, double target, int[] minimumWidths)
        : this(resource switch
        {
            Resource.Macs => w => cost.Of(w).Macs,
            Resource.Params => w => cost.Of(w).Params,
            _ => throw new ArgumentException($"a {resource} wall needs its cost function; use the other constructor"),
        }, resource, target, minimumWidths, cost.FullWidths())
    {
    }

    /// <param name="measure">The constrained resource of the network at given group widths (for
    /// latency: the table's prediction in nanoseconds). Must be deterministic, or the wall's
    /// guarantee means nothing.</param>
    public BudgetWall(Func<IReadOnlyList<int>, long> measure, Resource resource, double target, int[] minimumWidths, int[] fullWidths)
    {
        this.measure = measure;
        Original = Measure(fullWidths);
        budget = (long)Math.Floor(target * Original);
        long smallest = Measure(minimumWidths);
        if (smallest > budget)
            throw new InfeasibleBudgetException(
                $"a {resource} budget of {target:0.###} is below what the smallest allowed widths reach; " +
                $"the smallest feasible target is {Math.Ceiling(1000.0 * smallest / Original) / 1000:0.###} " +
                "(lower --lbound or --round to go further)");
    }

    public long Measure(IReadOnlyList<int> widths) => measure(widths);

    /// <summary>Whether the network meets the budget with group <paramref name="group"/> at <paramref name="width"/> (widths restored).</summary>
    public bool Fits(int[] widths, int group, int width)
    {
        int saved = widths[group];
        widths[group] = width;
        try { return Measure(widths) <= budget; }
        finally { widths[group] = saved; }
    }

    /// <summary>The largest of <paramref name="candidates"/> (ascending) that keeps the budget; widths[group] is overwritten while probing and restored.</summary>
    public int Cap(int[] widths, int group, IReadOnlyList<int> candidates)
    {
        int saved = widths[group];
        try
        {
            for (int i = candidates.Count - 1; i > 0; i--)
            {
                widths[group] = candidates[i];
                if (Measure(widths) <= budget) return candidates[i];
            }
            return candidates[0];
        }
        finally
        {
            widths[group] = saved;
        }
    }
}
