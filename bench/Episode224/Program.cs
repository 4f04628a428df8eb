// A search episode at 224x224 (issue 11, item 3): where its time goes, next to the time ONNX
// Runtime needs to run the same pruned network over the images the episode runs (500 scoring +
// 250 BN images, the issue's reference), for MobileNetV2 and ResNet-50.
//   dotnet run -c Release --project bench/Episode224 -- fixtures <dir>
//     writes <dir>/images (224x224 PNGs: Fashion-MNIST upscaled to RGB, train/ and test/ class
//     folders) and <dir>/<model>.amc for mobilenetv2 and resnet50 (random weights, BN statistics
//     estimated on 200 of the images). Accuracy means nothing; the work is that of a real model.
//   dotnet run -c Release --project bench/Episode224 -- episodes <dir> <model> [--policies 4] [--threads 2] [--torch-bn]
//     scores uniform and random policies around 50 % MACs with the search's own scoring set-up
//     (SearchScoring: --heldout 500 --calibration-images 500 --bn-images 250), one line per policy:
//     the episode's phases (StageTimes), then ORT over 750 images with a session made beforehand.
//     --torch-bn also scores each policy the earlier way (BN re-estimated in TorchSharp, then ORT),
//     interleaved with the new one.
//   dotnet run -c Release --project bench/Episode224 -- bn-graph <dir> <model>
//     the BN pass alone, 3 times: the BN statistics graph against the inference graph on the same batches.
//   dotnet run -c Release --project bench/Episode224 -- bn-profile <dir> <model>
//     ONNX Runtime's profile over the BN images, kernel milliseconds per op type: the BN statistics
//     graph unoptimized (as amc runs it) and optimized, and the inference graph.
//   dotnet run -c Release --project bench/Episode224 -- eval-check <dir> <model>
//     the uniform and a random policy's networks, with and without least squares, each evaluated
//     twice on fresh sessions over the 500 held-out images.
using System.Diagnostics;
using System.Globalization;
using Amc.Data;
using Amc.Graph;
using Amc.Models;
using Amc.Onnx;
using Amc.Pruning;
using Amc.Search;
using Amc.Sessions;
using Amc.Torch;
using SkiaSharp;
using static TorchSharp.torch;

Amc.Host.MallocTuning.Apply();
OnnxRuntimeEnvironment.DisableTelemetry();
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

const int Size = 224, Classes = 10, HeldOut = 500, CalibrationImages = 500, BatchNormImages = 250;
string[] Models = ["mobilenetv2", "resnet50"];

