using System.CommandLine;
using System.Text.Json;
using Amc.Files;
using Amc.Search;
using Amc.Sessions;
using Spectre.Console;

namespace Amc.Cli.Commands;

/// <summary>`amc search`: the options of a <see cref="SearchSession"/> (the AMC search with hand-crafted baselines, logs, plots and a summary), its output folder kept safe, and its results shown.</summary>
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
        var mode = new Option<string>("--mode")
        {
            Description = "resource (budget wall, reward -error), accuracy (no wall, reward -error*ln(resource)) or sparsity (fine-grained: a fraction of weights kept " +
                "per conv/linear layer under a --target-params wall on non-zero parameters, reward -error*ln(non-zero params))",
            DefaultValueFactory = _ => "resource",
        };
        mode.AcceptOnlyFromAmong("resource", "accuracy", "sparsity");
        var episodes = new Option<int>("--episodes") { Description = "Episodes, warm-up included", DefaultValueFactory = _ => 400 }.In(OptionRange.AtLeast(1));
        var warmup = new Option<int>("--warmup") { Description = "Warm-up episodes of random actions before DDPG learns", DefaultValueFactory = _ => 100 }.In(OptionRange.AtLeast(0));
        var sigmaDecay = new Option<double?>("--sigma-decay")
        {
            Description = "Fixed per-episode decay of the exploration noise sigma (from 0.5) after warm-up; 0.95 is the official code's (sigma < 0.01 after 77 learning episodes). Default: sigma falls from 0.5 to --final-sigma at the last episode",
        }.In(OptionRange.Fraction);
        var finalSigma = new Option<double?>("--final-sigma") { Description = "Exploration noise at the last episode when --sigma-decay is not given (default 0.05)" }.In(OptionRange.Between(1e-6, 0.5));
        var actorLr = new Option<double>("--actor-lr") { Description = "Adam learning rate of the DDPG actor (default 1e-5; the official code: 1e-4)", DefaultValueFactory = _ => 1e-5 }.In(OptionRange.Positive);
        var replayedAction = new Option<string>("--replayed-action")
        {
            Description = "Action DDPG's critic learns from: raw (the actor's output, as the official code) or realised (the keep ratio after rounding and the budget wall; experimental)",
            DefaultValueFactory = _ => "raw",
        };
        replayedAction.AcceptOnlyFromAmong("realised", "raw");
        var twinCritics = new Option<bool>("--twin-critics")
        {
            Description = "DDPG with two critics and the smaller of their values in the critic's target (TD3's clipped double Q), against the single critic's over-estimates; experimental",
        };
        var td3 = new Option<bool>("--td3")
        {
            Description = "TD3 in full: twin critics, the actor and targets updated every second step, noise (sigma 0.1) on the target action; experimental",
        };
        var balancedRandom = new Option<bool>("--balanced-random")
        {
            Description = "Random keep ratios (DDPG's warm-up, --agent random) centred on the uniform policy's instead of the middle of [lbound, rbound], so random episodes do not spend the budget in the first groups; experimental",
        };
        var agent = new Option<string>("--agent") { Description = "ddpg (AMC) or random (random search, same episodes)", DefaultValueFactory = _ => "ddpg" };
        agent.AcceptOnlyFromAmong("ddpg", "random");
        var lbound = new Option<double>("--lbound") { Description = "Smallest keep ratio of a group (--mode sparsity: of a layer's weights, default 0.05)", DefaultValueFactory = _ => 0.2 }.In(OptionRange.Fraction);
        var rbound = new Option<double>("--rbound") { Description = "Largest keep ratio of a group", DefaultValueFactory = _ => 1.0 }.In(OptionRange.Fraction);
        var top5 = new Option<bool>("--top5") { Description = "Reward on top-5 error instead of top-1 (--reward accuracy)" };
        var reward = RewardOption();
        var resume = new Option<bool>("--resume") { Description = "Continue the search saved in --out" };
        var noBaselines = new Option<bool>("--no-baselines") { Description = "Skip the uniform / deep / shallow baselines" };
        var int8 = new Option<bool>("--int8")
        {
            Description = "Search for the network amc quantize will deploy: candidates scored as int8 networks in ONNX Runtime and, under --target-latency, an int8 latency table",
        };
        var mixedPrecision = new Option<bool>("--mixed-precision")
        {
            Description = "Each group also chooses its precision, int8 or float, for the layers making its channels, next to its width (implies --int8; needs --target-latency): both latency tables are measured, candidates are scored as the mixed network",
        };
        var engine = new Option<string>("--eval-engine") { Description = "Score candidates with ONNX Runtime (ort: 1.5x faster here, export and session creation included) or TorchSharp (torch)", DefaultValueFactory = _ => "ort" };
        engine.AcceptOnlyFromAmong("torch", "ort");
        var confirmTop = new Option<int>("--confirm-top")
        {
            Description = "Score the best K distinct policies again on held-out images the search did not score on (the rest of the default held-out split) and keep the best there; 0 = off",
            DefaultValueFactory = _ => 5,
        }.In(OptionRange.AtLeast(0));
        var warmStart = new Option<bool?>("--warm-start")
        {
            Description = "The first warm-up episodes take the hand-crafted policies (uniform, deep, shallow; all int8 in a mixed-precision search) " +
                "instead of random actions, so the agent learns from them and the search never ends below them on its own scores " +
                "(default: on with --mixed-precision, where all-int8 policies are hard to find by chance; off otherwise; --warm-start false turns it off)",
        };
        var measureTop = new Option<int>("--measure-top")
        {
            Description = "Under --target-latency: time the best N distinct policies end to end before one is chosen, and choose only among those within the budget " +
                "when measured (the latency table can underrate what the search finds); 0 = off (the table alone decides; the result then depends on the seed only)",
            DefaultValueFactory = _ => 20,
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
        var asynchronous = new Option<bool>("--async")
        {
            Description = "With --workers or --cluster: no rounds; K policies are always being scored, and the agent learns from each score as it arrives " +
                "and proposes the next one (for workers of uneven speed; the search then depends on the timing and is not reproducible)",
        };
        var cmd = new Command("search", "AMC: search per-group keep ratios under a budget with DDPG, score without fine-tuning")
        {
            checkpoint, output, targetMacs, targetParams, targetLatency, latencyThreads, mode, episodes, warmup, sigmaDecay, finalSigma, actorLr, replayedAction, twinCritics, td3, balancedRandom, agent, lbound, rbound, top5, reward, resume, noBaselines, engine, int8, mixedPrecision, warmStart, confirmTop, measureTop, rollouts,
            workers, cluster, asynchronous,
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
            if (p.GetValue(sigmaDecay) is not null && p.GetValue(finalSigma) is not null) throw new UsageException("give --sigma-decay or --final-sigma, not both");
            if (p.GetValue(workers) is not null && p.GetValue(cluster) is not null) throw new UsageException("give --workers (local workers) or --cluster (a cluster's workers), not both");
            if (p.GetValue(asynchronous) && p.GetValue(workers) is null && p.GetValue(cluster) is null) throw new UsageException("--async scores on workers: give --workers or --cluster");
            // Workers read only the checkpoint and data they serve; a class list is another file.
            if ((p.GetValue(workers) is not null || p.GetValue(cluster) is not null) && p.GetValue(DataOptions.Classes) is not null)
                throw new UsageException("--classes cannot be used with --workers or --cluster yet (workers read only the paths they serve); rename the class folders or search in one process");
            bool sparse = p.GetValue(mode) == "sparsity";
            if (sparse)
            {
                if (p.GetValue(targetParams) is null) throw new UsageException("--mode sparsity needs --target-params F: the non-zero parameters kept, as a fraction of the original (e.g. 0.2)");
                if (p.GetValue(workers) is not null || p.GetValue(cluster) is not null) throw new UsageException("--mode sparsity scores in this process: drop --workers / --cluster");
                if (p.GetValue(balancedRandom)) throw new UsageException("--balanced-random centres on the uniform channel policy: drop it with --mode sparsity");
                if (p.GetValue(reward) != "accuracy") throw new UsageException("--mode sparsity is rewarded on accuracy only: drop --reward");
            }
            bool mixed = p.GetValue(mixedPrecision);
            // Its range would bound the precision actions too, which a mixed search draws in the same stream.
            if (mixed && p.GetValue(balancedRandom)) throw new UsageException("--balanced-random centres the width actions only: drop it with --mixed-precision");
            if (mixed && (sparse || resource != Resource.Latency))
                throw new UsageException("--mixed-precision trades int8 against width under a latency budget: give --target-latency F (and not --mode sparsity)");
            int k = p.GetResult(rollouts) is null or { Implicit: true } && p.GetValue(workers) is int n ? n : p.GetValue(rollouts);
            var ddpg = new DdpgOptions
            {
                WarmupEpisodes = p.GetValue(warmup), ActorLearningRate = p.GetValue(actorLr),
                ReplayedAction = p.GetValue(replayedAction) == "raw" ? ReplayedAction.Raw : ReplayedAction.Realised,
                TwinCritics = p.GetValue(twinCritics),
            };
            if (p.GetValue(td3)) ddpg = ddpg.WithTd3();
            if (p.GetValue(sigmaDecay) is double decay) ddpg = ddpg with { SigmaDecay = decay };
            else ddpg = ddpg with { FinalSigma = p.GetValue(finalSigma) };
            string outDir = p.GetValue(output)!, ckPath = p.GetValue(checkpoint)!;
            var settings = new SearchSettings
            {
                Checkpoint = ckPath, OutputFolder = outDir, Data = DataOptions.Settings(p),
                Search = new SearchOptions
                {
                    Mode = sparse ? SearchMode.Sparsity : p.GetValue(mode) == "accuracy" ? SearchMode.Accuracy : SearchMode.Resource,
                    Resource = resource, Target = target, UpperBound = p.GetValue(rbound),
                    // A fifth of the weights per layer would leave a 20 % budget one policy: fine-grained pruning goes further.
                    LowerBound = sparse && p.GetResult(lbound) is null or { Implicit: true } ? 0.05 : p.GetValue(lbound),
                    Episodes = p.GetValue(episodes), Agent = p.GetValue(agent) == "random" ? AgentKind.Random : AgentKind.Ddpg,
                    TopFive = p.GetValue(top5), Reward = RewardKindOf(p.GetValue(reward)!), Seed = p.GetValue(CommonOptions.Seed), Ddpg = ddpg, RolloutsPerRound = k,
                    Asynchronous = p.GetValue(asynchronous), MixedPrecision = mixed, WarmStart = p.GetValue(warmStart) ?? mixed, BalancedRandom = p.GetValue(balancedRandom),
                },
                Pruning = PruningOptions.Read(p, reconstruct: true), Calibration = PruningOptions.Calibration(p),
                Engine = p.GetValue(engine) == "ort" ? ScoringEngine.OnnxRuntime : ScoringEngine.Torch,
                ConfirmTop = p.GetValue(confirmTop), MeasureTop = p.GetValue(measureTop), Baselines = !p.GetValue(noBaselines), LatencyThreads = p.GetValue(latencyThreads), Int8 = p.GetValue(int8) || mixed,
                Resume = p.GetValue(resume), CommandLine = CommonOptions.CommandLine,
            };

            var outputs = CommandOutputs.Of(p);
            outputs.Declare([new("--out", outDir), .. Files.Select(f => new OutputPaths.Named($"the {f} (in --out)", Path.Combine(outDir, f)))],
                [new("--checkpoint", ckPath), new("--data", p.GetValue(DataOptions.Data))]);
            if (File.Exists(outDir)) throw new UsageException($"--out {outDir} is a file; give a folder for the search's files");
            // Held until the outputs are committed: a second search on this folder is refused, not interleaved.
            outputs.CreateFolder(outDir);
            outputs.Track(Path.Combine(outDir, FolderLock.FileName));
            outputs.Hold(FolderLock.Acquire(outDir, "--out"));
            AtomicFile.RemoveStaleTempsIn(outDir);
            // The session writes its log and config as it goes (not staged). A search that fails after
            // saving its state keeps them: --resume continues from them.
            outputs.Track(Path.Combine(outDir, SearchSession.ConfigFile));
            outputs.Track(Path.Combine(outDir, SearchSession.LogFile));
            outputs.KeepTrackedWhen(() => File.Exists(Path.Combine(outDir, SearchSession.StateFile)));

            bool json = p.GetValue(CommonOptions.Json);
            if (sparse)
            {
                var sparseResult = SearchProgressView.RunSparsity(settings, outputs.Stage, json);
                if (json)
                    Console.WriteLine(JsonSerializer.Serialize(new { output = outDir, metric = sparseResult.Metric, best = sparseResult.Best, results = sparseResult.Results, sparseOnnxBytes = sparseResult.SparseOnnxBytes, policy = sparseResult.Policy }, ResultJson.Options));
                else
                    SearchProgressView.RenderSparsityResults(sparseResult, settings.Search);
                return ExitCodes.Ok;
            }
            bool distributed = p.GetValue(workers) is not null || p.GetValue(cluster) is not null;
            DistributedScoring? scoring = null;
            SearchResult result;
            try
            {
                Func<string, SearchScoring, ICandidateScorer>? onWorkers = !distributed ? null : (fingerprint, here) =>
                {
                    var setup = WorkerScoring.Setup(p, fingerprint, ckPath, p.GetValue(engine)!, p.GetValue(reward)!, p.GetValue(int8) || mixed, mixed);
                    // Local workers read this process's Gram matrices: collected once with every
                    // core, not once per worker on one core each beside this process's own.
                    if (p.GetValue(workers) is not null)
                    {
                        string grams = AtomicFile.TempPath(Path.Combine(outDir, "worker-grams.safetensors"));
                        here.Pruner.Grams(settings.Pruning.Seed).Save(grams, setup.Key);
                        setup = setup with { Grams = grams };
                    }
                    return (scoring = DistributedScoring.Start(p.GetValue(workers), p.GetValue(cluster), setup,
                        line => { if (!json) AnsiConsole.MarkupLine(Markup.Escape(line)); })).Scorer;
                };
                result = SearchProgressView.Run(settings, outputs.Stage, json, onWorkers, distributed ? () => scoring?.Scorer.Workers() ?? [] : null);
            }
            finally
            {
                scoring?.Dispose();
            }
            if (json)
                Console.WriteLine(JsonSerializer.Serialize(new { output = outDir, metric = result.Metric, best = result.Best, results = result.Results, latency = result.Latency, latencyWarning = result.Latency?[0].StaleWarning(), budgetCheck = result.Screen }, ResultJson.Options));
            else
                SearchProgressView.RenderResults(result, settings.Search);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>--reward: what a candidate's score measures (<see cref="RewardKind"/>).</summary>
    public static Option<string> RewardOption()
    {
        var option = new Option<string>("--reward")
        {
            Description = "What the search maximises: accuracy (on the data's labels, the default), agreement (top-1 agreement with the unpruned network: " +
                "no labels needed) or fidelity (relative error of the outputs against the unpruned network's: for feature extractors)",
            DefaultValueFactory = _ => "accuracy",
        };
        option.AcceptOnlyFromAmong("accuracy", "agreement", "fidelity");
        return option;
    }

    public static RewardKind RewardKindOf(string name) => name switch
    {
        "agreement" => RewardKind.Agreement,
        "fidelity" => RewardKind.Fidelity,
        _ => RewardKind.Accuracy,
    };

    /// <summary>
    /// The files a search writes in its --out folder (config.json aside: every command's resolved
    /// options are declared for it), checked against its inputs before it starts.
    /// </summary>
    static readonly string[] Files = [.. SearchSession.Files, FolderLock.FileName];
}
