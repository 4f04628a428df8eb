using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Amc.Files;
using Amc.Graph;
using Amc.Latency;
using Amc.Onnx;
using Amc.Pruning;
using Amc.Quantization;
using Amc.Reports;
using Amc.Search;
using Amc.Sessions;
using Amc.Torch;
using Amc.Training;
using Spectre.Console;

namespace Amc.Cli.Commands;

/// <summary>
/// `amc compress`: one command from a trained checkpoint to a deployable, faster network. The
/// joint search (widths and int8 / float per group under a latency budget), the best policy
/// pruned with least squares, a short fine-tune, int8 where the policy says, then the original,
/// the pruned float network and the final one timed side by side, so the report splits the
/// speed-up into what pruning and what int8 gave. Each step's files stay in --out as it ends, so
/// --resume continues from the first step not done (the search from its saved state).
/// </summary>
public static class CompressCommand
{
    const string SearchFolder = "search", Pruned = "pruned.amc", Tuned = "tuned.amc", TunedOnnx = "tuned.onnx",
        Final = "model.int8.onnx", ReportJson = "compress.json", ReportMarkdown = "report.md";

    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Trained checkpoint to compress", Required = true };
        var output = new Option<string>("--out") { Description = "Folder for the search, the pruned and fine-tuned checkpoints, the int8 model and report.md", Required = true };
        var target = new Option<double>("--target-latency")
        {
            Description = "Latency budget of the search, as a fraction of the float network's (e.g. 0.33 for about 3x), predicted from its float and int8 latency tables and checked by timing",
            Required = true,
        }.In(OptionRange.Fraction);
        var episodes = new Option<int>("--episodes") { Description = "Search episodes, warm-up included", DefaultValueFactory = _ => 400 }.In(OptionRange.AtLeast(1));
        var warmup = new Option<int>("--warmup") { Description = "Search warm-up episodes", DefaultValueFactory = _ => 100 }.In(OptionRange.AtLeast(0));
        var latencyThreads = new Option<int>("--latency-threads") { Description = "ONNX Runtime threads the latency tables and the search's timing use (the deployment's)", DefaultValueFactory = _ => 1 }
            .In(OptionRange.Between(1, CommonOptions.MaxThreads));
        var reward = SearchCommand.RewardOption();
        var ftEpochs = new Option<int>("--finetune-epochs") { Description = "Fine-tuning epochs of the pruned network", DefaultValueFactory = _ => 1 }.In(OptionRange.AtLeast(1));
        var ftImages = new Option<int?>("--finetune-images") { Description = "Fine-tune on a seeded random subset of this many training images (default: all)" }.In(OptionRange.AtLeast(1));
        var ftLr = new Option<double>("--finetune-lr") { Description = "Peak learning rate of the fine-tune (cosine schedule)", DefaultValueFactory = _ => 0.01 }.In(OptionRange.Positive);
        var noAugment = new Option<bool>("--no-augment") { Description = "Fine-tune without augmentation (e.g. images upscaled from a small size)" };
        var distill = new Option<bool>("--distill") { Description = "Fine-tune by distillation from the original network (no labels needed; see amc finetune --distill)" };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs per network and thread count in the final comparison (batch 1)", DefaultValueFactory = _ => 200 }.In(OptionRange.AtLeast(1));
        var resume = new Option<bool>("--resume") { Description = "Continue a compress run in --out from the first step it did not finish" };
        var cmd = new Command("compress", "Search, prune, fine-tune and quantize in one command under a latency budget; report how much of the speed-up came from pruning and how much from int8")
        {
            checkpoint, output, target, episodes, warmup, latencyThreads, reward, ftEpochs, ftImages, ftLr, noAugment, distill, repeats, resume,
        };
        PruningOptions.AddTo(cmd);
        DataOptions.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var clock = Stopwatch.StartNew();
            CommonOptions.Apply(p);
            string dir = p.GetValue(output)!, ckPath = p.GetValue(checkpoint)!;
            string P(string file) => Path.Combine(dir, file);
            int seed = p.GetValue(CommonOptions.Seed), threads = p.GetValue(CommonOptions.Threads);
            bool json = p.GetValue(CommonOptions.Json), resuming = p.GetValue(resume);
            var outputs = CommandOutputs.Of(p);
            outputs.Declare([new("--out", dir)], [new("--checkpoint", ckPath), new("--data", p.GetValue(DataOptions.Data))]);
            if (File.Exists(dir)) throw new UsageException($"--out {dir} is a file; give a folder for compress's files");
            if (!resuming && Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any(e => Path.GetFileName(e) != FolderLock.FileName))
                throw new UsageException($"--out {dir} is not empty; add --resume to continue the compress run in it, or choose another folder");
            if (resuming && !Directory.Exists(P(SearchFolder)))
                throw new UsageException($"--resume: {dir} holds no compress run; drop --resume to start one");
            outputs.CreateFolder(dir);
            outputs.Hold(FolderLock.Acquire(dir, "--out"));
            AtomicFile.RemoveStaleTempsIn(dir);
            if (Directory.Exists(P(SearchFolder))) AtomicFile.RemoveStaleTempsIn(P(SearchFolder));
            var data = DataOptions.Settings(p);
            var pruning = PruningOptions.Read(p, reconstruct: true);
            void Step(int n, string what) { if (!json) AnsiConsole.MarkupLine($"[bold blue][[{n}/5]][/] {Markup.Escape(what)}"); }