if (args is ["fixtures", var dir])
{
    Fixtures(dir);
    return 0;
}
if (args.Length >= 3 && args[0] == "episodes" && Models.Contains(args[2]))
{
    int policies = 4, threads = 2;
    bool torchBn = false;
    for (int i = 3; i < args.Length; i++)
        switch (args[i])
        {
            case "--policies": policies = int.Parse(args[++i]); break;
            case "--threads": threads = int.Parse(args[++i]); break;
            case "--torch-bn": torchBn = true; break;
            default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
        }
    Episodes(args[1], args[2], policies, threads, torchBn);
    return 0;
}
if (args is ["bn-graph", var d2, var m2])
{
    var options = new PruneOptions(Seed: 1, Reconstruct: false);
    var (scoring, cost) = Setup(d2, m2, options);
    using var _ = scoring;
    var policy = Around(scoring.Pruner.Graph, cost, cost.Of(cost.Full()).Macs, 0.5, null);
    var bn = new OnnxBatchNormCalibration(scoring.Pruner.BatchNormBatches);
    var arrays = scoring.Pruner.BatchNormBatches.Select(b => (b.data<float>().ToArray(), (int)b.shape[0])).ToList();
    Console.WriteLine($"{m2}: the uniform 50 % policy's BN pass over {arrays.Sum(a => a.Item2)} images (BN statistics graph, ORT), then the inference graph over the same batches; 2 threads");
    for (int r = 0; r < 3; r++)
    {
        using var scope = NewDisposeScope();
        var pruned = scoring.Pruner.Prune(policy, options);
        bn.Recalibrate(pruned.Network, pruned.Weights, 2, out double e, out double run);
        using var session = new OnnxRuntimeSession(OnnxExporter.Export(pruned.Network, pruned.Weights), 2);
        var c = Stopwatch.StartNew();
        foreach (var (x, n) in arrays) session.Run(x, n);
        Console.WriteLine($"BN statistics graph: export+session {e:F2} s, run {run:F2} s; inference graph: run {c.Elapsed.TotalSeconds:F2} s; " +
            $"{File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("VmHWM")).Replace("\t", " ")}, load {Load()}");
    }
    return 0;
}
if (args is ["bn-profile", var d3, var m3])
{
    // ONNX Runtime's own profile: milliseconds per op type of the BN statistics graph, unoptimized
    // as amc runs it and optimized for comparison, and of the inference graph.
    var options = new PruneOptions(Seed: 1, Reconstruct: false);
    var (scoring, cost) = Setup(d3, m3, options);
    using var _ = scoring;
    var policy = Around(scoring.Pruner.Graph, cost, cost.Of(cost.Full()).Macs, 0.5, null);
    var arrays = scoring.Pruner.BatchNormBatches.Select(b => (b.data<float>().ToArray(), (int)b.shape[0])).ToList();
    var pruned = scoring.Pruner.Prune(policy, options);
    var statistics = OnnxExporter.ExportBatchStatistics(pruned.Network, pruned.Weights);
    foreach (var (label, model, optimize) in new[] { ("statistics, unoptimized", statistics, false), ("statistics, optimized", statistics, true), ("inference", OnnxExporter.Export(pruned.Network, pruned.Weights), true) })
    {
        using var so = OnnxRuntimeSession.Options(2);
        so.EnableProfiling = true;
        if (!optimize) so.GraphOptimizationLevel = Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_DISABLE_ALL;
        so.ProfileOutputPathPrefix = Path.Combine(Path.GetTempPath(), $"bnprofile-{label.Replace(", ", "-")}");
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(model), so);
        string input = session.InputMetadata.Keys.First(), output = session.OutputMetadata.Keys.First();
        var c = Stopwatch.StartNew();
        foreach (var (x, n) in arrays)
        {
            using var v = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(x, [n, 3, Size, Size]);
            using var o = session.Run(new Microsoft.ML.OnnxRuntime.RunOptions(), [input], [v], [output]);
        }
        double total = c.Elapsed.TotalSeconds;
        string file = session.EndProfiling();
        var byOp = new Dictionary<string, double>();
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file));
        foreach (var e in json.RootElement.EnumerateArray())
            if (e.GetProperty("cat").GetString() == "Node" && e.GetProperty("name").GetString()!.EndsWith("_kernel_time"))
            {
                string op = e.GetProperty("args").GetProperty("op_name").GetString()!;
                byOp[op] = byOp.GetValueOrDefault(op) + e.GetProperty("dur").GetDouble() / 1000;
            }
        Console.WriteLine($"{label}: {total:F2} s over {arrays.Sum(a => a.Item2)} images; kernel ms by op: " +
            string.Join(", ", byOp.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value:F0}")));
    }
    return 0;
}
if (args is ["eval-check", var d4, var m4])
{
    // Why a random policy's evaluation is slower than the reference: the same network with and
    // without least squares, each evaluated twice on fresh sessions over the 500 held-out images.
    var options = new PruneOptions(Seed: 1);
    var (scoring, cost) = Setup(d4, m4, options);
    using var _ = scoring;
    var graph = scoring.Pruner.Graph;
    var evaluator = new OnnxEvaluator(scoring.HeldOut);
    var rng = new Random(1);
    foreach (var uniform in new[] { true, false })
    {
        var policy = Around(graph, cost, cost.Of(cost.Full()).Macs, 0.5, uniform ? null : rng);
        foreach (var ls in new[] { true, false })
        {
            using var scope = NewDisposeScope();
            var pruned = scoring.Pruner.Prune(policy, options with { Reconstruct = ls });
            var times = new List<string>();
            for (int r = 0; r < 2; r++)
            {
                var c = Stopwatch.StartNew();
                evaluator.Evaluate(pruned.Network, pruned.Weights, 2);
                times.Add($"{c.Elapsed.TotalSeconds:F2}");
            }
            var w = pruned.Weights.Values.SelectMany(t => t.data<float>().ToArray()).ToArray();
            int denormal = w.Count(v => v != 0 && Math.Abs(v) < 1.175494e-38f);
            Console.WriteLine($"{(uniform ? "uniform" : "random")} least squares {ls}: eval {string.Join(", ", times)} s; widths {string.Join(",", policy.Widths().Take(12))}...; denormal weights {denormal}; load {Load()}");
        }
    }
    return 0;
}
Console.Error.WriteLine("usage: fixtures <dir> | episodes <dir> <mobilenetv2|resnet50> [--policies 4] [--threads 2] [--torch-bn] | bn-graph <dir> <model> | bn-profile <dir> <model> | eval-check <dir> <model>");
return 2;

