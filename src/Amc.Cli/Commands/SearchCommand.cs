using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amc.Data;
using Amc.Graph;
using Amc.Pruning;
using Amc.Reports;
using Amc.Search;
using Amc.Training;
using Spectre.Console;
using Amc.Files;
using Amc.Latency;
using Amc.Torch;

namespace Amc.Cli.Commands;

/// <summary>`amc search`: the AMC search (DDPG or random) with hand-crafted baselines, logs, plots and a summary.</summary>
public static class SearchCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Trained checkpoint to compress", Required = true };
        var output = new Option<string>("--out") { Description = "Folder for the log, state, policy, plots and summary", Required = true };
        var targetMacs = new Option<double?>("--target-macs") { Description = "MACs budget as a fraction of the original (default 0.5)" }.In(OptionRange.Fraction);
        var targetParams = new Option<double?>("--target-params") { Description = "Parameter budget as a fraction of the original" }.In(OptionRange.Fraction);
        var targetLatency = new Option<double?>("--target-latency") { Description = "Latency budget as a fraction of the original, as predicted by a per-layer ONNX Runtime latency table measured on this machine" }.In(OptionRange.Fraction);
        var latencyThreads = new Option<int>("--latency-threads") { Description = "ONNX Runtime threads for the latency table and the end-to-end check", DefaultValueFactory = _ => 1 }
            .In(OptionRange.Between(1, CommonOptions.MaxThreads));
        var mode = new Option<string>("--mode") { Description = "resource (budget wall, reward -error) or accuracy (no wall, reward -error*ln(resource))", DefaultValueFactory = _ => "resource" };
        mode.AcceptOnlyFromAmong("resource", "accuracy");
        var episodes = new Option<int>("--episodes") { Description = "Episodes, warm-up included", DefaultValueFactory = _ => 400 }.In(OptionRange.AtLeast(1));
        var warmup = new Option<int>("--warmup") { Description = "Warm-up episodes of random actions before DDPG learns", DefaultValueFactory = _ => 100 }.In(OptionRange.AtLeast(0));
        var sigmaDecay = new Option<double?>("--sigma-decay")
        {
            Description = "Fixed per-episode decay of the exploration noise sigma (from 0.5) after warm-up; 0.95 is the official code's (sigma < 0.01 after 77 learning episodes). Default: sigma falls from 0.5 to --final-sigma at the last episode",
        }.In(OptionRange.Fraction);
        var finalSigma = new Option<double?>("--final-sigma") { Description = "Exploration noise at the last episode when --sigma-decay is not given (default 0.05)" }.In(OptionRange.Between(1e-6, 0.5));
        var actorLr = new Option<double>("--actor-lr") { Description = "Adam learning rate of the DDPG actor (default 1e-5; the official code: 1e-4)", DefaultValueFactory = _ => 1e-5 }.In(OptionRange.Positive);
        var agent = new Option<string>("--agent") { Description = "ddpg (AMC) or random (random search, same episodes)", DefaultValueFactory = _ => "ddpg" };
        agent.AcceptOnlyFromAmong("ddpg", "random");
        var lbound = new Option<double>("--lbound") { Description = "Smallest keep ratio of a group", DefaultValueFactory = _ => 0.2 }.In(OptionRange.Fraction);
        var rbound = new Option<double>("--rbound") { Description = "Largest keep ratio of a group", DefaultValueFactory = _ => 1.0 }.In(OptionRange.Fraction);
        var top5 = new Option<bool>("--top5") { Description = "Reward on top-5 error instead of top-1" };
        var resume = new Option<bool>("--resume") { Description = "Continue the search saved in --out" };
        var noBaselines = new Option<bool>("--no-baselines") { Description = "Skip the uniform / deep / shallow baselines" };
        var engine = new Option<string>("--eval-engine") { Description = "Score candidates with ONNX Runtime (ort: 1.5x faster here, export and session creation included) or TorchSharp (torch)", DefaultValueFactory = _ => "ort" };
        engine.AcceptOnlyFromAmong("torch", "ort");
        var confirmTop = new Option<int>("--confirm-top")
        {
            Description = "Score the best K distinct policies again on held-out images the search did not score on (the rest of the default held-out split) and keep the best there; 0 = off",
            DefaultValueFactory = _ => 5,
        }.In(OptionRange.AtLeast(0));
        var rollouts = new Option<int>("--rollouts-per-round")
        {
            Description = "K: policies the agent proposes per round, scored together (concurrently with --eval-engine ort, one ORT thread each) before it learns from them in order; 1 = AMC",
            DefaultValueFactory = _ => 1,
        }.In(OptionRange.Between(1, 64));
        var workers = new Option<int?>("--workers")
        {
            Description = "Score on N local worker processes (Orleans silos, one thread each); K (--rollouts-per-round) defaults to N",
        }.In(OptionRange.Between(1, 64));
        var cluster = new Option<string?>("--cluster") { Description = "Score on the workers (`amc worker`) of the cluster in this config (JSON)" };
        var cmd = new Command("search", "AMC: search per-group keep ratios under a budget with DDPG, score without fine-tuning")
        {
            checkpoint, output, targetMacs, targetParams, targetLatency, latencyThreads, mode, episodes, warmup, sigmaDecay, finalSigma, actorLr, agent, lbound, rbound, top5, resume, noBaselines, engine, confirmTop, rollouts,
            workers, cluster,
        };
        PruningOptions.AddTo(cmd);
        DataOptions.AddTo(cmd);
        cmd.SetAction(p =>
        {
            CommonOptions.Apply(p);
            if (new[] { p.GetValue(targetMacs), p.GetValue(targetParams), p.GetValue(targetLatency) }.Count(t => t is not null) > 1)
                throw new UsageException("give one budget: --target-macs, --target-params or --target-latency");
            var resource = p.GetValue(targetParams) is not null ? Resource.Params
                : p.GetValue(targetLatency) is not null ? Resource.Latency : Resource.Macs;
            double target = p.GetValue(targetParams) ?? p.GetValue(targetLatency) ?? p.GetValue(targetMacs) ?? 0.5;
            int ortThreads = p.GetValue(latencyThreads);
            if (resource == Resource.Latency && p.GetValue(mode) == "accuracy")
                throw new UsageException("--target-latency is a budget; it needs --mode resource");
            int nEpisodes = p.GetValue(episodes), nWarmup = p.GetValue(warmup);
            if (p.GetValue(sigmaDecay) is not null && p.GetValue(finalSigma) is not null) throw new UsageException("give --sigma-decay or --final-sigma, not both");
            if (p.GetValue(workers) is not null && p.GetValue(cluster) is not null) throw new UsageException("give --workers (local workers) or --cluster (a cluster's workers), not both");
            int k = p.GetResult(rollouts) is null or { Implicit: true } && p.GetValue(workers) is int n ? n : p.GetValue(rollouts);
            var ddpg = new DdpgOptions { WarmupEpisodes = nWarmup, ActorLearningRate = p.GetValue(actorLr) };
            if (p.GetValue(sigmaDecay) is double decay) ddpg = ddpg with { SigmaDecay = decay };
            else ddpg = ddpg with { FinalSigma = p.GetValue(finalSigma) };
            var options = new SearchOptions
            {
                Mode = p.GetValue(mode) == "accuracy" ? SearchMode.Accuracy : SearchMode.Resource,
                Resource = resource, Target = target, LowerBound = p.GetValue(lbound), UpperBound = p.GetValue(rbound),
                Episodes = nEpisodes, Agent = p.GetValue(agent) == "random" ? AgentKind.Random : AgentKind.Ddpg,
                TopFive = p.GetValue(top5), Seed = p.GetValue(CommonOptions.Seed), Ddpg = ddpg, RolloutsPerRound = k,
            };
            if (options.LowerBound > options.UpperBound)
                throw new UsageException($"need --lbound <= --rbound, got {options.LowerBound} and {options.UpperBound}");
            var pruneOptions = PruningOptions.Read(p, reconstruct: true);
            string outDir = p.GetValue(output)!, ckPath = p.GetValue(checkpoint)!;
            var outputs = CommandOutputs.Of(p);
            outputs.Declare([new("--out", outDir), .. Files.Select(f => new OutputPaths.Named($"the {f} (in --out)", Path.Combine(outDir, f)))],
                [new("--checkpoint", ckPath), new("--data", p.GetValue(DataOptions.Data))]);
            if (File.Exists(outDir)) throw new UsageException($"--out {outDir} is a file; give a folder for the search's files");
            // Held until the outputs are committed: a second search on this folder is refused, not interleaved.
            outputs.CreateFolder(outDir);
            outputs.Track(Path.Combine(outDir, FolderLock.FileName));
            outputs.Hold(FolderLock.Acquire(outDir, "--out"));
            AtomicFile.RemoveStaleTempsIn(outDir);
            // A search that fails after saving its state keeps it, its log and its config: --resume continues from them.
            string statePath = Path.Combine(outDir, "search-state.safetensors");
            outputs.KeepTrackedWhen(() => File.Exists(statePath));
            var ck = Checkpoint.Load(ckPath).RequireFinite(ckPath);
            var graph = ChannelGraph.Build(ck.Network);
            bool json = p.GetValue(CommonOptions.Json);
            LatencyTableBuild? table = null;
            if (resource == Resource.Latency)
            {
                table = LatencyTableView.Build(ck.Network, graph, PruningEnvironment.ReachableWidths(graph, options, pruneOptions.Round),
                    new LatencyTableOptions(Threads: ortThreads), json);
                if (!json) AnsiConsole.MarkupLine(Markup.Escape("latency table: " + LatencyTableView.Describe(table)));
            }
            PruningEnvironment env;
            try { env = new PruningEnvironment(ck.Network, graph, options, pruneOptions.Round, table is null ? null : table.Table.PredictNanoseconds); }
            catch (InfeasibleBudgetException e) { throw new UsageException(e.Message); }
            if (p.GetValue(resume) && !File.Exists(statePath))
                throw new UsageException($"--resume: no search state in {outDir}; drop --resume to start a new search");
            if (!p.GetValue(resume) && File.Exists(statePath))
                throw new UsageException($"{outDir} already holds a search; add --resume to continue it or choose another --out");

            var data = DataOptions.OpenFor(p, ck);
            // The confirmation images (the rest of the default held-out split), then the test images, come later.
            int confirmImages = Math.Max(0, HeldOutSplit.DefaultSize(data.Train.Count) - data.Split.HeldOut.Length);
            PruningOptions.CheckMemory(p, ck, data, reconstruct: true, "searching", Math.Max(confirmImages, data.Test.Count));
            string fingerprint = Fingerprint(ckPath, options, pruneOptions, data, p.GetValue(engine)!, table?.File);
            outputs.Track(Path.Combine(outDir, "search-config.json"));
            outputs.Track(Path.Combine(outDir, "episodes.jsonl"));
            AtomicFile.WriteAllText(Path.Combine(outDir, "search-config.json"), JsonSerializer.Serialize(new
            {
                command = CommonOptions.CommandLine,
                checkpoint = ckPath, data = data.Train.Name, heldOut = data.Split.HeldOut.Length, heldOutHash = data.Split.Hash,
                search = options, pruning = pruneOptions, threads = p.GetValue(CommonOptions.Threads),
                latencyThreads = resource == Resource.Latency ? ortThreads : (int?)null, fingerprint,
            }, CliJson.Options));

            using var calibration = PruningOptions.Calibration(p, data);
            var pruner = PruningOptions.Pruner(p, ck, calibration);
            using var heldOut = new TensorBatches(data.Train, data.Split.HeldOut, 250);
            var builder = new CandidateBuilder(pruner, pruneOptions);
            using var distributed = p.GetValue(workers) is not null || p.GetValue(cluster) is not null
                ? DistributedScoring.Start(p.GetValue(workers), p.GetValue(cluster), WorkerScoring.Setup(p, fingerprint, ckPath, p.GetValue(engine)!),
                    line => { if (!json) AnsiConsole.MarkupLine(Markup.Escape(line)); })
                : null;
            var scorer = distributed?.Scorer ?? Scorer(builder, heldOut, p.GetValue(engine) == "ort");
            var runner = new SearchRunner(env, scorer, options, outDir, fingerprint);

            if (!json) AnsiConsole.MarkupLine($"[bold]amc search[/] {Markup.Escape(ck.Network.Name)}: {env.StepCount} groups, {options.Mode} mode, {resource} target {target:0.###}, agent {options.Agent}, {nEpisodes} episodes");
            pruner.Grams(pruneOptions.Seed);
            var best = SearchProgressView.Run(runner, options, p.GetValue(resume), json);
            var confirmed = Confirm(p.GetValue(confirmTop), runner, env, builder, data, p.GetValue(engine) == "ort", json);
            if (confirmed is not null) best = confirmed.Value.Best;

            var (results, latency) = Report(outDir, outputs, ck, env, builder, scorer, data, heldOut, options, best, confirmed?.Scored, runner,
                p.GetValue(noBaselines) || options.Mode == SearchMode.Accuracy, ckPath, pruneOptions, table, ortThreads);
            if (json)
                Console.WriteLine(JsonSerializer.Serialize(new { output = outDir, best, results, latency }, CliJson.Options));
            else
            {
                SearchProgressView.RenderResults(results, outDir);
                if (latency is not null) RenderLatency(latency);
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>
    /// The files a search writes in its --out folder (config.json aside: every command's resolved
    /// options are declared for it), checked against its inputs before it starts.
    /// </summary>
    static readonly string[] Files =
    [
        "episodes.jsonl", "search-state.safetensors", "search-config.json", "best-policy.json", "results.json", "summary.md",
        "reward.png", "policy.png", "accuracy-vs-macs.png", "actions.png", "ddpg.png", FolderLock.FileName,
    ];

    /// <summary>
    /// What a resumed search must share with the saved one. A latency budget's wall depends on the
    /// table's measured values, so they are part of it: a table measured again (its cache deleted,
    /// another machine) would change the wall halfway through.
    /// </summary>
    static string Fingerprint(string ckPath, SearchOptions o, PruneOptions po, DataOptions.Opened data, string engine, LatencyTableFile? tableFile)
    {
        using var sha = SHA256.Create();
        using (var f = File.OpenRead(ckPath)) sha.TransformBlock(SHA256.HashData(f), 0, 32, null, 0);
        if (tableFile is not null)
        {
            var measured = JsonSerializer.SerializeToUtf8Bytes(new { tableFile.Entries, tableFile.WholeNetworkMs, tableFile.SmallestNetworkMs });
            sha.TransformBlock(SHA256.HashData(measured), 0, 32, null, 0);
        }
        // Kept as it was before latency tables joined, so MAC and params searches saved then still resume.
        var text = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { o, po, data = data.Train.Name, data.Split.Hash, engine }));
        sha.TransformFinalBlock(text, 0, text.Length);
        return Convert.ToHexString(sha.Hash!)[..16];
    }

    static ICandidateScorer Scorer(CandidateBuilder builder, TensorBatches heldOut, bool onnxRuntime) =>
        onnxRuntime ? new OnnxCandidateScorer(builder, heldOut) : new TorchCandidateScorer(builder, heldOut);

    static void RenderLatency(IReadOnlyList<LatencyComparison> latency)
    {
        var t = new Table().Border(TableBorder.Rounded).Title("latency, ONNX Runtime, batch 1 (timed interleaved)");
        t.AddColumns("network", "table ms", "measured ms", "p10-p90 ms", "table error");
        foreach (var c in latency)
            t.AddRow(Markup.Escape(c.Name), $"{c.PredictedMs:F3}", $"{c.Measured.Median:F3}", $"{c.Measured.P10:F3}-{c.Measured.P90:F3}", $"{c.ErrorPercent:+0.0;-0.0}%");
        t.Caption($"best policy's speed-up: table {latency[0].PredictedMs / latency[1].PredictedMs:F2}x, measured {latency[0].Measured.Median / latency[1].Measured.Median:F2}x");
        AnsiConsole.Write(t);
    }

    /// <summary>
    /// The original and each policy's pruned network (the best first, then the baselines), predicted
    /// by the table and timed end to end: several networks the table had to interpolate show its error.
    /// </summary>
    static IReadOnlyList<LatencyComparison> MeasureLatency(Checkpoint ck, PruningEnvironment env, CandidateBuilder builder, LatencyTable table,
        IReadOnlyList<(string Name, Policy Widths)> policies, int threads)
    {
        var built = policies.Select(p => (p.Name, p.Widths, Built: builder.Build(p.Widths))).ToList();
        try
        {
            return LatencyCheck.Measure(
                built.Select(b => new LatencyCandidate(b.Name, b.Built.Pruned.Network, b.Built.Module.Tensors(), table.PredictMs(b.Widths)))
                    .Prepend(new LatencyCandidate("original", ck.Network, ck.Weights, table.PredictMs(env.Full)))
                    .ToList(), threads);
        }
        finally
        {
            foreach (var b in built) b.Built.Module.Dispose();
        }
    }

    /// <summary>
    /// Re-scores the log's best K policies on the images of the default held-out split that this
    /// search did not score on (none when it scored on all of them: then null).
    /// </summary>
    static (BestPolicy Best, IReadOnlyList<ConfirmedPolicy> Scored)? Confirm(int k, SearchRunner runner, PruningEnvironment env,
        CandidateBuilder builder, DataOptions.Opened data, bool onnxRuntime, bool quiet)
    {
        if (k == 0) return null;
        var wider = HeldOutSplit.Create(data.Train.Count, data.Split.Seed);
        var fresh = wider.HeldOut.Except(data.Split.HeldOut).ToArray();
        if (fresh.Length == 0) return null;
        if (!quiet) AnsiConsole.MarkupLine(Markup.Escape($"confirming the best {k} policies on {fresh.Length} held-out images the search did not score on"));
        using var batches = new TensorBatches(data.Train, fresh, 250);
        var confirm = Scorer(builder, batches, onnxRuntime);
        return TopPolicyConfirmation.Choose(SearchRunner.ReadLog(runner.LogPath), env, confirm, k);
    }

    static (List<PolicyResult> Results, IReadOnlyList<LatencyComparison>? Latency) Report(string outDir, CommandOutputs outputs, Checkpoint ck, PruningEnvironment env, CandidateBuilder builder, ICandidateScorer scorer, DataOptions.Opened data, TensorBatches heldOut,
        SearchOptions options, BestPolicy best, IReadOnlyList<ConfirmedPolicy>? confirmed, SearchRunner runner, bool skipBaselines, string ckPath, PruneOptions pruneOptions,
        LatencyTableBuild? table, int latencyThreads)
    {
        var (origMacs, origParams) = env.Cost(env.Full);
        using var test = new TensorBatches(data.Test, data.Test.AllIndices(), 250);
        PolicyResult Result(string name, Policy widths, double heldOutTop1)
        {
            var (pruned, module) = builder.Build(widths);
            using (module)
            {
                var t = Evaluator.Evaluate(module, test);
                var cost = CostModel.Of(pruned.Network);
                return new PolicyResult(name, widths.StepWidths(env.Steps), cost.Macs, cost.Params,
                    (double)cost.Macs / origMacs, (double)cost.Params / origParams, heldOutTop1, t.Top1, t.Top5);
            }
        }
        var results = new List<PolicyResult>();
        using (var original = ck.ToModule())
        {
            var ho = Evaluator.Evaluate(original, heldOut);
            var t = Evaluator.Evaluate(original, test);
            results.Add(new PolicyResult("original", env.Steps.Select(g => g.Channels).ToArray(), origMacs, origParams, 1, 1, ho.Top1, t.Top1, t.Top5));
        }
        if (!skipBaselines)
            foreach (var name in Baselines.Names)
            {
                var widths = Baselines.Policy(name, env, options);
                results.Add(Result(name, widths, scorer.Score(widths).HeldOut.Top1));
            }
        string agentName = options.Agent == AgentKind.Random ? "random search" : "AMC (DDPG)";
        results.Add(Result(confirmed is null ? $"{agentName}, best of {options.Episodes}" : $"{agentName}, best of {options.Episodes} (top {confirmed.Count} re-scored)",
            best.Widths, best.Top1));

        var policy = PruningPolicy.From(best.Widths, builder.Pruner.Graph, ck.Info.Model, env.Round);
        policy.Save(outputs.Stage(Path.Combine(outDir, "best-policy.json")));
        var latency = table is null ? null : MeasureLatency(ck, env, builder, table.Table,
            results.Skip(1).Select(r => (r.Name == results[^1].Name ? "best" : r.Name, env.FromSteps(r.Channels))).Reverse().ToList(), latencyThreads);
        object? latencyJson = table is null ? null : new
        {
            table = new { path = table.CachePath, entries = table.Table.Entries.Count, fromCache = table.FromCache, buildSeconds = table.File.BuildSeconds, overheadMs = table.Table.OverheadMs, scale = table.Table.Scale, threads = latencyThreads },
            networks = latency!.Select(c => new { c.Name, c.PredictedMs, measuredMs = c.Measured.Median, measured = c.Measured, c.ErrorPercent }),
        };
        AtomicFile.WriteAllText(outputs.Stage(Path.Combine(outDir, "results.json")), JsonSerializer.Serialize(new { best, confirmed, results, latency = latencyJson }, CliJson.Options));

        var episodes = SearchRunner.ReadLog(runner.LogPath);
        var groupNames = env.Steps.Select(g => g.Name).ToList();
        SearchPlots.Rewards(episodes, outputs.Stage(Path.Combine(outDir, "reward.png")));
        var keeps = results.Skip(1).ToDictionary(r => r.Name, r => r.Channels.Select((c, i) => (double)c / env.Steps[i].Channels).ToArray());
        SearchPlots.Policies(groupNames, keeps, outputs.Stage(Path.Combine(outDir, "policy.png")));
        SearchPlots.AccuracyVsMacs(episodes, results.Skip(1).ToDictionary(r => r.Name, r => (r.MacsFraction, r.HeldOutTop1)), outputs.Stage(Path.Combine(outDir, "accuracy-vs-macs.png")));
        SearchPlots.Actions(episodes, groupNames, outputs.Stage(Path.Combine(outDir, "actions.png")));
        var plots = new List<string> { "reward.png", "policy.png", "accuracy-vs-macs.png", "actions.png" };
        // Staged only when there is something to draw: a staged file must exist when the outputs are committed.
        if (episodes.Any(e => e.CriticLoss is not null))
        {
            SearchPlots.Ddpg(episodes, outputs.Stage(Path.Combine(outDir, "ddpg.png")));
            plots.Add("ddpg.png");
        }

        var settings = new Dictionary<string, string>
        {
            ["base checkpoint"] = ckPath,
            ["data"] = $"{data.Train.Name}; held-out {data.Split.HeldOut.Length} training images (split hash {data.Split.Hash}); test {data.Test.Count}",
            ["mode / budget"] = $"{options.Mode}, {options.Resource} <= {options.Target:0.###} of original" +
                (table is null ? "" : " (predicted by the latency table)"),
            ["agent"] = $"{options.Agent}, {options.Episodes} episodes ({options.Ddpg.WarmupEpisodes} warm-up)" + (options.Agent == AgentKind.Ddpg
                ? $", exploration sigma {options.Ddpg.InitialSigma} x {options.Ddpg.Decay(options.Episodes):0.####}^k (last episode {options.Ddpg.Sigma(options.Episodes - 1, options.Episodes):0.###})" : ""),
            ["action range"] = $"keep ratio in [{options.LowerBound}, {options.UpperBound}], channels rounded to multiples of {pruneOptions.Round}",
            ["scoring"] = $"{pruneOptions.Criterion} selection, least squares {(pruneOptions.Reconstruct ? "on" : "off")}, BN re-estimation {(pruneOptions.RecalibrateBatchNorm ? "on" : "off")}, reward {(options.TopFive ? "top-5" : "top-1")}",
            ["best episode"] = confirmed is null ? $"{best.Episode}"
                : $"{best.Episode}, the best of the top {confirmed.Count} policies re-scored on held-out images the search did not score on: " +
                  string.Join(", ", confirmed.Select(c => $"ep {c.Episode} {100 * c.HeldOutTop1:F2} -> {100 * c.ConfirmTop1:F2} %")),
            ["seed"] = $"{options.Seed}",
            ["machine"] = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}",
        };
        if (table is not null)
        {
            settings["latency table"] = $"{LatencyTableView.Describe(table)}; {latencyThreads} ORT thread(s)";
            foreach (var c in latency!)
                settings[$"latency, {c.Name}"] = $"table {c.PredictedMs:F3} ms, measured {c.Measured.Median:F3} ms (p10-p90 {c.Measured.P10:F3}-{c.Measured.P90:F3}), table error {c.ErrorPercent:+0.0;-0.0} %";
            settings["latency speed-up"] = $"table {latency[0].PredictedMs / latency[1].PredictedMs:F2}x, measured {latency[0].Measured.Median / latency[1].Measured.Median:F2}x (ONNX Runtime, batch 1, timed interleaved)";
        }
        var md = SearchSummary.Markdown($"amc search: {ck.Network.Name}", settings, results, env.Steps.Select(g => (g.Name, g.Channels)).ToList(), episodes,
            plots);
        AtomicFile.WriteAllText(outputs.Stage(Path.Combine(outDir, "summary.md")), md);
        return (results, latency);
    }
}
