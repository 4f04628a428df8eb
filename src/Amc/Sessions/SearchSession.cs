using System.Text.Json;
using Amc.Data;
using Amc.Files;
using Amc.Graph;
using Amc.Host;
using Amc.Latency;
using Amc.Onnx;
using Amc.Pruning;
using Amc.Quantization;
using Amc.Reports;
using Amc.Search;
using Amc.Torch;
using Amc.Training;

namespace Amc.Sessions;

/// <summary>
/// An AMC search from a checkpoint to its best policy, its files and a comparison with the
/// hand-crafted baselines: <see cref="Run"/> in one call, or <see cref="Open"/>, <see cref="Search"/>
/// and <see cref="Finish"/> for a caller that shows each phase its own way (the CLI's progress bars).
/// A search stopped after an episode continues with <see cref="SearchSettings.Resume"/>.
/// </summary>
public sealed class SearchSession : IDisposable
{
    public const string LogFile = "episodes.jsonl", StateFile = "search-state.safetensors", ConfigFile = "search-config.json";

    /// <summary>Every file a search writes in its output folder.</summary>
    public static readonly string[] Files =
    [
        LogFile, StateFile, ConfigFile, "best-policy.json", "results.json", "summary.md",
        "reward.png", "policy.png", "accuracy-vs-macs.png", "actions.png", "ddpg.png",
    ];

    public SearchSettings Settings { get; }
    public Checkpoint Checkpoint { get; }
    public PruningEnvironment Environment { get; }
    /// <summary>The table that predicts latency under a latency budget; null for MACs and params. In a
    /// mixed-precision search the float table, next to <see cref="Int8LatencyTable"/>.</summary>
    public LatencyTableBuild? LatencyTable { get; }
    /// <summary>A mixed-precision search's int8 table; null otherwise.</summary>
    public LatencyTableBuild? Int8LatencyTable { get; }
    /// <summary>Said before the first episode: a cached table that no longer matches this machine (<see cref="CachedTableWarning"/>).</summary>
    public IReadOnlyList<string> StaleTableWarnings { get; }
    public OpenedData Data { get; }
    /// <summary>What a resumed search must share with the saved one (<see cref="SearchFingerprint"/>).</summary>
    public string Fingerprint { get; }

    readonly SearchScoring scoring;
    readonly ICandidateScorer scorer;
    readonly SearchRunner runner;
    BestPolicy? best;

    readonly Func<Policy, double>? predictMs;

    SearchSession(SearchSettings settings, Checkpoint ck, PruningEnvironment env, LatencyTableBuild? table, LatencyTableBuild? int8Table,
        Func<Policy, double>? predictMs, OpenedData data, string fingerprint, Func<string, SearchScoring, ICandidateScorer>? scorerFor, IReadOnlyList<string> staleTableWarnings)
    {
        StaleTableWarnings = staleTableWarnings;
        Settings = settings;
        Checkpoint = ck;
        Environment = env;
        LatencyTable = table;
        Int8LatencyTable = int8Table;
        this.predictMs = predictMs;
        Data = data;
        Fingerprint = fingerprint;
        scoring = new SearchScoring(ck, data, settings.Calibration, settings.Pruning, settings.Engine, settings.Search.Reward, settings.Int8, settings.Search.MixedPrecision);
        scorer = scorerFor?.Invoke(fingerprint, scoring) ?? scoring.Scorer();
        runner = new SearchRunner(env, scorer, settings.Search, settings.OutputFolder, fingerprint);
    }

    /// <summary>
    /// A table read from the cache, checked against the unpruned network timed now: its warning
    /// (<see cref="LatencyComparison.StaleWarning"/>) before the search spends its episodes on a
    /// budget in the table's terms, as well as after it. A table this run measured needs no check.
    /// </summary>
    static string? CachedTableWarning(LatencyTableBuild? build, Checkpoint ck, int threads)
    {
        if (build is not { FromCache: true }) return null;
        bool int8 = build.File.Key.Int8;
        var measured = LatencyCheck.Time([(ck.Network, (IReadOnlyDictionary<string, TorchSharp.torch.Tensor>)ck.Weights)], threads, warmup: 10, repeats: 50, int8)[0];
        return new LatencyComparison("original", build.Table.WholeNetworkMs, measured).StaleWarning() is { } warning
            ? (int8 ? "the int8 table: " : "") + warning : null;
    }