/// <summary>The fixture's checkpoint and images with the search's scoring set-up (2 threads), and its cost model.</summary>
static (SearchScoring Scoring, GroupWidthCost Cost) Setup(string dir, string model, PruneOptions options)
{
    set_num_threads(2);
    var ck = Checkpoint.Load(Path.Combine(dir, $"{model}.amc"));
    var data = OpenedData.OpenFor(new DataSettings(Path.Combine(dir, "images"), HeldOut: HeldOut), ck);
    var scoring = new SearchScoring(ck, data, new CalibrationSettings(CalibrationImages, BatchNormImages), options);
    return (scoring, new GroupWidthCost(ck.Network, scoring.Pruner.Graph));
}

void Fixtures(string dir)
{
    var source = DataSource.LoadEmbeddedSubset().Train;
    string images = Path.Combine(dir, "images");
    // 1100 training images (500 held out, 500 sampled for calibration, the rest unused), 100 test.
    WritePngs(source, Path.Combine(images, "train"), 0, 1100);
    WritePngs(source, Path.Combine(images, "test"), 1100, 100);
    var data = DataSource.Load(images, new ImageFolderOptions());
    using var sample = new Amc.Training.TensorBatches(data.Train, Enumerable.Range(0, 200).ToArray(), 50);
    foreach (var model in Models)
    {
        manual_seed(1);
        var net = ModelZoo.Build(model, new ModelOptions(new TensorShape(3, Size, Size), Classes));
        using var module = new GraphModule(net);
        set_num_threads(2);
        BatchNormCalibration.Recalibrate(module, sample.Images);
        var info = new CheckpointInfo { Model = model, Dataset = "synthetic-224", Mean = data.Train.Mean, Std = data.Train.Std, Command = "bench/Episode224 fixtures" };
        Checkpoint.From(module, info).Save(Path.Combine(dir, $"{model}.amc"));
        Console.WriteLine($"{model}: {CostModel.Of(net).Macs / 1e6:F0} MMACs, {Path.Combine(dir, model + ".amc")}");
    }
}

static void WritePngs(Dataset source, string folder, int first, int count)
{
    for (int i = first; i < first + count; i++)
    {
        int label = source.Labels[i % source.Count];
        string classFolder = Path.Combine(folder, $"c{label}");
        Directory.CreateDirectory(classFolder);
        using var bitmap = new SKBitmap(Size, Size);
        int offset = i % source.Count * 28 * 28;
        // Grey levels tinted per class and upscaled 8x (nearest): RGB images with real structure.
        for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
            {
                byte p = source.Pixels[offset + y / 8 * 28 + x / 8];
                bitmap.SetPixel(x, y, new SKColor(p, (byte)(p * (label + 3) / 12), (byte)(255 - p / 2)));
            }
        using var file = File.Create(Path.Combine(classFolder, $"{i}.png"));
        bitmap.Encode(file, SKEncodedImageFormat.Png, 100);
    }
}

