using System.Globalization;
using System.Text;
using Amc.Search;

namespace Amc.Reports;

/// <summary>summary.md of a search: settings, the comparison table, per-group widths, timing, plots.</summary>
public static class SearchSummary
{
    public static string Markdown(
        string title,
        IReadOnlyDictionary<string, string> settings,
        IReadOnlyList<PolicyResult> results,
        IReadOnlyList<(string Name, int Channels)> groups,
        IReadOnlyList<EpisodeRecord> episodes,
        IReadOnlyList<string> plots,
        SearchOptions? options = null,
        string stepsTitle = "Channels kept per group",
        string stepName = "group")
    {
        options ??= new SearchOptions();
        string metric = Reward.MetricName(options);
        bool compared = results.Any(r => r.TestAgreement is not null);
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine($"# {title}").AppendLine();
        sb.AppendLine("| setting | value |").AppendLine("|---|---|");
        foreach (var (k, v) in settings) sb.AppendLine($"| {k} | {v} |");
        sb.AppendLine();
        sb.AppendLine("## Policies (no fine-tuning)").AppendLine();
        sb.AppendLine("Held-out = the held-out split of the training set the search scores on; test = the test set, measured once after the search" +
            (options.Reward == RewardKind.Accuracy ? "." : "; agreement and relative error are against the unpruned network's outputs (– = no test images or no labels).")).AppendLine();
        sb.AppendLine($"| policy | MACs | MACs % | params | params % | held-out {metric} | test top-1 | test top-5 |{(compared ? " test agreement | test relative error |" : "")}");
        sb.AppendLine($"|---|---:|---:|---:|---:|---:|---:|---:|{(compared ? "---:|---:|" : "")}");
        foreach (var r in results)
            sb.AppendLine(string.Format(ci, "| {0} | {1:N0} | {2:F1} | {3:N0} | {4:F1} | {5} | {6} | {7} |",
                r.Name, r.Macs, 100 * r.MacsFraction, r.Params, 100 * r.ParamsFraction,
                options.Reward == RewardKind.Fidelity ? r.HeldOut.ToString("F4", ci) : (100 * r.HeldOut).ToString("F2", ci), Percent(r.TestTop1), Percent(r.TestTop5)) +
                (compared ? string.Format(ci, " {0} | {1} |", Percent(r.TestAgreement), r.TestRelativeError is double e ? e.ToString("F4", ci) : "–") : ""));
        sb.AppendLine();
        sb.AppendLine($"## {stepsTitle}").AppendLine();
        sb.Append($"| {stepName} | original |");
        foreach (var r in results.Skip(1)) sb.Append($" {r.Name} |");
        sb.AppendLine().Append("|---|---:|");
        foreach (var _ in results.Skip(1)) sb.Append("---:|");
        sb.AppendLine();
        for (int i = 0; i < groups.Count; i++)
        {
            sb.Append($"| {groups[i].Name} | {groups[i].Channels} |");
            foreach (var r in results.Skip(1)) sb.Append($" {r.Channels[i]} |");
            sb.AppendLine();
        }
        if (episodes.Count > 0)
        {
            sb.AppendLine().AppendLine("## Time per episode (median, seconds)").AppendLine();
            sb.AppendLine("| total | prune | least squares | BN re-estimation | ONNX export + session | evaluation | agent |").AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
            sb.AppendLine(string.Format(ci, "| {0:F3} | {1:F3} | {2:F3} | {3:F3} | {4:F3} | {5:F3} | {6:F3} |",
                Median(episodes.Select(e => e.Seconds)), Median(episodes.Select(e => e.Times.Prune)), Median(episodes.Select(e => e.Times.LeastSquares)),
                Median(episodes.Select(e => e.Times.BatchNorm)), Median(episodes.Select(e => e.Times.Export)), Median(episodes.Select(e => e.Times.Evaluate)),
                Median(episodes.Select(e => e.AgentSeconds))));
        }
        if (plots.Count > 0)
        {
            sb.AppendLine().AppendLine("## Plots").AppendLine();
            foreach (var p in plots) sb.AppendLine($"![{Path.GetFileNameWithoutExtension(p)}]({p})").AppendLine();
        }
        return sb.ToString();
    }

    /// <summary>A latency table in one line: its size, where it came from and its fit.</summary>
    public static string Describe(Amc.Latency.LatencyTableBuild b) =>
        $"{b.Table.Entries.Count} entries over {b.Table.Layers.Count} layers, {(b.FromCache ? "read from cache" : $"measured in {b.File.BuildSeconds:F1} s")} " +
        $"({b.CachePath}); {b.Table.OverheadMs:F3} ms + {b.Table.Scale:F2} x entries, {b.Table.WholeNetworkMs:F3} ms at full width";

    static string Percent(double? fraction) => fraction is double f ? (100 * f).ToString("F2", CultureInfo.InvariantCulture) : "–";

    public static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        if (v.Length == 0) return double.NaN;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}
