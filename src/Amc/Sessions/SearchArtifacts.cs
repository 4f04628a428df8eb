using System.Text.Json;
using Amc.Files;
using Amc.Reports;
using Amc.Search;

namespace Amc.Sessions;

/// <summary>The files a finished search leaves in its output folder beside its log, state and config: best-policy.json, results.json, the plots and summary.md.</summary>
static class SearchArtifacts
{
    /// <param name="stage">The path to write a file to, given its place in the output folder.</param>
    public static void Write(SearchSession session, SearchResult result, IReadOnlyList<EpisodeRecord> episodes, Func<string, string> stage)
    {
        var s = session.Settings;
        var options = s.Search;
        var env = session.Environment;
        var table = session.LatencyTable;
        var data = session.Data;
        var (best, confirmed, results, latency) = (result.Best, result.Confirmed, result.Results, result.Latency);
        string File(string name) => stage(Path.Combine(s.OutputFolder, name));

        result.Policy.Save(File("best-policy.json"));
        object? latencyJson = table is null ? null : new
        {
            table = new { path = table.CachePath, entries = table.Table.Entries.Count, fromCache = table.FromCache, buildSeconds = table.File.BuildSeconds, overheadMs = table.Table.OverheadMs, scale = table.Table.Scale, threads = s.LatencyThreads },
            networks = latency!.Select(c => new { c.Name, c.PredictedMs, measuredMs = c.Measured.Median, measured = c.Measured, c.ErrorPercent }),
            budgetCheck = result.Screen,
        };
        AtomicFile.WriteAllText(File("results.json"), JsonSerializer.Serialize(new { metric = result.Metric, best, confirmed, results, latency = latencyJson }, ResultJson.Options));

        // One name per step: a mixed-precision search has each group's precision after its width.
        var groupNames = Enumerable.Range(0, env.StepCount).Select(env.StepName).ToList();
        var policies = results.Where(r => r.Kind != PolicyKind.Original).ToList();
        SearchPlots.Rewards(episodes, File("reward.png"), options);
        var keeps = policies.ToDictionary(r => r.Name, r => r.Channels.Select((c, i) => (double)c / env.StepSize(i)).ToArray());
        SearchPlots.Policies(groupNames, keeps, File("policy.png"));
        SearchPlots.AccuracyVsMacs(episodes, policies.ToDictionary(r => r.Name, r => (r.MacsFraction, r.HeldOut)), File("accuracy-vs-macs.png"), options);
        SearchPlots.Actions(episodes, groupNames, File("actions.png"));
        var plots = new List<string> { "reward.png", "policy.png", "accuracy-vs-macs.png", "actions.png" };
        // Written only when there is something to draw: a staged file must exist when the outputs are committed.
        if (episodes.Any(e => e.CriticLoss is not null))
        {
            SearchPlots.Ddpg(episodes, File("ddpg.png"));
            plots.Add("ddpg.png");
        }

        var settings = new Dictionary<string, string>
        {
            ["base checkpoint"] = s.Checkpoint,
            ["data"] = $"{data.Train.Name}; held-out {data.Split.HeldOut.Length} training images (split hash {data.Split.Hash}); test {data.Test.Count}",
            ["mode / budget"] = $"{options.Mode}, {options.Resource} <= {options.Target:0.###} of original" +
                (table is null ? "" : " (predicted by the latency table)"),
            ["agent"] = SearchFinish.AgentLine(options),
            ["action range"] = $"keep ratio in [{options.LowerBound}, {options.UpperBound}], channels rounded to multiples of {s.Pruning.Round}",
            ["scoring"] = $"{s.Pruning.Criterion} selection, least squares {(s.Pruning.Reconstruct ? "on" : "off")}, BN re-estimation {(s.Pruning.RecalibrateBatchNorm ? "on" : "off")}, reward on {Reward.MetricName(options)}" +
                (options.Reward == RewardKind.Accuracy ? "" : " with the unpruned network (its outputs on the same images, by the same engine)"),
            ["best episode"] = SearchFinish.BestEpisodeLine(best, confirmed, options),
            ["seed"] = $"{options.Seed}",
            ["machine"] = $"{System.Environment.ProcessorCount} cores, {System.Environment.OSVersion}",
        };
        if (table is not null)
        {
            settings["latency table"] = $"{SearchSummary.Describe(table)}; {s.LatencyThreads} ORT thread(s)";
            if (session.Int8LatencyTable is { } int8Table)
                settings["int8 latency table"] = $"{SearchSummary.Describe(int8Table)}; mixed precision predicted from both (Amc.Latency.MixedPrecisionLatency)";
            foreach (var c in latency!)
                settings[$"latency, {c.Name}"] = $"table {c.PredictedMs:F3} ms, measured {c.Measured.Median:F3} ms (p10-p90 {c.Measured.P10:F3}-{c.Measured.P90:F3}), table error {c.ErrorPercent:+0.0;-0.0} %";
            if (latency[0].StaleWarning() is { } stale) settings["latency table warning"] = stale;
            if (result.Screen is { } screen)
            {
                settings["budget check"] = screen.Line();
                if (screen.Warning is { } none) settings["budget check warning"] = none;
            }
            settings["latency speed-up"] = $"table {latency[0].PredictedMs / latency[1].PredictedMs:F2}x, measured {latency[0].Measured.Median / latency[1].Measured.Median:F2}x (ONNX Runtime, batch 1, timed interleaved)";
        }
        var md = SearchSummary.Markdown($"amc search: {session.Checkpoint.Network.Name}", settings, results, groupNames.Select((name, i) => (name, env.StepSize(i))).ToList(), episodes,
            plots, options);
        AtomicFile.WriteAllText(File("summary.md"), md);
    }
}
