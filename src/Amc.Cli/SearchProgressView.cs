using Amc.Distributed;
using Amc.Latency;
using Amc.Reports;
using Amc.Search;
using Amc.Sessions;
using Spectre.Console;

namespace Amc.Cli;

/// <summary>
/// A search session shown on the console: the latency table's progress, live search progress
/// (episode, phase, reward, best so far, ETA) or a line every ten episodes in a log, and the
/// final tables. Quiet (--json) shows nothing.
/// </summary>
static class SearchProgressView
{
    /// <param name="stage">Where the session writes each of its result files (CommandOutputs.Stage), or null for in place.</param>
    /// <param name="scorerFor">Scores the candidates elsewhere (workers), given the fingerprint and this process's scoring; null: in this process.</param>
    /// <param name="workers">The workers' states now, when the candidates are scored on workers.</param>
    public static SearchResult Run(SearchSettings settings, Func<string, string>? stage, bool quiet, Func<string, SearchScoring, ICandidateScorer>? scorerFor = null,
        Func<IReadOnlyList<WorkerState>>? workers = null)
    {
        using var session = settings.Search.Resource == Resource.Latency
            ? LatencyTableView.Show(progress => SearchSession.Open(settings, progress, scorerFor), quiet)
            : SearchSession.Open(settings, scorerFor: scorerFor);
        var options = settings.Search;
        foreach (var stale in session.StaleTableWarnings) Console.Error.WriteLine($"warning: {stale}");
        WarnOfTrainedScoringImages(session.Data, session.Checkpoint);
        if (session.Environment.LeavesNoChoice)
            Console.Error.WriteLine($"warning: at a {options.Resource} target of {options.Target:0.###} only the smallest widths fit, so every episode ends at the same policy; " +
                "raise the target, or lower --lbound or --round to give the search room");
        if (!quiet)
        {
            if (session.LatencyTable is { } table) AnsiConsole.MarkupLine(Markup.Escape("latency table: " + SearchSummary.Describe(table)));
            AnsiConsole.MarkupLine($"[bold]amc search[/] {Markup.Escape(session.Checkpoint.Network.Name)}: {session.Environment.StepCount} groups, {options.Mode} mode, " +
                $"{options.Resource} target {options.Target:0.###}, agent {options.Agent}, {options.Episodes} episodes");
        }
        Episodes(options, progress => session.Search(progress), quiet, workers);
        return session.Finish(stage, quiet ? null : note => AnsiConsole.MarkupLine(Markup.Escape(note)));
    }

    /// <summary>A sparsity search (<see cref="SparsitySearchSession"/>) shown the same way.</summary>
    public static SparsitySearchResult RunSparsity(SearchSettings settings, Func<string, string>? stage, bool quiet)
    {
        using var session = SparsitySearchSession.Open(settings);
        var options = settings.Search;
        WarnOfTrainedScoringImages(session.Data, session.Checkpoint);
        if (!quiet)
            AnsiConsole.MarkupLine($"[bold]amc search[/] {Markup.Escape(session.Checkpoint.Network.Name)}: {session.Environment.StepCount} conv/linear layers, sparsity mode, " +
                $"non-zero params <= {options.Target:0.###} ({session.Environment.Wall.Budget:N0} of {session.Environment.Wall.Original:N0}), agent {options.Agent}, {options.Episodes} episodes");
        Episodes(options, progress => session.Search(progress), quiet, null);
        return session.Finish(stage, quiet ? null : note => AnsiConsole.MarkupLine(Markup.Escape(note)));
    }

    static void WarnOfTrainedScoringImages(OpenedData data, Amc.Torch.Checkpoint ck)
    {
        if (data.ScoringOnTrainedImagesWarning(ck.Info.HeldOut) is { } warning) Console.Error.WriteLine($"warning: {warning}");
    }

