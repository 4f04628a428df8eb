using System.CommandLine;
using System.Globalization;
using System.Text;
using Amc.Graph;
using Amc.Pruning;
using Amc.Reports;
using Amc.Search;
using Amc.Sessions;
using Amc.Training;
using Spectre.Console;
using Amc.Files;
using Amc.Latency;
using Amc.Onnx;
using Amc.Torch;

namespace Amc.Cli.Commands;

/// <summary>
/// `amc demo`: the whole AMC pipeline in minutes on the embedded default: the shipped base
/// ResNet-20, AMC search at 50 % MACs, the uniform and random-search baselines, a short fine-tune
/// of each, ONNX export, latency in ONNX Runtime, and report.md. It runs the library's sessions
/// with the settings the commands a user would type give them, and lists those commands.
/// </summary>
public static class DemoCommand
{
    const string BaseResource = "base-resnet20-fmnist.amc";

    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Folder for everything the demo writes", DefaultValueFactory = _ => "runs/demo" };
        var train = new Option<bool>("--train") { Description = "Train a base model (3 epochs) instead of using the shipped one" };
        var episodes = new Option<int>("--episodes") { Description = "Search episodes (each search)", DefaultValueFactory = _ => 80 }.In(OptionRange.AtLeast(1));
        var warmup = new Option<int>("--warmup") { Description = "Warm-up episodes of the AMC search", DefaultValueFactory = _ => 20 }.In(OptionRange.AtLeast(0));
        var heldOut = new Option<int>("--score-images") { Description = "Held-out images each candidate is scored on", DefaultValueFactory = _ => 1000 }.In(OptionRange.AtLeast(1));
        var ftImages = new Option<int>("--finetune-images") { Description = "Training images for the one-epoch fine-tune of each policy", DefaultValueFactory = _ => 10000 }.In(OptionRange.AtLeast(1));
        var cmd = new Command("demo", "Run the whole AMC pipeline on the embedded default and write a report") { output, train, episodes, warmup, heldOut, ftImages };
        cmd.Options.Add(DataOptions.Data);
        cmd.SetAction(p =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            CommonOptions.Apply(p);
            string dir = p.GetValue(output)!, data = p.GetValue(DataOptions.Data)!;
            int seed = p.GetValue(CommonOptions.Seed), nEpisodes = p.GetValue(episodes), scoreImages = p.GetValue(heldOut), finetuneImages = p.GetValue(ftImages);
            var ci = CultureInfo.InvariantCulture;
            Directory.CreateDirectory(dir);
            string P(string f) => Path.Combine(dir, f);
            // The commands that do the same, for the report's "Reproduce".
            var commands = new List<string>();
            void Step(int n, string what, params string[] command)
            {
                AnsiConsole.MarkupLine($"[bold blue][[{n}/7]][/] {Markup.Escape(what)}");
                commands.Add("amc " + string.Join(' ', command.Concat(["--seed", seed.ToString(ci), "--threads", p.GetValue(CommonOptions.Threads).ToString(ci)])));
                // As each of those commands does: the same libtorch random state at every step.
                CommonOptions.Apply(p);
            }

            string basePath = P("base.amc");
            if (p.GetValue(train))
            {
                Step(1, "train a base ResNet-20 (3 epochs)", "train", "--model", "resnet20", "--data", data, "--epochs", "3", "--out", basePath);
                TrainingSession.Run(p, new TrainSettings
                {
                    Out = basePath, Model = "resnet20", Data = new DataSettings(data), Training = new TrainOptions { Epochs = 3, Seed = seed },
                    EvaluationThreads = p.GetValue(CommonOptions.Threads), CommandLine = CommonOptions.CommandLine,
                });
            }
            else
            {
                AnsiConsole.MarkupLine("[bold blue][[1/7]][/] base model: ResNet-20 trained on Fashion-MNIST by `amc train` (see docs/BENCHMARKS.md)");
                using var res = typeof(DemoCommand).Assembly.GetManifestResourceStream(BaseResource)
                    ?? throw new InvalidOperationException("the shipped base model is missing from this build; run 'amc demo --train'");
                AtomicFile.Write(basePath, s => res.CopyTo(s));
            }

            var search = new SearchSettings
            {
                Checkpoint = basePath, OutputFolder = P("amc"), Data = new DataSettings(data, HeldOut: scoreImages),
                Search = new SearchOptions { Target = 0.5, Episodes = nEpisodes, Seed = seed, Ddpg = new DdpgOptions { WarmupEpisodes = p.GetValue(warmup) } },
                Pruning = new PruneOptions(Round: 4, Seed: seed), CommandLine = CommonOptions.CommandLine,
            };
            string[] common = ["--data", data, "--round", "4", "--heldout", scoreImages.ToString(ci), "--target-macs", "0.5", "--episodes", nEpisodes.ToString(ci)];
            foreach (var sub in new[] { "amc", "random" })
                if (Directory.Exists(P(sub))) Directory.Delete(P(sub), recursive: true);
            Step(2, $"AMC search (DDPG), {nEpisodes} episodes, 50 % MACs, with uniform / deep / shallow baselines",
                ["search", "--checkpoint", basePath, "--out", P("amc"), "--warmup", p.GetValue(warmup).ToString(ci), .. common]);
            var amc = Search(search);
            Step(3, $"random search, {nEpisodes} episodes", ["search", "--checkpoint", basePath, "--out", P("random"), "--agent", "random", "--no-baselines", .. common]);
            var random = Search(search with
            {
                OutputFolder = P("random"), Baselines = false,
                Search = search.Search with { Agent = AgentKind.Random, Ddpg = new DdpgOptions() },
            });

            WithChannels(amc.Policy, amc.Baseline("uniform")!.Channels).Save(P("uniform-policy.json"));
            var policies = new[] { ("AMC", P("amc/best-policy.json")), ("uniform", P("uniform-policy.json")), ("random search", P("random/best-policy.json")) };
            foreach (var (name, policy) in policies)
            {
                string slug = Slug(name), pruned = P($"{slug}.amc"), tuned = P($"{slug}-ft.amc");
                Step(4, $"{name}: prune with least squares", "prune", "--checkpoint", basePath, "--data", data, "--policy", policy, "--reconstruct", "--out", pruned);
                var prune = new PruneSettings { Checkpoint = basePath, PolicyFile = policy, Data = new DataSettings(data), Pruning = new PruneOptions(Seed: seed), CommandLine = CommonOptions.CommandLine };
                var result = PruneSession.Run(prune);
                result.Pruned.Save(pruned);
                result.Policy!.Save(Path.ChangeExtension(pruned, ".policy.json"));
                PruneCommand.Render(result.Rows, prune.Pruning);

                Step(5, $"{name}: fine-tune one epoch on {finetuneImages.ToString(ci)} images", "finetune", "--checkpoint", pruned, "--data", data, "--epochs", "1", "--train-images", finetuneImages.ToString(ci), "--out", tuned);
                TrainingSession.Run(p, new TrainSettings
                {
                    Out = tuned, Checkpoint = pruned, Data = new DataSettings(data), Training = new TrainOptions { Epochs = 1, LearningRate = 0.01, Seed = seed },
                    TrainImages = finetuneImages, EvaluationThreads = p.GetValue(CommonOptions.Threads), CommandLine = CommonOptions.CommandLine,
                });
            }
            Step(6, "export the fine-tuned AMC network to ONNX", "export", "--checkpoint", P("amc-ft.amc"), "--onnx", P("amc-ft.onnx"));
            var amcTuned = Checkpoint.Load(P("amc-ft.amc"));
            var onnx = OnnxExporter.Export(amcTuned.Network, amcTuned.Weights, preprocessing: amcTuned.Info.PreprocessingFor(amcTuned.Network.Input));
            ExportCommand.Parity(amcTuned, P("amc-ft.amc"), onnx, seed);
            OnnxFile.Save(onnx, P("amc-ft.onnx"));
            AnsiConsole.MarkupLine("[bold blue][[7/7]][/] latency in ONNX Runtime (batch 1, 1 thread, interleaved) and the report");
            var baseCk = Checkpoint.Load(basePath);
            var nets = new List<(string Name, Checkpoint Ck)> { ("original", baseCk) };
            nets.AddRange(policies.Select(x => (x.Item1, Checkpoint.Load(P($"{Slug(x.Item1)}-ft.amc")))));
            var latency = Latencies(nets.Select(n => n.Ck).ToList());
            var report = Report(data, baseCk, nets, latency, amc, random, commands, clock.Elapsed, nEpisodes, scoreImages);
            AtomicFile.WriteAllText(P("report.md"), report);
            AnsiConsole.MarkupLine($"[green]done[/] in {Format.Duration(clock.Elapsed)}: report {Markup.Escape(P("report.md"))}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static SearchResult Search(SearchSettings settings)
    {
        var result = SearchProgressView.Run(settings, stage: null, quiet: false);
        SearchProgressView.RenderResults(result);
        return result;
    }

    static string Slug(string name) => name.Replace(' ', '-').ToLowerInvariant();

    /// <summary><paramref name="template"/>'s groups, in the order of a result row's channels, with those channels.</summary>
    static PruningPolicy WithChannels(PruningPolicy template, int[] channels) => template with
    {
        Groups = template.Groups.Select((g, i) => g with { Channels = channels[i], Keep = Math.Round((double)channels[i] / g.Of!.Value, 4) }).ToList(),
    };

    static LatencyStats[] Latencies(IReadOnlyList<Checkpoint> cks) =>
        LatencyCheck.Time(cks.Select(c => (c.Network, (IReadOnlyDictionary<string, TorchSharp.torch.Tensor>)c.Weights)).ToList(), threads: 1, warmup: 50, repeats: 300);

    static string Report(string data, Checkpoint baseCk, List<(string Name, Checkpoint Ck)> nets, LatencyStats[] latency,
        SearchResult amc, SearchResult random, List<string> commands, TimeSpan elapsed, int episodes, int scoreImages)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# amc demo: AMC on ResNet-20 / Fashion-MNIST at 50 % MACs").AppendLine();
        sb.AppendLine($"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores ({Environment.OSVersion}), {Format.Duration(elapsed)} in all. Data: `{data}`. " +
                      $"Each search: {episodes} episodes, candidates scored on {scoreImages} held-out training images, no fine-tuning. " +
                      "Fine-tuning: one epoch on a random subset of the training split. Latency: ONNX Runtime, batch 1, 1 thread, all networks timed interleaved (median of 300 runs).").AppendLine();
        sb.AppendLine("The episode count and data sizes are chosen so the demo fits in minutes on 2 cores; the full-size results are in docs/BENCHMARKS.md.").AppendLine();
        string loaded = Amc.Data.DataSource.Load(data).Train.Name;
        if (baseCk.Info.Dataset is string trained && trained != loaded)
            sb.AppendLine($"Note: the base model was trained on `{trained}` with its held-out split left out; on `{loaded}` the held-out images are not guaranteed to be unseen, so held-out accuracies are optimistic. Install Debian's dataset-fashion-mnist for the real split.").AppendLine();
        double baseMacs = CostModel.Of(baseCk.Network).Macs, baseLatency = latency[0].Median;
        var before = new Dictionary<string, PolicyResult>
        {
            ["original"] = amc.Original, ["AMC"] = amc.Searched, ["uniform"] = amc.Baseline("uniform")!, ["random search"] = random.Searched,
        };
        sb.AppendLine("| network | MACs | params | held-out top-1 (no FT) | test top-1 (no FT) | test top-1 after FT | latency ms (p10-p90) | speed-up | MAC reduction |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (int i = 0; i < nets.Count; i++)
        {
            var (name, ck) = nets[i];
            var cost = CostModel.Of(ck.Network);
            string ft = i == 0 ? "" : $"{100 * (ck.Info.Metrics?.GetValueOrDefault("test_top1") ?? double.NaN):F2}";
            sb.AppendLine(string.Format(ci, "| {0} | {1} | {2} | {3:F2} | {4:F2} | {5} | {6:F3} ({7:F3}-{8:F3}) | {9:F2}x | {10:F2}x |",
                name, Format.Count(cost.Macs), Format.Count(cost.Params), 100 * before[name].HeldOut, 100 * (before[name].TestTop1 ?? double.NaN), ft,
                latency[i].Median, latency[i].P10, latency[i].P90, baseLatency / latency[i].Median, baseMacs / cost.Macs));
        }
        sb.AppendLine().AppendLine("## AMC search").AppendLine();
        sb.AppendLine("Per-group keep ratios of AMC, uniform and the hand-crafted deep/shallow policies:").AppendLine();
        sb.AppendLine("![policy](amc/policy.png)").AppendLine();
        sb.AppendLine("Held-out accuracy per episode (reward = -error):").AppendLine();
        sb.AppendLine("![reward](amc/reward.png)").AppendLine();
        sb.AppendLine("Every episode's accuracy against its MACs (the wall keeps them at or under 50 %):").AppendLine();
        sb.AppendLine("![accuracy vs MACs](amc/accuracy-vs-macs.png)").AppendLine();
        sb.AppendLine("Random search, same episodes:").AppendLine();
        sb.AppendLine("![random](random/reward.png)").AppendLine();
        sb.AppendLine("Full search summaries: [amc/summary.md](amc/summary.md), [random/summary.md](random/summary.md).").AppendLine();
        sb.AppendLine("## Reproduce").AppendLine();
        sb.AppendLine("```");
        foreach (var c in commands) sb.AppendLine(c);
        sb.AppendLine("```");
        return sb.ToString();
    }
}
