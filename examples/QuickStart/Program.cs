// The amc library from C#, in the steps of the README's tour: load a trained network, search a
// 50 % MACs policy with AMC (a short search), prune it physically with least-squares
// reconstruction, fine-tune briefly, export to ONNX and time it against the original in ONNX Runtime.
//
//   dotnet run --project examples/QuickStart -- [checkpoint] [episodes]
using Amc.Graph;
using Amc.Latency;
using Amc.Onnx;
using Amc.Search;
using Amc.Sessions;
using Amc.Torch;
using Amc.Training;

string path = args.Length > 0 ? args[0] : "bench/models/resnet20-fmnist.amc";
int episodes = args.Length > 1 ? int.Parse(args[1]) : 12;
string outDir = Path.Combine(Path.GetTempPath(), "amc-quickstart");
if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);

// Load: the checkpoint carries its architecture, weights and input normalisation.
var ck = Checkpoint.Load(path);
var cost = CostModel.Of(ck.Network);
Console.WriteLine($"{ck.Network.Name}: {cost.Macs:N0} MACs, {cost.Params:N0} params, {ChannelGraph.Build(ck.Network).Prunable.Count()} prunable channel groups");

// Search: AMC under a 50 % MACs budget, every candidate pruned with least squares and scored on
// held-out training images. The embedded Fashion-MNIST subset keeps the example fast.
var data = new DataSettings("fashion-mnist-subset");
var calibration = new CalibrationSettings(Images: 500);
var search = SearchSession.Run(new SearchSettings
{
    Checkpoint = path, OutputFolder = outDir, Data = data, Calibration = calibration,
    Search = new SearchOptions { Target = 0.5, Episodes = episodes, Ddpg = new DdpgOptions { WarmupEpisodes = episodes / 2 } },
}, p => Console.WriteLine($"episode {p.Episode + 1}/{p.Episodes}: held-out {100 * p.Score:F1} %, best {(p.Best is { } b ? $"{100 * b.Top1:F1} %" : "none yet (NaN outputs)")}"));
foreach (var r in search.Results)
    Console.WriteLine($"  {r.Name}: {100 * r.MacsFraction:F1} % MACs, held-out top-1 {100 * r.HeldOut:F2} %, test top-1 {100 * r.TestTop1:F2} % (no fine-tuning)");

// Prune physically to the best policy.
var pruned = PruneSession.Run(new PruneSettings { Checkpoint = path, Policy = search.Policy, Data = data, Calibration = calibration });
Console.WriteLine($"pruned: {pruned.After.Macs:N0} MACs ({100.0 * pruned.After.Macs / cost.Macs:F1} %), test top-1 before fine-tuning {100 * pruned.After.TestTop1:F2} %");

// Fine-tune one short epoch on part of the training split.
var images = OpenedData.OpenFor(data, pruned.Pruned);
using var module = pruned.Pruned.ToModule();
new Trainer(module, images.Train, images.Split.Train.Take(2000).ToArray(), new TrainOptions { Epochs = 1, LearningRate = 0.01 }).Run(0, null, _ => { });
Console.WriteLine($"after fine-tuning: test top-1 {100 * Evaluator.Evaluate(module, images.Test, images.Test.AllIndices()).Top1:F2} %");

// Export to ONNX and time both networks in ONNX Runtime, interleaved.
var onnxPath = Path.Combine(outDir, "pruned.onnx");
OnnxExporter.Save(onnxPath, module.Network, module.Tensors());
using var small = OnnxRuntimeSession.FromFile(onnxPath, intraOpThreads: 1);
using var original = new OnnxRuntimeSession(OnnxExporter.Export(ck.Network, ck.Weights), intraOpThreads: 1);
var x = new float[ck.Network.Input.C * ck.Network.Input.H * ck.Network.Input.W];
var latency = LatencyMeter.MeasureInterleaved([() => original.Run(x, 1), () => small.Run(x, 1)], warmup: 20, repeats: 100);
Console.WriteLine($"ONNX Runtime, batch 1, 1 thread: original {latency[0].Median:F3} ms, pruned {latency[1].Median:F3} ms, speed-up {latency[0].Median / latency[1].Median:F2}x");
