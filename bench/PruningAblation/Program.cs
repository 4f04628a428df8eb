// Pruning ablation (issue 3): held-out accuracy of one uniform policy at a MACs budget with
// L1 selection only, + BN re-estimation, + least squares, + both; and the time to prune,
// reconstruct and score one candidate, by stage.
//
// usage: dotnet run -c Release --project bench/PruningAblation -- CHECKPOINT [target=0.5] [round=1] [repeats=5]
using System.Diagnostics;
using System.Globalization;
using Amc.Graph;
using Amc.Pruning;
using Amc.Search;
using Amc.Sessions;
using Amc.Training;
using Amc.Host;
using Amc.Torch;

MallocTuning.Apply();
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string path = args[0];
double target = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 0.5;
int round = args.Length > 2 ? int.Parse(args[2]) : 1;
int repeats = args.Length > 3 ? int.Parse(args[3]) : 5;
TorchSharp.torch.set_num_threads(Environment.ProcessorCount);

var ck = Checkpoint.Load(path);
// The data, calibration sample and pruner a search or prune session would make with its defaults (seed 0).
var data = OpenedData.OpenFor(new DataSettings("fashion-mnist"), ck);
var (split, test) = (data.Split, data.Test);
var calibrationSettings = new CalibrationSettings();
using var calibration = data.CalibrationSample(calibrationSettings.Images, seed: 0);
using var heldOut = new TensorBatches(data.Train, split.HeldOut, PruningMemory.ScoringBatch);
using var testBatches = new TensorBatches(test, test.AllIndices(), PruningMemory.ScoringBatch);

var graph = ChannelGraph.Build(ck.Network);
var options = new SearchOptions { Target = target };
var env = new PruningEnvironment(ck.Network, graph, options, round);
var widths = Baselines.Policy("uniform", env, options);
var pruner = calibrationSettings.Pruner(ck, calibration);
var clock = Stopwatch.StartNew();
pruner.Grams(0);
double gramSeconds = clock.Elapsed.TotalSeconds;

Console.WriteLine($"# Pruning ablation: {ck.Network.Name}, uniform policy at {target:P0} MACs (round {round})");
Console.WriteLine();
Console.WriteLine($"- checkpoint `{path}`, held-out {split.HeldOut.Length} training images (hash {split.Hash}), test {test.Count}");
Console.WriteLine($"- calibration: 3000 training images, 10 points per image; Gram matrices collected once in {gramSeconds:F2} s; BN re-estimation on 500 images");
Console.WriteLine($"- {Environment.ProcessorCount} threads, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
var full = CostModel.Of(ck.Network);
using (var original = ck.ToModule())
    Console.WriteLine($"- original: {full.Macs:N0} MACs, held-out top-1 {100 * Evaluator.Evaluate(original, heldOut).Top1:F2} %, test top-1 {100 * Evaluator.Evaluate(original, testBatches).Top1:F2} %");
Console.WriteLine();
Console.WriteLine("| variant | MACs % | held-out top-1 | test top-1 | prune s | least squares s | BN s | evaluate s | total s (median of " + repeats + ") |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (var (name, reconstruct, bn) in new[] { ("L1 only", false, false), ("L1 + BN re-estimation", false, true), ("L1 + least squares", true, false), ("L1 + least squares + BN", true, true) })
{
    var po = new PruneOptions(Round: round, Reconstruct: reconstruct, RecalibrateBatchNorm: bn);
    var builder = new CandidateBuilder(pruner, po);
    var scorer = new TorchCandidateScorer(builder, heldOut);
    var scores = Enumerable.Range(0, repeats).Select(_ => scorer.Score(widths)).ToList();
    var (_, module) = builder.Build(widths);
    double testTop1 = Evaluator.Evaluate(module, testBatches).Top1;
    module.Dispose();
    double Med(Func<StageTimes, double> f) => scores.Select(s => f(s.Times)).Order().ElementAt(scores.Count / 2);
    Console.WriteLine($"| {name} | {100.0 * scores[0].Macs / full.Macs:F1} | {100 * scores[0].HeldOut.Top1:F2} | {100 * testTop1:F2} | {Med(t => t.Prune):F3} | {Med(t => t.LeastSquares):F3} | {Med(t => t.BatchNorm):F3} | {Med(t => t.Evaluate):F3} | {Med(t => t.Total):F3} |");
}
{
    var po = new PruneOptions(Round: round);
    var scorer = new OnnxCandidateScorer(new CandidateBuilder(pruner, po), heldOut);
    var scores = Enumerable.Range(0, repeats).Select(_ => scorer.Score(widths)).ToList();
    double Med(Func<StageTimes, double> f) => scores.Select(s => f(s.Times)).Order().ElementAt(scores.Count / 2);
    Console.WriteLine($"| L1 + least squares + BN, evaluated in ONNX Runtime | {100.0 * scores[0].Macs / full.Macs:F1} | {100 * scores[0].HeldOut.Top1:F2} | | {Med(t => t.Prune):F3} | {Med(t => t.LeastSquares):F3} | {Med(t => t.BatchNorm):F3} | {Med(t => t.Evaluate):F3} | {Med(t => t.Total):F3} |");
}