void Episodes(string dir, string model, int policies, int threads, bool torchBn)
{
    set_num_threads(threads);
    var ck = Checkpoint.Load(Path.Combine(dir, $"{model}.amc"));
    var data = OpenedData.OpenFor(new DataSettings(Path.Combine(dir, "images"), HeldOut: HeldOut), ck);
    var options = new PruneOptions(Seed: 1);
    var clock = Stopwatch.StartNew();
    using var scoring = new SearchScoring(ck, data, new CalibrationSettings(CalibrationImages, BatchNormImages), options);
    double images = clock.Elapsed.TotalSeconds;
    clock.Restart();
    scoring.Pruner.Grams(options.Seed);
    double gramSeconds = clock.Elapsed.TotalSeconds;
    var scorer = scoring.Scorer();
    var evaluator = new OnnxEvaluator(scoring.HeldOut);
    var reference = ReferenceImages(scoring);
    var graph = scoring.Pruner.Graph;
    var cost = new GroupWidthCost(ck.Network, graph);
    long fullMacs = cost.Of(cost.Full()).Macs;
    int bnImages = scoring.Pruner.BatchNormBatches.Sum(b => (int)b.shape[0]);
    Console.WriteLine($"{model} {Size}x{Size}, {CostModel.Of(ck.Network).Macs / 1e6:F0} MMACs; {HeldOut} scoring / {CalibrationImages} calibration / {bnImages} BN images (--bn-images {BatchNormImages}); " +
        $"{threads} threads, load {Load()}; images made in {images:F1} s, Gram matrices in {gramSeconds:F1} s ({MemoryEstimate.GramBytes(ck.Network) / 1e9:F2} GB)");
    Console.WriteLine("policy | MMACs | prune | least squares | BN | export+session | eval | total | ORT over 750 images | total / ORT" + (torchBn ? " | TorchSharp BN: BN | total" : ""));
    var rng = new Random(1);
    for (int p = 0; p < policies; p++)
    {
        bool uniform = p % 2 == 0;
        var policy = Around(graph, cost, fullMacs, 0.5, uniform ? null : rng);
        var score = scorer.Score(policy);
        double ort = ReferenceSeconds(scoring.Pruner, policy, options, reference, threads);
        var t = score.Times;
        string line = $"{(uniform ? "uniform" : "random")} | {score.Macs / 1e6:F0} | {t.Prune:F2} | {t.LeastSquares:F2} | {t.BatchNorm:F2} | {t.Export:F2} | {t.Evaluate:F2} | {t.Total:F2} | {ort:F2} | {t.Total / ort:F2}";
        if (torchBn)
        {
            var old = scoring.Builder.Score(policy, (pruned, module) => evaluator.Evaluate(pruned.Network, module.Tensors(), threads));
            line += $" | {old.Times.BatchNorm:F2} | {old.Times.Total:F2}";
            if (Math.Abs(old.HeldOut.Top1 - score.HeldOut.Top1) > 0.002)
                line += $" (top-1 {old.HeldOut.Top1:F4} vs {score.HeldOut.Top1:F4})";
        }
        Console.WriteLine(line + $"  [load {Load()}]");
    }
}

static string Load() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

/// <summary>The 750 images of the issue's reference: the 500 held-out ones, then the first 250 BN images, in batches of 250.</summary>
static List<(float[] Images, int Count)> ReferenceImages(SearchScoring scoring)
{
    var all = scoring.HeldOut.Images.Concat(scoring.Pruner.BatchNormBatches).ToList();
    using var joined = cat(all, 0).narrow(0, 0, HeldOut + BatchNormImages);
    var batches = new List<(float[], int)>();
    for (int start = 0; start < joined.shape[0]; start += PruningMemory.ScoringBatch)
    {
        int n = (int)Math.Min(PruningMemory.ScoringBatch, joined.shape[0] - start);
        using var b = joined.narrow(0, start, n).contiguous();
        batches.Add((b.data<float>().ToArray(), n));
    }
    return batches;
}

/// <summary>Seconds ONNX Runtime takes to run the policy's pruned network over the reference images (session made beforehand).</summary>
static double ReferenceSeconds(ChannelPruner pruner, Policy policy, PruneOptions options, List<(float[] Images, int Count)> images, int threads)
{
    using var scope = NewDisposeScope();
    var pruned = pruner.Prune(policy, options with { Reconstruct = false });
    using var session = new OnnxRuntimeSession(OnnxExporter.Export(pruned.Network, pruned.Weights), threads);
    var clock = Stopwatch.StartNew();
    foreach (var (x, n) in images) session.Run(x, n);
    return clock.Elapsed.TotalSeconds;
}

/// <summary>
/// Widths at about <paramref name="target"/> of the MACs: every prunable group at one keep ratio
/// (uniform), or at that ratio times a random factor in [0.5, 1.5] (random), widths rounded up to
/// multiples of 8 and clamped to [0.2, 1] of the group; the ratio found by bisection.
/// </summary>
static Policy Around(ChannelGraph graph, GroupWidthCost cost, long fullMacs, double target, Random? rng)
{
    var factors = graph.Groups.Select(_ => rng is null ? 1.0 : 0.5 + rng.NextDouble()).ToArray();
    Policy At(double ratio) => Policy.OfWidths(graph.Groups.Select(g => !g.Prunable ? g.Channels
        : Math.Min(g.Channels, (int)Math.Ceiling(g.Channels * Math.Clamp(ratio * factors[g.Id], 0.2, 1.0) / 8) * 8)));
    double lo = 0, hi = 2;
    for (int i = 0; i < 30; i++)
    {
        double mid = (lo + hi) / 2;
        if (cost.Of(At(mid)).Macs > target * fullMacs) hi = mid; else lo = mid;
    }
    return At(lo);
}