    /// <summary>The whole search: open, run every episode, confirm, score the baselines and write the files.</summary>
    public static SearchResult Run(SearchSettings settings, Action<SearchProgress>? progress = null)
    {
        using var session = Open(settings);
        session.Search(progress);
        return session.Finish();
    }

    /// <summary>
    /// Loads the checkpoint and the data, builds the latency table (under a latency budget) and the
    /// environment, checks the resume and the memory, and writes search-config.json.
    /// </summary>
    /// <param name="scorerFor">
    /// Scores the agent's candidates elsewhere (e.g. on distributed workers), given the search's
    /// fingerprint and this process's scoring (whose Gram matrices local workers may read instead
    /// of collecting their own); null: here, with <see cref="SearchSettings.Engine"/>. The
    /// baselines' held-out scores come from it too; the confirmation of the top policies and the
    /// test evaluation always run here.
    /// </param>
    public static SearchSession Open(SearchSettings settings, Action<LatencyTableProgress>? tableProgress = null,
        Func<string, SearchScoring, ICandidateScorer>? scorerFor = null)
    {
        MallocTuning.Apply();
        var options = settings.Search;
        if (options.Mode == SearchMode.Sparsity) throw new SettingsException("a fine-grained sparsity search is a SparsitySearchSession (amc search --mode sparsity)");
        if (options.Resource == Resource.Latency && options.Mode == SearchMode.Accuracy)
            throw new SettingsException("--target-latency is a budget; it needs --mode resource");
        if (options.TopFive && options.Reward != RewardKind.Accuracy)
            throw new SettingsException($"--top5 is for --reward accuracy; --reward {options.Reward.ToString().ToLowerInvariant()} has no top-5 form");
        if (options.WarmStart && options.Mode != SearchMode.Resource)
            throw new SettingsException("--warm-start begins with the hand-crafted policies of a budget; it needs --mode resource");
        if (options.LowerBound > options.UpperBound)
            throw new SettingsException($"need --lbound <= --rbound, got {options.LowerBound} and {options.UpperBound}");
        // The scorers of this process score one policy per call; only workers take several calls at once.
        if (options.Asynchronous && scorerFor is null)
            throw new SettingsException("an asynchronous search scores on workers: give --workers or --cluster");
        string ckPath = settings.Checkpoint, outDir = settings.OutputFolder;
        var ck = Checkpoint.Load(ckPath).RequireFinite(ckPath);
        var graph = ChannelGraph.Build(ck.Network);
        if (options.MixedPrecision && (!settings.Int8 || options.Resource != Resource.Latency))
            throw new SettingsException("a mixed-precision search scores int8 networks under a latency budget: give --target-latency F");
        LatencyTableBuild? table = null, int8Table = null;
        Func<Policy, double>? predictMs = null;
        if (options.Resource == Resource.Latency)
        {
            var reachable = PruningEnvironment.ReachableWidths(graph, options, settings.Pruning.Round);
            // A mixed-precision search predicts from the float and the int8 table of the network.
            table = LatencyTableBuilder.Build(ck.Network, graph, reachable,
                new LatencyTableOptions(Threads: settings.LatencyThreads, Int8: settings.Int8 && !options.MixedPrecision), tableProgress);
            if (options.MixedPrecision)
            {
                int8Table = LatencyTableBuilder.Build(ck.Network, graph, reachable, new LatencyTableOptions(Threads: settings.LatencyThreads, Int8: true), tableProgress);
                predictMs = new MixedPrecisionLatency(table.Table, int8Table.Table, ck.Network, graph).PredictMs;
            }
            else predictMs = table.Table.PredictMs;
        }
        var staleTables = new[] { table, int8Table }.Select(b => CachedTableWarning(b, ck, settings.LatencyThreads)).OfType<string>().ToList();
        PruningEnvironment env;
        try
        {
            env = new PruningEnvironment(ck.Network, graph, options, settings.Pruning.Round,
                predictMs is null ? null : p => Amc.Latency.LatencyTable.Nanoseconds(predictMs(p)));
        }
        catch (InfeasibleBudgetException e) { throw new SettingsException(e.Message); }
        string statePath = Path.Combine(outDir, StateFile);
        if (settings.Resume && !File.Exists(statePath))
            throw new SettingsException($"--resume: no search state in {outDir}; drop --resume to start a new search");
        if (!settings.Resume && File.Exists(statePath))
            throw new SettingsException($"{outDir} already holds a search; add --resume to continue it or choose another --out");

        var data = OpenedData.OpenFor(settings.Data, ck);
        if (!data.HasLabels && options.Reward == RewardKind.Accuracy)
            throw new SettingsException($"{data.Train.Name} has no labels (images without class sub-folders), so accuracy cannot be measured; " +
                "search with --reward agreement (top-1 agreement with the unpruned network) or --reward fidelity (relative error of its outputs)");
        // The confirmation images, then the test images, come later.
        int confirmImages = data.UnscoredHeldOut().Length;
        PruningMemory.Ensure(ck, data, settings.Calibration.Images, settings.Pruning.Reconstruct, "searching", Math.Max(confirmImages, data.Test.Count));
        string fingerprint = SearchFingerprint.Of(ckPath, options, settings.Pruning, data, settings.Engine, table?.File, settings.Int8, int8Table?.File);
        Directory.CreateDirectory(outDir);
        AtomicFile.WriteAllText(Path.Combine(outDir, ConfigFile), JsonSerializer.Serialize(new
        {
            command = settings.CommandLine,
            checkpoint = ckPath, data = data.Train.Name, heldOut = data.Split.HeldOut.Length, heldOutHash = data.Split.Hash,
            search = options, pruning = settings.Pruning, threads = TorchSharp.torch.get_num_threads(),
            latencyThreads = table is null ? (int?)null : settings.LatencyThreads, int8 = settings.Int8, fingerprint,
        }, ResultJson.Options));
        return new SearchSession(settings, ck, env, table, int8Table, predictMs, data, fingerprint, scorerFor, staleTables);
    }