            // 1. The joint search, unless it has finished in an earlier run.
            string policyPath = Path.Combine(P(SearchFolder), "best-policy.json");
            if (!File.Exists(policyPath))
            {
                Step(1, $"joint search (widths and int8 / float per group) under {p.GetValue(target):P0} of the float latency, {p.GetValue(episodes)} episodes");
                var search = new SearchSettings
                {
                    Checkpoint = ckPath, OutputFolder = P(SearchFolder), Data = data,
                    Search = new SearchOptions
                    {
                        Resource = Resource.Latency, Target = p.GetValue(target), Episodes = p.GetValue(episodes), Seed = seed,
                        Reward = SearchCommand.RewardKindOf(p.GetValue(reward)!), MixedPrecision = true, WarmStart = true,
                        Ddpg = new DdpgOptions { WarmupEpisodes = p.GetValue(warmup) },
                    },
                    Pruning = pruning, Calibration = PruningOptions.Calibration(p), Engine = ScoringEngine.OnnxRuntime, Int8 = true,
                    LatencyThreads = p.GetValue(latencyThreads), Resume = resuming && File.Exists(Path.Combine(P(SearchFolder), SearchSession.StateFile)),
                    CommandLine = CommonOptions.CommandLine,
                };
                var found = SearchProgressView.Run(search, stage: null, quiet: json);
                if (!json) SearchProgressView.RenderResults(found, search.Search);
            }
            else
            {
                RequireSameSearch(P(SearchFolder), ckPath, p.GetValue(target), p.GetValue(episodes), seed);
                Step(1, $"joint search: done ({policyPath})");
            }

            // 2. Prune to the policy's widths (least squares).
            if (!File.Exists(P(Pruned)))
            {
                Step(2, "prune to the best policy's widths (least-squares reconstruction)");
                CommonOptions.Apply(p);
                var pruned = PruneSession.Run(new PruneSettings
                {
                    Checkpoint = ckPath, PolicyFile = policyPath, Data = data, Pruning = pruning, Calibration = PruningOptions.Calibration(p), CommandLine = CommonOptions.CommandLine,
                });
                pruned.Pruned.Save(P(Pruned));
                if (!json) PruneCommand.Render(pruned.Rows, pruning);
            }
            else Step(2, $"prune: done ({P(Pruned)})");

