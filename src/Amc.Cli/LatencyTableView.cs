using Amc.Graph;
using Spectre.Console;
using Amc.Latency;

namespace Amc.Cli;

/// <summary>Shows a latency table being built (or read from the cache): a progress bar, a line per tenth in a log, nothing for --json.</summary>
static class LatencyTableView
{
    public static LatencyTableBuild Build(Network net, ChannelGraph graph, IReadOnlyList<IReadOnlyList<int>> reachable, LatencyTableOptions options, bool quiet) =>
        Show(progress => LatencyTableBuilder.Build(net, graph, reachable, options, progress), quiet);

    /// <summary>Runs <paramref name="work"/>, which reports the table's progress to the callback it is given.</summary>
    public static T Show<T>(Func<Action<LatencyTableProgress>, T> work, bool quiet)
    {
        if (quiet || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            int lastTenth = -1;
            return work(p =>
            {
                int tenth = 10 * p.Done / p.Total;
                if (quiet || tenth == lastTenth) return;
                lastTenth = tenth;
                Console.Error.WriteLine($"latency table: {p.Done}/{p.Total} ops timed (last: {p.Op}, {p.Ms:F3} ms)");
            });
        }
        T result = default!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("latency table", autoStart: true);
                result = work(p =>
                {
                    task.MaxValue = p.Total;
                    task.Value = p.Done;
                    task.Description = Markup.Escape($"latency table: {p.Op} {p.Ms:F3} ms");
                });
                task.Value = task.MaxValue;
            });
        return result;
    }
}