    static void Episodes(SearchOptions options, Action<Action<SearchProgress>> search, bool quiet, Func<IReadOnlyList<WorkerState>>? workers)
    {
        string Describe(SearchProgress pr) =>
            $"ep {pr.Episode + 1}/{pr.Episodes} {pr.Phase} {Reward.MetricName(options)} {Reward.Format(options, pr.Score)}" +
            (options.Mode == SearchMode.Sparsity ? "" : $" MACs {100 * pr.MacsFraction:F1}%") +
            (options.Resource == Resource.Macs || pr.BudgetFraction is not double f ? "" : $" {options.Resource.ToString().ToLowerInvariant()} {100 * f:F1}%") +
            (pr.Best is { } b ? $" | best {Reward.Format(options, Reward.Score(options, b))} (ep {b.Episode + 1})" : " | no finite network yet");
        if (quiet || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            search(pr =>
            {
                if (quiet) return;
                if ((pr.Episode + 1) % 10 == 0 || pr.Episode + 1 == pr.Episodes || pr.Episode < 3)
                    Console.Error.WriteLine($"{Describe(pr)}  {pr.SecondsPerEpisode:F2} s/episode, ETA {Format.Duration(TimeSpan.FromSeconds(pr.SecondsPerEpisode * (pr.Episodes - pr.Episode - 1)))}" +
                        (workers is null ? "" : " | workers: " + Count(workers())));
            });
            return;
        }
        // A serial search redraws from its own thread only: Spectre's refresh thread would allocate
        // while TorchSharp runs, which TorchSharp does not survive (see BatchLoader). With workers
        // the display follows their states on a timer.
        AnsiConsole.Progress()
            .AutoRefresh(workers is not null)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("search", maxValue: options.Episodes);
                // Refreshed on a timer: a worker's state changes while the search waits for a round's scores.
                var workersTask = workers is null ? null : ctx.AddTask("workers", maxValue: 1);
                if (workersTask is not null) workersTask.IsIndeterminate = true;
                using var refresh = new Timer(_ => workersTask!.Description = Markup.Escape("workers: " + string.Join(", ", workers!())),
                    null, workersTask is null ? Timeout.Infinite : 0, 500);
                search(pr =>
                {
                    task.Description = Markup.Escape(Describe(pr));
                    task.Value = pr.Episode + 1;
                    ctx.Refresh();
                });
            });
    }

    /// <summary>How many workers do what, e.g. "2 scoring, 1 loading, 1 gone".</summary>
    static string Count(IReadOnlyList<WorkerState> workers) =>
        string.Join(", ", workers.GroupBy(w => w.Activity).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"));

    public static void RenderResults(SearchResult result, SearchOptions? options = null)
    {
        options ??= new SearchOptions();
        var t = new Table().Border(TableBorder.Rounded).Title("policies, no fine-tuning");
        bool compared = result.Results.Any(r => r.TestAgreement is not null);
        t.AddColumns(["policy", "MACs %", "params %", $"held-out {result.Metric}", "test top-1", .. compared ? new[] { "test agreement", "test rel. error" } : []]);
        foreach (var r in result.Results)
            t.AddRow([Markup.Escape(r.Name), $"{100 * r.MacsFraction:F1}", $"{100 * r.ParamsFraction:F1}", Reward.Format(options, r.HeldOut), Optional(r.TestTop1),
                .. compared ? new[] { Optional(r.TestAgreement), r.TestRelativeError is double e ? $"{e:F4}" : "–" } : []]);
        AnsiConsole.Write(t);
        AnsiConsole.MarkupLine($"summary: [link]{Markup.Escape(Path.Combine(result.OutputFolder, "summary.md"))}[/], policy: {Markup.Escape(Path.Combine(result.OutputFolder, "best-policy.json"))}");
        if (result.Latency is { } latency)
        {
            RenderLatency(latency);
            if (result.Screen is { } screen)
                AnsiConsole.MarkupLine(screen.Warning is { } none ? $"[yellow]warning:[/] {Markup.Escape(none)}" : $"budget check: {Markup.Escape(screen.Line())}");
            if (latency[0].StaleWarning() is { } stale) AnsiConsole.MarkupLine($"[yellow]warning:[/] {Markup.Escape(stale)}");
        }
    }

    public static void RenderSparsityResults(SparsitySearchResult result, SearchOptions options)
    {
        var t = new Table().Border(TableBorder.Rounded).Title("fine-grained policies, magnitude masks, no fine-tuning");
        t.AddColumns("policy", "non-zero params", "params %", "ONNX bytes (--sparse)", $"held-out {result.Metric}", "test top-1");
        foreach (var r in result.Results)
            t.AddRow(Markup.Escape(r.Name), Format.Count(r.Params), $"{100 * r.ParamsFraction:F1}", $"{result.SparseOnnxBytes[r.Name]:N0}", Reward.Format(options, r.HeldOut), Optional(r.TestTop1));
        AnsiConsole.Write(t);
        AnsiConsole.MarkupLine($"summary: [link]{Markup.Escape(Path.Combine(result.OutputFolder, "summary.md"))}[/], policy: {Markup.Escape(Path.Combine(result.OutputFolder, "best-policy.json"))} (amc prune --policy)");
    }

    static string Optional(double? fraction) => fraction is double f ? Format.Percent(f) : "–";

    static void RenderLatency(IReadOnlyList<LatencyComparison> latency)
    {
        var t = new Table().Border(TableBorder.Rounded).Title("latency, ONNX Runtime, batch 1 (timed interleaved)");
        t.AddColumns("network", "table ms", "measured ms", "p10-p90 ms", "table error");
        foreach (var c in latency)
            t.AddRow(Markup.Escape(c.Name), $"{c.PredictedMs:F3}", $"{c.Measured.Median:F3}", $"{c.Measured.P10:F3}-{c.Measured.P90:F3}", $"{c.ErrorPercent:+0.0;-0.0}%");
        t.Caption($"best policy's speed-up: table {latency[0].PredictedMs / latency[1].PredictedMs:F2}x, measured {latency[0].Measured.Median / latency[1].Measured.Median:F2}x");
        AnsiConsole.Write(t);
    }
}
