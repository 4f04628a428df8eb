// The amc library from C#: load a trained network, profile it, search a 50 % MACs policy with
// AMC (a short search), prune it physically with least-squares reconstruction, fine-tune briefly,
// export to ONNX and time it against the original in ONNX Runtime.
//
//   dotnet run --project examples/QuickStart -- [checkpoint] [episodes]
using Amc.Data;
using Amc.Graph;
using Amc.Pruning;
using Amc.Search;
using Amc.Training;
using Amc.Host;
using Amc.Latency;
using Amc.Onnx;
using Amc.Torch;

MallocTuning.Apply();
TorchSharp.torch.set_num_threads(Environment.ProcessorCount);
string path = args.Length > 0 ? args[0] : "bench/models/resnet20-fmnist.amc";
int episodes = args.Length > 1 ? int.Parse(args[1]) : 12;

// Load: the checkpoint carries its architecture, weights and input normalisation.
var ck = Checkpoint.Load(path);
var cost = CostModel.Of(ck.Network);
Console.WriteLine($"{ck.Network.Name}: {cost.Macs:N0} MACs, {cost.Params:N0} params, {ChannelGraph.Build(ck.Network).Prunable.Count()} prunable channel groups");

// Data: the embedded Fashion-MNIST subset keeps the example fast; normalise like the base model.
var data = DataSource.Load("fashion-mnist-subset");
var train = data.Train with { Mean = ck.Info.Mean ?? data.Train.Mean, Std = ck.Info.Std ?? data.Train.Std };
var test = data.Test with { Mean = train.Mean, Std = train.Std };
var split = HeldOutSplit.Create(train.Count, seed: 2018);
using var calibration = new TensorBatches(train, split.Train.Take(500).ToArray(), 100);
using var heldOut = new TensorBatches(train, split.HeldOut, 200);
using var testBatches = new TensorBatches(test, Enumerable.Range(0, test.Count).ToArray(), 250);

// Search: the AMC environment with its budget wall, scored by pruning + least squares + BN re-estimation.
var pruner = new ChannelPruner(ck.Network, ck.Weights, calibration.Images, batchNormBatches: 2);
var prune = new PruneOptions(Round: 4);
var options = new SearchOptions { Target = 0.5, Episodes = episodes, Ddpg = new DdpgOptions { WarmupEpisodes = episodes / 2 } };
var env = new PruningEnvironment(ck.Network, pruner.Graph, options, prune.Round);
var builder = new CandidateBuilder(pruner, prune);
var scorer = new TorchCandidateScorer(builder, heldOut);
var outDir = Path.Combine(Path.GetTempPath(), "amc-quickstart");
if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
var best = new SearchRunner(env, scorer, options, outDir, fingerprint: "quickstart").Run(resume: false,
    p => Console.WriteLine($"episode {p.Episode + 1}/{p.Episodes}: held-out {100 * p.Top1:F1} %, best {(p.Best is { } b ? $"{100 * b.Top1:F1} %" : "none yet (NaN outputs)")}"));

// Prune physically to the best policy and fine-tune one short epoch.
var (pruned, module) = builder.Build(best.Widths);
var prunedCost = CostModel.Of(pruned.Network);
Console.WriteLine($"pruned: {prunedCost.Macs:N0} MACs ({100.0 * prunedCost.Macs / cost.Macs:F1} %), test top-1 before fine-tuning {100 * Evaluator.Evaluate(module, testBatches).Top1:F2} %");
new Trainer(module, train, split.Train.Take(2000).ToArray(), new TrainOptions { Epochs = 1, LearningRate = 0.01 }).Run(0, null, _ => { });
Console.WriteLine($"after fine-tuning: test top-1 {100 * Evaluator.Evaluate(module, testBatches).Top1:F2} %");

// Export to ONNX and time both networks in ONNX Runtime, interleaved.
var onnxPath = Path.Combine(outDir, "pruned.onnx");
OnnxExporter.Save(onnxPath, pruned.Network, module.Tensors());
using var small = OnnxRuntimeSession.FromFile(onnxPath, intraOpThreads: 1);
using var original = new OnnxRuntimeSession(OnnxExporter.Export(ck.Network, ck.Weights), intraOpThreads: 1);
var x = new float[ck.Network.Input.C * ck.Network.Input.H * ck.Network.Input.W];
var latency = LatencyMeter.MeasureInterleaved([() => original.Run(x, 1), () => small.Run(x, 1)], warmup: 20, repeats: 100);
Console.WriteLine($"ONNX Runtime, batch 1, 1 thread: original {latency[0].Median:F3} ms, pruned {latency[1].Median:F3} ms, speed-up {latency[0].Median / latency[1].Median:F2}x");
module.Dispose();
