using Amc.Latency;
using Amc.Pruning;
using Amc.Reports;
using Amc.Search;

namespace Amc.Sessions;

/// <summary>What a search found, as written to results.json and summary.md.</summary>
/// <param name="Best">The search's best policy (after confirmation, when on).</param>
/// <param name="Policy">The best policy as saved in best-policy.json, for pruning.</param>
/// <param name="Results">The original network, the baselines, then the search's best: the comparison's rows in order.</param>
/// <param name="Confirmed">The top policies re-scored on images the search did not score on; null when confirmation was off or had no images.</param>
/// <param name="Latency">Under a latency budget: the table's prediction against the measured time, the original first, then the best.</param>
/// <param name="Screen">Under a latency budget: the best policies timed against it before one was chosen; null otherwise or when off.</param>
/// <param name="Metric">What the held-out scores measure (<see cref="Reward.MetricName"/>).</param>
public sealed record SearchResult(
    string OutputFolder,
    BestPolicy Best,
    PruningPolicy Policy,
    IReadOnlyList<PolicyResult> Results,
    IReadOnlyList<ConfirmedPolicy>? Confirmed,
    IReadOnlyList<LatencyComparison>? Latency,
    string Metric = "top-1",
    LatencyScreen? Screen = null)
{
    public PolicyResult Original => Results.Single(r => r.Kind == PolicyKind.Original);
    public PolicyResult Searched => Results.Single(r => r.Kind == PolicyKind.Search);
    /// <summary>A baseline's row by name (uniform, deep, shallow), or null when baselines were not scored.</summary>
    public PolicyResult? Baseline(string name) => Results.SingleOrDefault(r => r.Kind == PolicyKind.Baseline && r.Name == name);
}
