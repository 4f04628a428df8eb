using Amc.Graph;
using Spectre.Console;
using Amc.Latency;

namespace Amc.Cli;

/// <summary>Builds (or reads from the cache) a latency table with a progress bar, or quietly for --json.</summary>
static class LatencyTableView
{
    public static LatencyTableBuild Build(Network net, ChannelGraph graph, IReadOnlyList<IReadOnlyList<int>> reachable, LatencyTableOptions options, bool quiet)
    {
        if (quiet || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            int lastTenth = -1;
            return LatencyTableBuilder.Build(net, graph, reachable, options, p =>
            {
                int tenth = 10 * p.Done / p.Total;
                if (quiet || tenth == lastTenth) return;
                lastTenth = tenth;
                Console.Error.WriteLine($"latency table: {p.Done}/{p.Total} ops timed (last: {p.Op}, {p.Ms:F3} ms)");
            });
        }
        LatencyTableBuild? table = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("latency table", autoStart: true);
                table = LatencyTableBuilder.Build(net, graph, reachable, options, p =>
                {
                    task.MaxValue = p.Total;
                    task.Value = p.Done;
                    task.Description = Markup.Escape($"latency table: {p.Op} {p.Ms:F3} ms");
                });
                task.Value = task.MaxValue;
            });
        return table!;
    }

    public static string Describe(LatencyTableBuild b) =>
        $"{b.Table.Entries.Count} entries over {b.Table.Layers.Count} layers, {(b.FromCache ? "read from cache" : $"measured in {b.File.BuildSeconds:F1} s")} " +
        $"({b.CachePath}); {b.Table.OverheadMs:F3} ms + {b.Table.Scale:F2} x entries, {b.Table.WholeNetworkMs:F3} ms at full width";
}