    /// <summary>Runs the episodes (the remaining ones when resuming); returns the best policy by held-out reward.</summary>
    public BestPolicy Search(Action<SearchProgress>? progress = null)
    {
        scoring.Pruner.Grams(Settings.Pruning.Seed);
        best = runner.Run(Settings.Resume, progress);
        return best;
    }

    /// <summary>
    /// Confirms the top policies, scores the original and the baselines, measures latency (under a
    /// latency budget) and writes best-policy.json, results.json, the plots and summary.md.
    /// </summary>
    /// <param name="stage">
    /// The path to write each of those files to, given its place in the output folder (the CLI
    /// stages them and renames them there when the whole command succeeded); null: the place itself.
    /// </param>
    /// <param name="note">Told what a long step is doing.</param>
    public SearchResult Finish(Func<string, string>? stage = null, Action<string>? note = null)
    {
        var chosen = best ?? throw new InvalidOperationException("Search must run before Finish");
        var episodes = SearchRunner.ReadLog(runner.LogPath);
        var screen = Screen(episodes, note);
        var eligible = screen is null ? episodes : episodes.Where(e => screen.Eligible.Contains(e.Episode)).ToList();
        var confirmed = Confirm(eligible, note);
        if (confirmed is not null) chosen = confirmed.Value.Best;
        else if (screen is { Timed.Count: > 0 })
        {
            // No confirmation: the best reward among the policies that met the budget when timed.
            var e = TopPolicyConfirmation.Top(eligible, Environment, 1)[0];
            chosen = BestPolicy.Of(e, Environment.FromSteps(e.Channels));
        }
        var results = Compare(chosen, confirmed?.Scored);
        var policy = PruningPolicy.From(chosen.Widths, scoring.Pruner.Graph, Checkpoint.Info.Model, Environment.Round);
        var latency = predictMs is null ? null : MeasureLatency(
            results.Skip(1).Select(r => (r.Kind == PolicyKind.Search ? "best" : r.Name, Environment.FromSteps(r.Channels))).Reverse().ToList());
        var result = new SearchResult(Settings.OutputFolder, chosen, policy, results, confirmed?.Scored, latency, Reward.MetricName(Settings.Search), screen);
        SearchArtifacts.Write(this, result, episodes, stage ?? (path => path));
        return result;
    }

