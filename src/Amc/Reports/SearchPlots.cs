using Amc.Search;
using ScottPlot;

namespace Amc.Reports;

/// <summary>PNG plots of a search: learning curve, the best policy per layer next to uniform, accuracy vs MACs.</summary>
internal static class SearchPlots
{
    /// <summary>An episode's score as plotted: a percentage, or the relative error as it is.</summary>
    static double Plotted(SearchOptions options, EpisodeRecord e) => Reward.HigherIsBetter(options) ? 100 * Reward.Score(options, e) : Reward.Score(options, e);

    static string Axis(SearchOptions options) => $"held-out {Reward.MetricName(options)}{(Reward.HigherIsBetter(options) ? " (%)" : "")}";

    public static void Rewards(IReadOnlyList<EpisodeRecord> episodes, string path, SearchOptions? options = null)
    {
        options ??= new SearchOptions();
        var plot = new Plot();
        double[] x = episodes.Select(e => (double)e.Episode).ToArray();
        var values = episodes.Select(e => Plotted(options, e)).ToArray();
        var acc = plot.Add.Scatter(x, values);
        acc.LineWidth = 0;
        acc.MarkerSize = 3;
        acc.LegendText = $"{Axis(options)} of the episode";
        bool higher = Reward.HigherIsBetter(options);
        double best = higher ? double.MinValue : double.MaxValue;
        var bestSoFar = values.Select(v => best = higher ? Math.Max(best, v) : Math.Min(best, v)).ToArray();
        var line = plot.Add.Scatter(x, bestSoFar);
        line.MarkerSize = 0;
        line.LineWidth = 2;
        line.LegendText = "best so far";
        // The typical episode, not the lucky one: a learning agent's median rises and stays up.
        var median = plot.Add.Scatter(x, RollingMedian(values, MedianWindow));
        median.MarkerSize = 0;
        median.LineWidth = 2;
        median.LegendText = $"median of the last {MedianWindow} episodes";
        int warmup = episodes.Count(e => e.Phase is "warmup" or "seed");
        if (warmup > 0 && warmup < episodes.Count)
        {
            var v = plot.Add.VerticalLine(warmup - 0.5);
            v.LinePattern = LinePattern.Dashed;
            v.LegendText = "end of warm-up";
        }
        plot.Title($"Search: {Axis(options)} per episode");
        plot.XLabel("episode");
        plot.YLabel(Axis(options));
        plot.ShowLegend(Alignment.LowerRight);
        Save(plot, path);
    }

