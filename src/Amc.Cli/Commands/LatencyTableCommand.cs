using Amc.Sessions;
using Amc.Files;
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Amc.Graph;
using Amc.Search;
using Spectre.Console;
using Amc.Latency;
using Amc.Torch;

namespace Amc.Cli.Commands;

/// <summary>
/// `amc latency-table`: builds (or reads from the cache) the per-layer latency table a
/// --target-latency search would use, and checks its predictions against networks timed end to
/// end: the full and the smallest one (exact at build time, so this shows the drift since) and
/// one in between that the table has to interpolate (every group at its middle reachable width).
/// The ORT thread count is --latency-threads, not the global --threads (which sets the tensor
/// threads and defaults to all cores).
/// </summary>
public static class LatencyTableCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint whose network to time", Required = true };
        var threads = new Option<int>("--latency-threads") { Description = "ONNX Runtime intra-op threads", DefaultValueFactory = _ => 1 }.In(OptionRange.Between(1, CommonOptions.MaxThreads));
        var lbound = new Option<double>("--lbound") { Description = "Smallest keep ratio of a group (the table covers widths from here)", DefaultValueFactory = _ => 0.2 }.In(OptionRange.Fraction);
        var repeats = new Option<int>("--repeats") { Description = "Timed runs per table entry", DefaultValueFactory = _ => new LatencyTableOptions().Repeats }.In(OptionRange.AtLeast(1));
        var maxValues = new Option<int>("--max-values") { Description = "Measure at most this many widths per layer axis, interpolate in between", DefaultValueFactory = _ => new LatencyTableOptions().MaxValuesPerAxis }
            .In(OptionRange.AtLeast(2));
        var rebuild = new Option<bool>("--rebuild") { Description = "Measure again even if the cache holds the table" };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Cache folder (default ~/.cache/amc/latency)" };
        var int8 = new Option<bool>("--int8") { Description = "Time the layers and networks as int8 (amc quantize's QDQ form: every conv/linear but the first and last)" };
        var cmd = new Command("latency-table", "Build the per-layer ONNX Runtime latency lookup table of a network and check it end to end")
        {
            checkpoint, threads, lbound, repeats, maxValues, rebuild, cacheDir, int8,
        };
        cmd.Options.Add(PruningOptions.Round);
        cmd.SetAction(p =>
        {
            CommonOptions.Apply(p);
            int ortThreads = p.GetValue(threads), round = p.GetValue(PruningOptions.Round), max = p.GetValue(maxValues);
            double lb = p.GetValue(lbound);
            bool json = p.GetValue(CommonOptions.Json);
            var ck = Checkpoint.Load(p.GetValue(checkpoint)!);
            // Checkpoint, ONNX bytes and session of the whole network, timed at batch 1.
            MemoryCheck.Ensure(MemoryEstimate.Inference(ck.Network, 1, "timing", weightCopies: 3));
            var graph = ChannelGraph.Build(ck.Network);
            var reachable = PruningEnvironment.ReachableWidths(graph, new SearchOptions { LowerBound = lb }, round);
            var options = new LatencyTableOptions(Threads: ortThreads, Repeats: p.GetValue(repeats),
                MaxValuesPerAxis: max, CacheDirectory: p.GetValue(cacheDir), UseCache: !p.GetValue(rebuild), Int8: p.GetValue(int8));
            var clock = Stopwatch.StartNew();
            var build = LatencyTableView.Build(ck.Network, graph, reachable, options, json);
            var table = build.Table;
            double seconds = clock.Elapsed.TotalSeconds;

            var full = Policy.Full(graph);
            var smallest = Policy.OfWidths(reachable.Select(r => r[0]));
            var middle = Policy.OfWidths(reachable.Select(r => r[r.Count / 2]));
            var checks = LatencyCheck.Measure(
            [
                new LatencyCandidate("full", ck.Network, ck.Weights, table.PredictMs(full)),
                Candidate("smallest", smallest),
                Candidate("middle", middle),
            ], ortThreads, int8: options.Int8);
            var check = checks[0];

            LatencyCandidate Candidate(string name, Policy policy)
            {
                var pruned = Amc.Pruning.NetworkPruner.ToWidths(ck.Network, graph, ck.Weights, policy);
                return new LatencyCandidate(name, pruned.Network, pruned.Weights, table.PredictMs(policy));
            }
            int reachablePairs = table.Layers.Sum(l => l.Depthwise ? l.InValues.Length : l.InValues.Length * l.OutValues.Length);
            var stats = new
            {
                network = ck.Network.Name, cache = build.CachePath, fromCache = build.FromCache, entries = table.Entries.Count,
                layers = table.Layers.Count, reachablePairs, interpolatedLayers = table.Layers.Count(l => l.InGrid.Length < l.InValues.Length || l.OutGrid.Length < l.OutValues.Length),
                buildSeconds = build.File.BuildSeconds, seconds, threads = ortThreads, round, lbound = lb,
                key = new { build.File.Key.Cpu, build.File.Key.Cores, build.File.Key.Runtime },
                overheadMs = table.OverheadMs, scale = table.Scale, wholeNetworkAtBuildMs = build.File.WholeNetworkMs,
                smallestNetworkAtBuildMs = build.File.SmallestNetworkMs, retimedLayerSumMs = build.File.FullWidthSumMs,
                predictedFullMs = check.PredictedMs, measuredFullMs = check.Measured.Median, errorPercent = check.ErrorPercent,
                predictedSmallestMs = table.PredictMs(smallest),
                checks = checks.Select(c => new { c.Name, predictedMs = c.PredictedMs, measuredMs = c.Measured.Median, c.ErrorPercent }),
            };
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(stats, ResultJson.Options));
                return ExitCodes.Ok;
            }
            var t = new Table().Border(TableBorder.Rounded).Title($"latency table: {Markup.Escape(ck.Network.Name)}");
            t.AddColumns("", "");
            t.AddRow("cache", Markup.Escape($"{build.CachePath} ({(build.FromCache ? "reused" : "written")})"));
            t.AddRow("machine / runtime", Markup.Escape($"{build.File.Key.Cpu}, {build.File.Key.Cores} cores; {build.File.Key.Runtime}, {ortThreads} thread(s)"));
            t.AddRow("entries", $"{table.Entries.Count} measured for {reachablePairs} reachable (layer, in, out) pairs over {table.Layers.Count} layers; {stats.interpolatedLayers} layers interpolated");
            t.AddRow("build time", build.FromCache ? $"{seconds:F1} s (cache; measured in {build.File.BuildSeconds:F1} s)" : $"{build.File.BuildSeconds:F1} s");
            double entrySum = table.EntrySum(full);
            t.AddRow("entries to latency", $"{table.OverheadMs:F3} ms + {table.Scale:F3} x entries' sum (through the whole network at build time: {build.File.WholeNetworkMs:F3} ms full, {build.File.SmallestNetworkMs:F3} ms smallest)");
            t.AddRow("drift during build", $"full-width layers re-timed after the entries: {build.File.FullWidthSumMs:F3} ms vs entries {entrySum:F3} ms ({100 * (entrySum / build.File.FullWidthSumMs - 1):+0.0;-0.0} %)");
            foreach (var c in checks)
                t.AddRow($"{c.Name} widths", $"table {c.PredictedMs:F3} ms, measured now {c.Measured.Median:F3} ms (p10-p90 {c.Measured.P10:F3}-{c.Measured.P90:F3}), error {c.ErrorPercent:+0.0;-0.0} %");
            t.AddRow("lowest feasible target", $"{stats.predictedSmallestMs / check.PredictedMs:0.###} (--target-latency; smallest widths over full, as the table predicts them)");
            AnsiConsole.Write(t);
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
