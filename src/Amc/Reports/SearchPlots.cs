using Amc.Search;
using ScottPlot;

namespace Amc.Reports;

/// <summary>PNG plots of a search: learning curve, the best policy per layer next to uniform, accuracy vs MACs.</summary>
public static class SearchPlots
{
    public static void Rewards(IReadOnlyList<EpisodeRecord> episodes, string path)
    {
        var plot = new Plot();
        double[] x = episodes.Select(e => (double)e.Episode).ToArray();
        var acc = plot.Add.Scatter(x, episodes.Select(e => 100 * e.Top1).ToArray());
        acc.LineWidth = 0;
        acc.MarkerSize = 3;
        acc.LegendText = "held-out top-1 of the episode (%)";
        double best = double.MinValue;
        var bestSoFar = episodes.Select(e => best = Math.Max(best, 100 * e.Top1)).ToArray();
        var line = plot.Add.Scatter(x, bestSoFar);
        line.MarkerSize = 0;
        line.LineWidth = 2;
        line.LegendText = "best so far";
        int warmup = episodes.Count(e => e.Phase == "warmup");
        if (warmup > 0 && warmup < episodes.Count)
        {
            var v = plot.Add.VerticalLine(warmup - 0.5);
            v.LinePattern = LinePattern.Dashed;
            v.LegendText = "end of warm-up";
        }
        plot.Title("Search: held-out accuracy per episode");
        plot.XLabel("episode");
        plot.YLabel("held-out top-1 (%)");
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

    public static void AccuracyVsMacs(IReadOnlyList<EpisodeRecord> episodes, IReadOnlyDictionary<string, (double MacsFraction, double Top1)> marks, string path)
    {
        var plot = new Plot();
        var all = plot.Add.Scatter(episodes.Select(e => 100 * e.MacsFraction).ToArray(), episodes.Select(e => 100 * e.Top1).ToArray());
        all.LineWidth = 0;
        all.MarkerSize = 3;
        all.LegendText = "episodes";
        foreach (var (name, (macs, top1)) in marks)
        {
            var m = plot.Add.Scatter(new[] { 100 * macs }, new[] { 100 * top1 });
            m.MarkerSize = 12;
            m.MarkerShape = MarkerShape.FilledDiamond;
            m.LegendText = name;
        }
        plot.Title("Held-out accuracy vs MACs, every episode");
        plot.XLabel("MACs (% of original)");
        plot.YLabel("held-out top-1 (%)");
        plot.ShowLegend(Alignment.LowerRight);
        Save(plot, path);
    }

    /// <summary>Atomically, with the temporary names every output uses (so a killed run's leftovers are cleaned up).</summary>
    static void Save(Plot plot, string path, int width = 900, int height = 550)
    {
        byte[] png = plot.GetImageBytes(width, height, ImageFormat.Png);
        Amc.Runtime.AtomicFile.Write(path, s => s.Write(png));
    }
}