    public static void Policies(IReadOnlyList<string> groups, IReadOnlyDictionary<string, double[]> keepByPolicy, string path)
    {
        var plot = new Plot();
        double[] x = Enumerable.Range(0, groups.Count).Select(i => (double)i).ToArray();
        foreach (var (name, keep) in keepByPolicy)
        {
            var s = plot.Add.Scatter(x, keep);
            s.LegendText = name;
            s.LineWidth = 2;
            s.MarkerSize = 6;
        }
        plot.Axes.Bottom.SetTicks(x, groups.ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 10 + 7 * groups.Max(g => g.Length); // room for the rotated group names
        plot.Axes.Right.MinimumSize = 40;
        plot.Axes.SetLimitsY(0, 1.05);
        plot.Title("Keep ratio per channel group");
        plot.YLabel("kept channels / original");
        plot.ShowLegend(Alignment.LowerLeft);
        Save(plot, path, 1000, 600);
    }

    /// <param name="marks">Policies to mark: their MACs fraction and held-out score on the reward's metric.</param>
    public static void AccuracyVsMacs(IReadOnlyList<EpisodeRecord> episodes, IReadOnlyDictionary<string, (double MacsFraction, double Score)> marks, string path,
        SearchOptions? options = null)
    {
        options ??= new SearchOptions();
        double scale = Reward.HigherIsBetter(options) ? 100 : 1;
        var plot = new Plot();
        var all = plot.Add.Scatter(episodes.Select(e => 100 * e.MacsFraction).ToArray(), episodes.Select(e => Plotted(options, e)).ToArray());
        all.LineWidth = 0;
        all.MarkerSize = 3;
        all.LegendText = "episodes";
        foreach (var (name, (macs, top1)) in marks)
        {
            var m = plot.Add.Scatter(new[] { 100 * macs }, new[] { scale * top1 });
            m.MarkerSize = 12;
            m.MarkerShape = MarkerShape.FilledDiamond;
            m.LegendText = name;
        }
        plot.Title($"{Axis(options)} vs MACs, every episode");
        plot.XLabel("MACs (% of original)");
        plot.YLabel(Axis(options));
        plot.ShowLegend(Alignment.LowerRight);
        Save(plot, path);
    }

    /// <summary>Window of the rolling median in the learning curves.</summary>
    public const int MedianWindow = 25;

    /// <summary>Median of each value and the (up to) <paramref name="window"/> - 1 values before it.</summary>
    public static double[] RollingMedian(IReadOnlyList<double> values, int window) =>
        values.Select((_, i) =>
        {
            var w = values.Skip(Math.Max(0, i - window + 1)).Take(Math.Min(window, i + 1)).Order().ToArray();
            return w.Length % 2 == 1 ? w[w.Length / 2] : (w[w.Length / 2 - 1] + w[w.Length / 2]) / 2;
        }).ToArray();

    /// <summary>
    /// Several searches' learning curves on one plot: the rolling median of the held-out accuracy of
    /// an episode, by episode (e.g. DDPG before and after a change next to random search).
    /// </summary>
    public static void LearningCurves(IReadOnlyDictionary<string, IReadOnlyList<EpisodeRecord>> runs, string path, string title)
    {
        var plot = new Plot();
        foreach (var (name, episodes) in runs)
        {
            var s = plot.Add.Scatter(episodes.Select(e => (double)e.Episode).ToArray(),
                RollingMedian(episodes.Select(e => 100 * e.Top1).ToArray(), MedianWindow));
            s.MarkerSize = 0;
            s.LineWidth = 2;
            s.LegendText = name;
        }
        plot.Title(title);
        plot.XLabel("episode");
        plot.YLabel($"held-out top-1, median of the last {MedianWindow} episodes (%)");
        plot.ShowLegend(Alignment.LowerRight);
        Save(plot, path);
    }

    /// <summary>
    /// What DDPG's networks did, per episode (means over its gradient steps): the critic's loss (left
    /// axis) and, on the right axis, the critic's value of the actor's own actions Q(s, mu(s)), of the
    /// replayed actions Q(s, a), the targets it was fitted to, and the exploration noise. An
    /// over-estimating critic shows Q(s, mu(s)) above the targets; a collapsed search shows sigma ~ 0.
    /// False when the log has no diagnostics (warm-up only, random search, or an older log).
    /// </summary>
    public static bool Ddpg(IReadOnlyList<EpisodeRecord> episodes, string path)
    {
        var learning = episodes.Where(e => e.CriticLoss is not null).ToList();
        if (learning.Count == 0) return false;
        var plot = new Plot();
        double[] x = learning.Select(e => (double)e.Episode).ToArray();
        var loss = plot.Add.Scatter(x, learning.Select(e => e.CriticLoss!.Value).ToArray());
        loss.MarkerSize = 0;
        loss.LegendText = "critic loss (left)";
        void Right(string name, Func<EpisodeRecord, double> f)
        {
            var s = plot.Add.Scatter(x, learning.Select(f).ToArray());
            s.MarkerSize = 0;
            s.LegendText = name;
            s.Axes.YAxis = plot.Axes.Right;
        }
        Right("Q(s, mu(s)) (right)", e => -e.ActorLoss!.Value);
        Right("Q(s, a) replayed (right)", e => e.MeanQ!.Value);
        Right("critic target (right)", e => e.MeanTarget!.Value);
        Right("sigma (right)", e => e.Sigma);
        plot.Title("DDPG per episode");
        plot.XLabel("episode");
        plot.Axes.Left.Label.Text = "critic MSE";
        plot.Axes.Right.Label.Text = "Q, target, sigma";
        plot.ShowLegend(Alignment.UpperRight);
        Save(plot, path);
        return true;
    }

    /// <summary>The realised keep ratio of every group in every episode, as a heat map (groups by episodes).</summary>
    public static void Actions(IReadOnlyList<EpisodeRecord> episodes, IReadOnlyList<string> groups, string path)
    {
        var plot = new Plot();
        var keep = new double[groups.Count, episodes.Count];
        for (int e = 0; e < episodes.Count; e++)
            for (int g = 0; g < groups.Count; g++) keep[g, e] = episodes[e].Keep[g];
        var map = plot.Add.Heatmap(keep);
        map.Colormap = new ScottPlot.Colormaps.Viridis();
        map.ManualRange = new ScottPlot.Range(0, 1);
        // Row 0 (the first group) at the top (ScottPlot's default), one unit per episode and group.
        map.Rectangle = new CoordinateRect(0, episodes.Count, 0, groups.Count);
        var bar = plot.Add.ColorBar(map);
        bar.Label = "kept channels / original";
        plot.Axes.Left.SetTicks(Enumerable.Range(0, groups.Count).Select(g => groups.Count - g - 0.5).ToArray(), groups.ToArray());
        plot.Axes.Left.MinimumSize = 10 + 7 * groups.Max(g => g.Length);
        plot.Title("Keep ratio per group and episode");
        plot.XLabel("episode");
        Save(plot, path, 1000, 550);
    }


    /// <summary>Atomically, with the temporary names every output uses (so a killed run's leftovers are cleaned up).</summary>
    static void Save(Plot plot, string path, int width = 900, int height = 550)
    {
        byte[] png = plot.GetImageBytes(width, height, ImageFormat.Png);
        Amc.Files.AtomicFile.Write(path, s => s.Write(png));
    }
}
