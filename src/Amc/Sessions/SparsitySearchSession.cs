using System.Text.Json;
using Amc.Data;
using Amc.Files;
using Amc.Graph;
using Amc.Host;
using Amc.Onnx;
using Amc.Pruning;
using Amc.Reports;
using Amc.Search;
using Amc.Torch;
using Amc.Training;

namespace Amc.Sessions;

/// <summary>
/// AMC's fine-grained pruning under a parameter budget (<see cref="SearchMode.Sparsity"/>): the
/// same runner, agents, state file, log and resume as <see cref="SearchSession"/>, over a
/// <see cref="SparsityEnvironment"/> (one kept fraction of weights per Conv2d / Linear layer) scored
/// by <see cref="SparsityCandidateScorer"/> (magnitude masks, no reconstruction, no fine-tuning).
/// The comparison is the original, the uniform sparsity of the same budget and the search's best.
/// Its episodes list each layer's kept weights where a channel search lists widths.
/// </summary>
public sealed class SparsitySearchSession : IDisposable
{
    public SearchSettings Settings { get; }
    public Checkpoint Checkpoint { get; }
    public SparsityEnvironment Environment { get; }
    public OpenedData Data { get; }
    public string Fingerprint { get; }

    readonly TensorBatches heldOut;
    readonly TensorBatches? batchNormImages;
    readonly SparsityCandidateScorer scorer;
    readonly SearchRunner runner;
    BestPolicy? best;

    SparsitySearchSession(SearchSettings settings, Checkpoint ck, SparsityEnvironment env, OpenedData data, string fingerprint)
    {
        Settings = settings;
        Checkpoint = ck;
        Environment = env;
        Data = data;
        Fingerprint = fingerprint;
        heldOut = new TensorBatches(data.Train, data.Split.HeldOut, PruningMemory.ScoringBatch);
        // The first BN images of the channel search's calibration sample (same seed, same order).
        batchNormImages = settings.Pruning.RecalibrateBatchNorm ? data.CalibrationSample(settings.Calibration.BatchNormImages, settings.Pruning.Seed) : null;
        scorer = Scorer(heldOut);
        runner = new SearchRunner(env, scorer, settings.Search, settings.OutputFolder, fingerprint);
    }

    public static SparsitySearchResult Run(SearchSettings settings, Action<SearchProgress>? progress = null)
    {
        using var session = Open(settings);
        session.Search(progress);
        return session.Finish();
    }

    /// <summary>Loads the checkpoint and the data, builds the environment (refusing a budget the layers' minimum cannot meet), checks the resume and the memory, and writes search-config.json.</summary>
    public static SparsitySearchSession Open(SearchSettings settings)
    {
        MallocTuning.Apply();
        var options = settings.Search;
        if (options.Mode != SearchMode.Sparsity) throw new SettingsException($"a sparsity search needs --mode sparsity, got {options.Mode}");
        if (options.Resource != Resource.Params) throw new SettingsException("a sparsity search's budget is in non-zero parameters: give --target-params");
        if (!(options.Target > 0 && options.Target < 1)) throw new SettingsException($"--target-params must be in (0, 1), got {options.Target}");
        if (options.Reward != RewardKind.Accuracy) throw new SettingsException("a sparsity search is rewarded on accuracy only (--reward accuracy)");
        if (options.Asynchronous) throw new SettingsException("a sparsity search scores in this process: drop --async");
        if (options.WarmStart) throw new SettingsException("a sparsity search has no hand-crafted policies to start from: drop --warm-start");
        if (settings.Int8) throw new SettingsException("a sparsity search scores float networks: drop --int8 (amc quantize the pruned network afterwards)");
        if (options.LowerBound > options.UpperBound)
            throw new SettingsException($"need --lbound <= --rbound, got {options.LowerBound} and {options.UpperBound}");
        string ckPath = settings.Checkpoint, outDir = settings.OutputFolder;
        var ck = Checkpoint.Load(ckPath).RequireFinite(ckPath);
        SparsityEnvironment env;
        try { env = new SparsityEnvironment(ck.Network, options); }
        catch (InfeasibleBudgetException e) { throw new SettingsException(e.Message); }
        string statePath = Path.Combine(outDir, SearchSession.StateFile);
        if (settings.Resume && !File.Exists(statePath))
            throw new SettingsException($"--resume: no search state in {outDir}; drop --resume to start a new search");
        if (!settings.Resume && File.Exists(statePath))
            throw new SettingsException($"{outDir} already holds a search; add --resume to continue it or choose another --out");
        var data = OpenedData.OpenFor(settings.Data, ck);
        if (!data.HasLabels)
            throw new SettingsException($"{data.Train.Name} has no labels (images without class sub-folders); a sparsity search scores on labelled images only");
        int confirmImages = data.UnscoredHeldOut().Length;
        // The checkpoint, a sparse copy of its weights and the module of a test evaluation; the scoring images.
        PruningMemory.Ensure(MemoryEstimate.Inference(ck.Network, Math.Min(PruningMemory.ScoringBatch, Evaluator.BatchFor(ck.Network)), "searching", weightCopies: 3)
            .WithImages(ck.Network, (long)data.Split.HeldOut.Length + Math.Max(confirmImages, data.Test.Count)));
        // SearchOptions.Mode is in the fingerprint, so a channel search's state never resumes as a sparsity search's.
        string fingerprint = SearchFingerprint.Of(ckPath, options, settings.Pruning, data, settings.Engine, null);
        Directory.CreateDirectory(outDir);
        AtomicFile.WriteAllText(Path.Combine(outDir, SearchSession.ConfigFile), JsonSerializer.Serialize(new
        {
            command = settings.CommandLine,
            checkpoint = ckPath, data = data.Train.Name, heldOut = data.Split.HeldOut.Length, heldOutHash = data.Split.Hash,
            search = options, threads = TorchSharp.torch.get_num_threads(), fingerprint,
        }, ResultJson.Options));
        return new SparsitySearchSession(settings, ck, env, data, fingerprint);
    }