    /// <summary>Under a latency budget, the best policies timed end to end against it (<see cref="LatencyScreen"/>); null otherwise or when off.</summary>
    LatencyScreen? Screen(IReadOnlyList<EpisodeRecord> episodes, Action<string>? note)
    {
        if (predictMs is null || Settings.MeasureTop == 0) return null;
        var top = TopPolicyConfirmation.Top(episodes, Environment, Settings.MeasureTop);
        note?.Invoke($"timing the best {top.Count} policies end to end against the budget");
        // Timing needs the pruned shapes, not refitted weights: the checkpoint's channels sliced.
        using var scope = TorchSharp.torch.NewDisposeScope();
        var networks = top.Select(e =>
        {
            var widths = Environment.FromSteps(e.Channels);
            var pruned = NetworkPruner.ToWidths(Checkpoint.Network, scoring.Pruner.Graph, Checkpoint.Weights, widths);
            return ($"episode {e.Episode}", widths, pruned.Network, (IReadOnlyDictionary<string, TorchSharp.torch.Tensor>)pruned.Weights);
        }).ToList();
        // Each decision rests on a median, so as many repeats as about half a minute allows, 50 to 200:
        // a ResNet-20 policy measured 0.495 of the original in a 100-repeat screen and 0.571 in the
        // check after it.
        int repeats = (int)Math.Clamp(30_000 / ((networks.Count + 1) * predictMs!(Environment.Full)), 50, 200);
        var timed = Time(networks, warmup: 10, repeats);
        return LatencyScreen.Of(top, timed, Settings.Search.Target);
    }

    /// <summary>The top policies re-scored on held-out images the search did not score on (<see cref="SearchFinish.Confirm"/>).</summary>
    (BestPolicy Best, IReadOnlyList<ConfirmedPolicy> Scored)? Confirm(IReadOnlyList<EpisodeRecord> episodes, Action<string>? note) =>
        SearchFinish.Confirm(Settings, Data, Environment, episodes, images =>
        {
            scoring.Refer(images, Settings.Engine);
            return scoring.Scorer(images);
        }, note);