            // 3. Fine-tune (continued when an earlier run stopped within it).
            var tunedCk = File.Exists(P(Tuned)) ? Checkpoint.Load(P(Tuned)) : null;
            if (tunedCk?.Info.Epochs is int planned && planned != p.GetValue(ftEpochs))
                throw new UsageException($"--resume: the fine-tune in {dir} was started with --finetune-epochs {planned}; resume with the same value, or compress into another --out");
            if (tunedCk is null || tunedCk.Info.EpochsDone != tunedCk.Info.Epochs)
            {
                Step(3, $"fine-tune {p.GetValue(ftEpochs)} epoch(s){(p.GetValue(distill) ? " by distillation from the original" : "")}");
                CommonOptions.Apply(p);
                TrainingSession.Run(p, new TrainSettings
                {
                    Out = P(Tuned), Checkpoint = P(Pruned), Data = data, TrainImages = p.GetValue(ftImages), Resume = tunedCk is not null,
                    Training = new TrainOptions { Epochs = p.GetValue(ftEpochs), LearningRate = p.GetValue(ftLr), Augment = !p.GetValue(noAugment), Seed = seed },
                    Distill = p.GetValue(distill) ? new DistillSettings(ckPath, new DistillOptions()) : null,
                    EvaluationThreads = threads, CommandLine = CommonOptions.CommandLine,
                }, print: !json);
                tunedCk = Checkpoint.Load(P(Tuned));
            }
            else Step(3, $"fine-tune: done ({P(Tuned)})");

            // 4. Int8 where the policy says; the fine-tuned float network scored beside it. A policy that
            // keeps every group in float (its widths alone met the budget) deploys the float network.
            var baseCk = Checkpoint.Load(ckPath);
            var originalModel = OnnxExporter.Export(baseCk.Network, baseCk.Weights);
            bool anyInt8 = PruningPolicy.Load(policyPath).Int8Groups(ChannelGraph.Build(tunedCk.Network)).Count > 0;
            global::Onnx.ModelProto tunedModel, finalModel;
            IReadOnlyList<string> int8Layers, floatLayers;
            if (anyInt8)
            {
                Step(4, "quantize to int8 where the policy says (first and last layer float)");
                var settings = new QuantizeSettings { Model = P(Tuned), Data = data, Policy = policyPath, Seed = seed, TimingThreads = [], Threads = threads };
                var quantized = QuantizeSession.Run(settings, json ? null : message => Console.Error.WriteLine(message));
                (tunedModel, finalModel) = (quantized.Float, quantized.Quantized);
                (int8Layers, floatLayers) = (quantized.Plan.Nodes, [.. quantized.Plan.FloatNodes.Select(f => f.Node)]);
                AtomicFile.WriteAllText(QuantizeCommand.ReportPath(P(Final)),
                    JsonSerializer.Serialize(QuantizeCommand.Report(quantized, settings, P(Final)), ResultJson.Options));
            }
            else
            {
                Step(4, "the policy keeps every group in float: no int8 (the pruned float network is the result)");
                tunedModel = finalModel = OnnxExporter.Export(tunedCk.Network, tunedCk.Weights, preprocessing: tunedCk.Info.PreprocessingFor(tunedCk.Network.Input));
                (int8Layers, floatLayers) = ([], [.. tunedCk.Network.Layers.Where(l => l.Kind is LayerKind.Conv2d or LayerKind.Linear).Select(l => l.Name)]);
            }
            OnnxFile.Save(tunedModel, P(TunedOnnx));
            OnnxFile.Save(finalModel, P(Final));

            // Every network scored side by side in ONNX Runtime on the same images (the test set, else
            // the held-out split): on the labels when there are any, and against the original's outputs.
            var opened = OpenedData.OpenFor(data, baseCk);
            bool onTest = opened.Test.Count > 0;
            var (set, indices) = onTest ? (opened.Test, opened.Test.AllIndices()) : (opened.Train, opened.Split.HeldOut);
            var prunedCk = Checkpoint.Load(P(Pruned));
            var scores = ModelEvaluation.AgainstFirst([originalModel, OnnxExporter.Export(prunedCk.Network, prunedCk.Weights), tunedModel, finalModel],
                set, indices, Evaluator.BatchFor(baseCk.Network, keepsOutputs: false), threads, json ? null : message => Console.Error.WriteLine(message));
            double? Top1(int i) => opened.HasLabels ? scores[i].Top1 : null;