    SparsityCandidateScorer Scorer(TensorBatches images) =>
        new(Checkpoint.Network, Checkpoint.Weights, images, batchNormImages?.Images, Settings.Engine == ScoringEngine.OnnxRuntime);

    public BestPolicy Search(Action<SearchProgress>? progress = null)
    {
        best = runner.Run(Settings.Resume, progress);
        return best;
    }

    /// <summary>Confirms the top policies, scores the original and the uniform sparsity of the same budget, and writes best-policy.json, results.json, the plots and summary.md.</summary>
    public SparsitySearchResult Finish(Func<string, string>? stage = null, Action<string>? note = null)
    {
        var chosen = best ?? throw new InvalidOperationException("Search must run before Finish");
        var episodes = SearchRunner.ReadLog(runner.LogPath);
        var confirmed = Confirm(episodes, note);
        if (confirmed is not null) chosen = confirmed.Value.Best;
        var bytes = new Dictionary<string, long>();
        var results = Compare(chosen, confirmed?.Scored, bytes);
        var result = new SparsitySearchResult(Settings.OutputFolder, chosen, PolicyFile(chosen.Widths), results, confirmed?.Scored, bytes, Reward.MetricName(Settings.Search));
        Write(result, episodes, stage ?? (path => path));
        return result;
    }

    /// <summary>The file form of a policy: every layer's sparsity and kept weights.</summary>
    public SparsityPolicy PolicyFile(Policy policy) => new()
    {
        Model = Checkpoint.Info.Model,
        Budget = Settings.Search.Target,
        Layers = Environment.Layers.Layers.Select((l, i) => new LayerSparsity(l.Name, Math.Round(1 - (double)policy.Width(i) / l.Size, 6), policy.Width(i), l.Size)).ToList(),
    };

    /// <summary>
    /// The same kept fraction f of every layer's weights, the largest that meets the budget (the
    /// dense parameters counted): AMC's hand-crafted comparison for fine-grained pruning.
    /// </summary>
    public Policy Uniform()
    {
        var env = Environment;
        var wall = env.Wall;
        var layers = env.Layers.Layers;
        long weights = layers.Sum(l => (long)l.Size);
        Policy At(double f) => Policy.OfWidths(layers.Select(l => Math.Max(1, SparsityEnvironment.Kept(l.Size, f))));
        double keep = Math.Clamp((double)(wall.Budget - env.Layers.Dense) / weights, 0, 1);
        // Rounding each layer may overshoot by a few weights: step down until it fits.
        while (keep > 0 && wall.Measure(At(keep)) > wall.Budget) keep -= 1e-6;
        return At(keep);
    }

    (BestPolicy Best, IReadOnlyList<ConfirmedPolicy> Scored)? Confirm(IReadOnlyList<EpisodeRecord> episodes, Action<string>? note) =>
        SearchFinish.Confirm(Settings, Data, Environment, episodes, Scorer, note);

