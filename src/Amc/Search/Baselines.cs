using Amc.Graph;
using Amc.Pruning;

namespace Amc.Search;

/// <summary>
/// Hand-crafted policies of the paper's CIFAR table, all meeting the same budget: uniform (one keep
/// ratio everywhere), deep (prune deeper groups more: keep falls linearly from 1.5k to 0.5k over the
/// groups in forward order) and shallow (the reverse). The scale k is the largest that meets the
/// budget after rounding, found by bisection. In a mixed-precision search every group of theirs runs in int8,
/// unless that misses the budget even at the smallest widths: then each group takes its precision in
/// the wall's smallest policy (<see cref="PruningEnvironment.Smallest"/>).
/// </summary>
public static class Baselines
{
    public static readonly string[] Names = ["uniform", "deep", "shallow"];

    public static Policy Policy(string name, PruningEnvironment env, SearchOptions options)
    {
        int n = env.Steps.Count;
        Func<int, double> shape = name switch
        {
            "uniform" => _ => 1.0,
            "deep" => i => n == 1 ? 1.0 : 1.5 - (double)i / (n - 1),
            "shallow" => i => n == 1 ? 1.0 : 0.5 + (double)i / (n - 1),
            _ => throw new ArgumentException($"unknown baseline '{name}'; choose {string.Join(", ", Names)}"),
        };
        var wall = env.Wall ?? throw new InvalidOperationException("baselines need a budget (resource-constrained mode)");
        Policy Scaled(Policy precisions, double k) => precisions.WithWidths(env.Steps.Select((g, i) =>
            (g.Id, ChannelRounding.Channels(g, Math.Clamp(k * shape(i), options.LowerBound, options.UpperBound), env.Round))));
        // All int8 at the smallest widths may still miss a tight mixed budget (int8 layers carry fixed
        // costs): then the precisions of the wall's smallest policy, which meets it.
        var allInt8 = env.AllInt8(env.Full);
        var precisions = wall.Measure(Scaled(allInt8, 0)) <= wall.Budget ? allInt8 : env.Smallest;
        Policy Widths(double k) => Scaled(precisions, k);
        double low = 0, high = 2.0;
        for (int iter = 0; iter < 60; iter++)
        {
            double mid = (low + high) / 2;
            if (wall.Measure(Widths(mid)) <= wall.Budget) low = mid; else high = mid;
        }
        return Widths(low);
    }
}