            // 5. The original, the pruned float network and the final one, timed side by side.
            Step(5, "time the original, the pruned float network and the final one side by side (ONNX Runtime, batch 1)");
            var timings = (threads > 1 ? new[] { 1, threads } : [1]).Select(t =>
            {
                // Without int8 the final network is the pruned one: timed once, its factor 1.
                var stats = LatencyCheck.Time(anyInt8 ? [originalModel, tunedModel, finalModel] : [originalModel, tunedModel], baseCk.Network.Input, t,
                    warmup: 20, p.GetValue(repeats), seed);
                return new CompressionTiming(t, stats[0], stats[1], stats[^1]);
            }).ToList();

            var (originalCost, prunedCost) = (CostModel.Of(baseCk.Network), CostModel.Of(tunedCk.Network));
            long tunedBytes = tunedModel.CalculateSize();
            var report = new CompressionReport(ckPath, p.GetValue(target), p.GetValue(episodes), p.GetValue(ftEpochs), p.GetValue(distill),
                [
                    new("original", Top1(0), null, originalCost.Macs, originalCost.Params, originalModel.CalculateSize()),
                    new("pruned (before fine-tuning)", Top1(1), scores[1].Agreement, prunedCost.Macs, prunedCost.Params, tunedBytes),
                    new("fine-tuned (float)", Top1(2), scores[2].Agreement, prunedCost.Macs, prunedCost.Params, tunedBytes),
                    new(anyInt8 ? "final (int8 where the policy says)" : "final (float: the policy chose no int8)", Top1(3), scores[3].Agreement,
                        prunedCost.Macs, prunedCost.Params, finalModel.CalculateSize()),
                ],
                timings, int8Layers, floatLayers, onTest ? "test" : "heldout", indices.Length, clock.Elapsed);
            AtomicFile.WriteAllText(P(ReportJson), JsonSerializer.Serialize(report, ResultJson.Options));
            AtomicFile.WriteAllText(P(ReportMarkdown), report.ToMarkdown());
            if (json) Console.WriteLine(JsonSerializer.Serialize(report, ResultJson.Options));
            else Render(report, P(ReportMarkdown));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>A finished search is reused by --resume only if it searched what this command asks for.</summary>
    static void RequireSameSearch(string folder, string checkpoint, double target, int episodes, int seed)
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, SearchSession.ConfigFile)));
        var search = config.RootElement.GetProperty("search");
        var (wasCheckpoint, wasTarget, wasEpisodes, wasSeed) = (config.RootElement.GetProperty("checkpoint").GetString(),
            search.GetProperty("target").GetDouble(), search.GetProperty("episodes").GetInt32(), search.GetProperty("seed").GetInt32());
        if (Path.GetFullPath(wasCheckpoint!) != Path.GetFullPath(checkpoint) || wasTarget != target || wasEpisodes != episodes || wasSeed != seed)
            throw new UsageException($"--resume: the search in {folder} ran on {wasCheckpoint} with --target-latency {wasTarget} --episodes {wasEpisodes} --seed {wasSeed}; " +
                "resume with the same values, or compress into another --out");
    }

    static void Render(CompressionReport r, string reportPath)
    {
        var t = new Table().Border(TableBorder.Rounded).Title("compressed: latency at batch 1, interleaved");
        t.AddColumns("threads", "original ms", "final ms", "speed-up", "from pruning", "from int8");
        foreach (var x in r.Timings)
            t.AddRow($"{x.Threads}", $"{x.Original.Median:F3}", $"{x.Final.Median:F3}", $"[bold]{x.Total:F2}x[/]", $"{x.Pruning:F2}x", $"{x.Int8:F2}x");
        AnsiConsole.Write(t);
        var (first, last) = (r.Steps[0], r.Steps[^1]);
        if (first.Top1 is double a && last.Top1 is double b)
            AnsiConsole.MarkupLine($"{r.ScoredOn} top-1: original {Format.Percent(a)}, final {Format.Percent(b)} ({100 * (b - a):+0.00;-0.00} points)");
        if (last.Agreement is double agreement)
            AnsiConsole.MarkupLine($"the final network's top-1 agrees with the original's on {Format.Percent(agreement)} of {r.Images} {(r.ScoredOn == "test" ? "test" : "held-out")} images");
        AnsiConsole.MarkupLine($"[green]done[/]: {Markup.Escape(reportPath)}");
    }
}