    /// <param name="bytes">Given each row's size as a sparse ONNX file.</param>
    List<PolicyResult> Compare(BestPolicy chosen, IReadOnlyList<ConfirmedPolicy>? confirmed, Dictionary<string, long> bytes)
    {
        var options = Settings.Search;
        var env = Environment;
        var (macs, origParams) = env.Cost(env.Full);
        using var test = new TensorBatches(Data.Test, Data.Test.AllIndices(), PruningMemory.ScoringBatch);
        PolicyResult Row(PolicyKind kind, string name, Policy policy, double? score = null)
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            long nonZero = env.Cost(policy).Params;
            double? top1 = null, top5 = null;
            // The original as it is (its BN statistics not re-estimated), as the channel search reports it.
            using var module = kind == PolicyKind.Original ? Checkpoint.ToModule() : scorer.Module(policy);
            score ??= Reward.Score(options, Evaluator.Evaluate(module, heldOut));
            bytes[name] = OnnxSparseWeights.SparseFileBytes(Checkpoint.Network, module.Tensors());
            if (Data.Test.Count > 0)
            {
                var t = Evaluator.Evaluate(module, test);
                (top1, top5) = (t.Top1, t.Top5);
            }
            return new PolicyResult(kind, name, policy.Widths(), macs, nonZero, 1, (double)nonZero / origParams, score.Value, top1, top5);
        }
        var results = new List<PolicyResult> { Row(PolicyKind.Original, "original", env.Full) };
        if (Settings.Baselines)
        {
            var uniform = Uniform();
            results.Add(Row(PolicyKind.Baseline, "uniform", uniform, Reward.Score(options, scorer.Score(uniform).HeldOut)));
        }
        results.Add(Row(PolicyKind.Search, SearchFinish.RowName(options, confirmed), chosen.Widths, Reward.Score(options, chosen)));
        return results;
    }

    void Write(SparsitySearchResult result, IReadOnlyList<EpisodeRecord> episodes, Func<string, string> stage)
    {
        var s = Settings;
        var options = s.Search;
        var env = Environment;
        string File(string name) => stage(Path.Combine(s.OutputFolder, name));
        result.Policy.Save(File("best-policy.json"));
        AtomicFile.WriteAllText(File("results.json"), JsonSerializer.Serialize(
            new { metric = result.Metric, best = result.Best, confirmed = result.Confirmed, results = result.Results, sparseOnnxBytes = result.SparseOnnxBytes, policy = result.Policy },
            ResultJson.Options));
        var names = env.Layers.Layers.Select(l => l.Name).ToList();
        var policies = result.Results.Where(r => r.Kind != PolicyKind.Original).ToList();
        SearchPlots.Rewards(episodes, File("reward.png"), options);
        SearchPlots.Policies(names, policies.ToDictionary(r => r.Name, r => r.Channels.Select((c, i) => (double)c / env.StepSize(i)).ToArray()), File("policy.png"));
        SearchPlots.Actions(episodes, names, File("actions.png"));
        var plots = new List<string> { "reward.png", "policy.png", "actions.png" };
        if (episodes.Any(e => e.CriticLoss is not null))
        {
            SearchPlots.Ddpg(episodes, File("ddpg.png"));
            plots.Add("ddpg.png");
        }
        var best = result.Best;
        var settings = new Dictionary<string, string>
        {
            ["base checkpoint"] = s.Checkpoint,
            ["data"] = $"{Data.Train.Name}; held-out {Data.Split.HeldOut.Length} training images (split hash {Data.Split.Hash}); test {Data.Test.Count}",
            ["mode / budget"] = $"sparsity (fine-grained), non-zero params <= {options.Target:0.###} of original ({env.Wall.Budget:N0} of {env.Wall.Original:N0})",
            ["agent"] = SearchFinish.AgentLine(options),
            ["action range"] = $"fraction of a layer's weights kept in [{options.LowerBound}, {options.UpperBound}], smallest magnitudes zeroed",
            ["scoring"] = $"magnitude masks (no reconstruction, no fine-tuning), BN re-estimation {(s.Pruning.RecalibrateBatchNorm ? $"on {s.Calibration.BatchNormImages} images" : "off")}, reward -error x ln(non-zero params) on {Reward.MetricName(options)}",
            ["best episode"] = SearchFinish.BestEpisodeLine(best, result.Confirmed, options),
            ["ONNX file size (export --onnx --sparse)"] = string.Join("; ", result.SparseOnnxBytes.Select(kv => $"{kv.Key} {kv.Value:N0} bytes")),
            ["seed"] = $"{options.Seed}",
            ["machine"] = $"{System.Environment.ProcessorCount} cores, {System.Environment.OSVersion}",
        };
        var md = SearchSummary.Markdown($"amc search --mode sparsity: {Checkpoint.Network.Name}", settings, result.Results,
            env.Layers.Layers.Select(l => (l.Name, l.Size)).ToList(), episodes, plots, options, "Weights kept per layer", "layer");
        AtomicFile.WriteAllText(File("summary.md"), md);
    }

    public void Dispose()
    {
        scorer.Dispose();
        heldOut.Dispose();
        batchNormImages?.Dispose();
    }
}