    /// <summary>
    /// The original, the baselines (resource mode, unless turned off) and the best: the held-out score
    /// on the reward's metric, and on the test images (when there are any) top-1 and top-5 (when they
    /// have labels) and, under an agreement or fidelity reward, agreement and relative error.
    /// </summary>
    List<PolicyResult> Compare(BestPolicy chosen, IReadOnlyList<ConfirmedPolicy>? confirmed)
    {
        var options = Settings.Search;
        var env = Environment;
        var (origMacs, origParams) = env.Cost(env.Full);
        // A search scored in ONNX Runtime on labels tests its float networks there too, the images
        // streamed as `amc eval` does: at 224x224 TorchSharp took most of the finish. Otherwise the
        // test images are held: with their original's outputs (TorchSharp's, as the test networks
        // run there) under an agreement or fidelity reward, or for an int8 search, whose policies
        // are tested as the int8 networks its scorer evaluated.
        bool streamed = Settings.Engine == ScoringEngine.OnnxRuntime && !Settings.Int8 && options.Reward == RewardKind.Accuracy;
        using var test = streamed ? null : new TensorBatches(Data.Test, Data.Test.AllIndices(), PruningMemory.ScoringBatch);
        if (test is not null) scoring.Refer(test, ScoringEngine.Torch);
        var int8Test = Settings.Int8 && Data.Test.Count > 0 ? scoring.Scorer(test!) : null;
        Evaluation Test(GraphModule module) => streamed
            ? OnnxEvaluator.Evaluate(module, Data.Test, Data.Test.AllIndices(), TorchSharp.torch.get_num_threads())
            : Evaluator.Evaluate(module, test!);
        PolicyResult Row(PolicyKind kind, string name, int[] channels, long macs, long parameters, Func<Evaluation> evaluate, double heldOut)
        {
            var t = Data.Test.Count == 0 ? null : evaluate();
            bool labelled = t is not null && Data.Test.HasLabels;
            return new PolicyResult(kind, name, channels, macs, parameters, (double)macs / origMacs, (double)parameters / origParams, heldOut,
                labelled ? t!.Top1 : null, labelled ? t!.Top5 : null, t?.Agreement, t?.RelativeError);
        }
        PolicyResult Result(PolicyKind kind, string name, Policy widths, double heldOut)
        {
            if (int8Test is not null)
            {
                var score = int8Test.Score(widths);
                return Row(kind, name, env.ToSteps(widths), score.Macs, score.Params, () => score.HeldOut, heldOut);
            }
            var (pruned, module) = scoring.Builder.Build(widths);
            using (module)
            {
                var cost = CostModel.Of(pruned.Network);
                return Row(kind, name, env.ToSteps(widths), cost.Macs, cost.Params, () => Test(module), heldOut);
            }
        }
        var results = new List<PolicyResult>();
        using (var original = Checkpoint.ToModule())
            results.Add(Row(PolicyKind.Original, "original", env.ToSteps(env.Full), origMacs, origParams, () => Test(original),
                Reward.Score(options, Evaluator.Evaluate(original, scoring.HeldOut))));
        if (Settings.Baselines && options.Mode == SearchMode.Resource)
            foreach (var name in Baselines.Names)
            {
                var widths = Baselines.Policy(name, env, options);
                results.Add(Result(PolicyKind.Baseline, name, widths, Reward.Score(options, scorer.Score(widths).HeldOut)));
            }
        results.Add(Result(PolicyKind.Search, SearchFinish.RowName(options, confirmed), chosen.Widths, Reward.Score(options, chosen)));
        return results;
    }

    /// <summary>
    /// The original and each policy's pruned network (the best first, then the baselines), predicted
    /// by the table and timed end to end: several networks the table had to interpolate show its error.
    /// </summary>
    IReadOnlyList<LatencyComparison> MeasureLatency(IReadOnlyList<(string Name, Policy Widths)> policies)
    {
        var built = policies.Select(p => (p.Name, p.Widths, Built: scoring.Builder.Build(p.Widths))).ToList();
        try
        {
            return Time(built.Select(b => (b.Name, b.Widths, b.Built.Pruned.Network, (IReadOnlyDictionary<string, TorchSharp.torch.Tensor>)b.Built.Module.Tensors())).ToList(), warmup: 20, repeats: 200);
        }
        finally
        {
            foreach (var b in built) b.Built.Module.Dispose();
        }
    }

    /// <summary>The original, then each policy's network, predicted by the table and timed interleaved at batch 1.</summary>
    IReadOnlyList<LatencyComparison> Time(IReadOnlyList<(string Name, Policy Widths, Network Network, IReadOnlyDictionary<string, TorchSharp.torch.Tensor> Weights)> networks,
        int warmup, int repeats)
    {
        var predict = predictMs!;
        bool mixed = Settings.Search.MixedPrecision;
        // A mixed-precision policy is timed as the network the scorer evaluated.
        QuantizationSettings? Int8(Network net, Policy p) => mixed ? QuantizationSettings.ForMixedPolicy(net, scoring.Pruner.Graph, p) : null;
        return LatencyCheck.Measure(
            networks.Select(n => new LatencyCandidate(n.Name, n.Network, n.Weights, predict(n.Widths), Int8(n.Network, n.Widths)))
                .Prepend(new LatencyCandidate("original", Checkpoint.Network, Checkpoint.Weights, predict(Environment.Full)))
                .ToList(), Settings.LatencyThreads, warmup, repeats, int8: Settings.Int8 && !mixed);
    }

    public void Dispose()
    {
        scoring.Dispose();
    }
}
