using Amc.Reports;
using Amc.Search;
using Spectre.Console;

namespace Amc.Cli;

/// <summary>Live search progress (episode, phase, reward, best so far, ETA) and the final table.</summary>
static class SearchProgressView
{
    public static BestPolicy Run(SearchRunner runner, SearchOptions options, bool resume, bool quiet)
    {
        string Describe(SearchProgress pr) =>
            $"ep {pr.Episode + 1}/{pr.Episodes} {pr.Phase} acc {100 * pr.Top1:F2}% MACs {100 * pr.MacsFraction:F1}%" +
            (options.Resource == Resource.Macs || pr.BudgetFraction is not double f ? "" : $" {options.Resource.ToString().ToLowerInvariant()} {100 * f:F1}%") +
            (pr.Best is { } b ? $" | best {100 * b.Top1:F2}% (ep {b.Episode + 1})" : " | no finite network yet");
        if (quiet || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            return runner.Run(resume, pr =>
            {
                if (quiet) return;
                if ((pr.Episode + 1) % 10 == 0 || pr.Episode + 1 == pr.Episodes || pr.Episode < 3)
                    Console.Error.WriteLine($"{Describe(pr)}  {pr.SecondsPerEpisode:F2} s/episode, ETA {Format.Duration(TimeSpan.FromSeconds(pr.SecondsPerEpisode * (pr.Episodes - pr.Episode - 1)))}");
            });
        }
        BestPolicy? best = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("search", maxValue: options.Episodes);
                best = runner.Run(resume, pr =>
                {
                    task.Description = Markup.Escape(Describe(pr));
                    task.Value = pr.Episode + 1;
                });
            });
        return best!;
    }

    public static void RenderResults(IReadOnlyList<PolicyResult> results, string outDir)
    {
        var t = new Table().Border(TableBorder.Rounded).Title("policies, no fine-tuning");
        t.AddColumns("policy", "MACs %", "params %", "held-out top-1", "test top-1");
        foreach (var r in results)
            t.AddRow(Markup.Escape(r.Name), $"{100 * r.MacsFraction:F1}", $"{100 * r.ParamsFraction:F1}", Format.Percent(r.HeldOutTop1), Format.Percent(r.TestTop1));
        AnsiConsole.Write(t);
        AnsiConsole.MarkupLine($"summary: [link]{Markup.Escape(Path.Combine(outDir, "summary.md"))}[/], policy: {Markup.Escape(Path.Combine(outDir, "best-policy.json"))}");
    }
}
