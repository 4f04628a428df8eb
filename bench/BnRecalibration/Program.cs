// Time and memory of BN re-estimation at ImageNet scale: a uniformly 0.5-pruned MobileNetV2 or
// ResNet-50 at 224x224 (random weights: the statistics' values do not change the work), its BN
// statistics re-estimated on synthetic images in batches, as ChannelPruner.ToModule does for
// every candidate of a search. One implementation per process, so peak memory can be read per
// implementation with /usr/bin/time -v:
//   dotnet run -c Release --project bench/BnRecalibration -- <mobilenetv2|resnet50> <before|after|compare> [--images 250] [--batch 50] [--repeats 2] [--threads 2] [--size 224]
// before: the earlier implementation (every activation of a batch kept, BN inputs summed in
// float64), kept below to be compared against; after: BatchNormCalibration.Recalibrate;
// compare: both on the same network, reporting the largest relative difference of the statistics.
using System.Diagnostics;
using System.Globalization;
using Amc.Graph;
using Amc.Models;
using Amc.Pruning;
using Amc.Torch;
using static TorchSharp.torch;

Amc.Host.MallocTuning.Apply();
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

if (args.Length < 2 || !ModelZoo.Contains(args[0]) || args[1] is not ("before" or "after" or "compare"))
{
    Console.Error.WriteLine("usage: <model> <before|after|compare> [--images 250] [--batch 50] [--repeats 2] [--threads 2] [--size 224]");
    return 2;
}
string model = args[0], impl = args[1];
int images = 250, batchSize = 50, repeats = 2, threads = 2, size = 224;
for (int i = 2; i + 1 < args.Length; i += 2)
{
    int value = int.Parse(args[i + 1]);
    switch (args[i])
    {
        case "--images": images = value; break;
        case "--batch": batchSize = value; break;
        case "--repeats": repeats = value; break;
        case "--threads": threads = value; break;
        case "--size": size = value; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
set_num_threads(threads);

var net = ModelZoo.Build(model, new ModelOptions(new TensorShape(3, size, size), Classes: 1000));
var graph = ChannelGraph.Build(net);
var widths = Policy.OfWidths(graph.Groups.Select(g => g.Prunable ? Math.Max(1, g.Channels / 2) : g.Channels));
manual_seed(1);
var full = new GraphModule(net); // the pruned weights may share its storage: kept alive
var pruned = NetworkPruner.ToWidths(net, graph, full.Tensors(), widths);
var generator = new Generator(2);
var batches = Enumerable.Range(0, (images + batchSize - 1) / batchSize)
    .Select(b => randn([Math.Min(batchSize, images - b * batchSize), 3, size, size], generator: generator)).ToList();

GraphModule Fresh()
{
    var m = new GraphModule(pruned.Network);
    m.LoadTensors(pruned.Weights);
    return m;
}

Console.WriteLine($"{model} {size}x{size}, uniform 0.5 ({CostModel.Of(pruned.Network).Macs / 1e6:F0} MMACs), {images} images in batches of {batchSize}, {threads} threads, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
if (impl == "compare")
{
    using var a = Fresh();
    using var b = Fresh();
    EarlierBatchNormCalibration.Recalibrate(a, batches);
    BatchNormCalibration.Recalibrate(b, batches);
    var ta = a.Tensors();
    var tb = b.Tensors();
    double worst = 0;
    foreach (var key in ta.Keys.Where(k => k.EndsWith(".running_mean") || k.EndsWith(".running_var")))
    {
        using var d = (ta[key] - tb[key]).abs() / (ta[key].abs() + 1e-6);
        worst = Math.Max(worst, d.max().item<float>());
    }
    Console.WriteLine($"largest relative difference of a running mean or variance, before vs after: {worst:E2}");
    return 0;
}
for (int r = 0; r < repeats; r++)
{
    using var m = Fresh();
    var clock = Stopwatch.StartNew();
    if (impl == "before") EarlierBatchNormCalibration.Recalibrate(m, batches);
    else BatchNormCalibration.Recalibrate(m, batches);
    Console.WriteLine($"{impl} run {r + 1}: {clock.Elapsed.TotalSeconds:F2} s");
}
return 0;

/// <summary>BatchNormCalibration.Recalibrate as it was before it streamed (kept for this comparison only).</summary>
static class EarlierBatchNormCalibration
{
    public static void Recalibrate(GraphModule model, IReadOnlyList<Tensor> batches)
    {
        var net = model.Network;
        var layers = net.Layers.Where(l => l.Kind == LayerKind.BatchNorm2d).ToList();
        if (layers.Count == 0 || batches.Count == 0) return;
        using var outer = NewDisposeScope();
        var shapes = ShapeInference.Infer(net);
        var sums = layers.ToDictionary(l => l.Name, l => zeros(shapes[l.Name].C, dtype: ScalarType.Float64));
        var squares = layers.ToDictionary(l => l.Name, l => zeros(shapes[l.Name].C, dtype: ScalarType.Float64));
        model.eval();
        foreach (var bn in model.BatchNorms()) bn.train();
        using (no_grad())
        {
            foreach (var x in batches)
            {
                using var batch = NewDisposeScope();
                var values = model.ForwardAll(x);
                foreach (var l in layers)
                {
                    var input = values[l.Input].to_type(ScalarType.Float64);
                    sums[l.Name].add_(input.sum([0, 2, 3]));
                    squares[l.Name].add_(input.square().sum([0, 2, 3]));
                }
            }
            long images = batches.Sum(x => x.shape[0]);
            var tensors = model.Tensors();
            foreach (var l in layers)
            {
                long n = images * shapes[l.Input].H * shapes[l.Input].W;
                var mean = sums[l.Name] / n;
                var variance = ((squares[l.Name] - mean.square() * n) / Math.Max(1, n - 1)).clamp_min(0);
                tensors[$"{l.Name}.running_mean"].copy_(mean);
                tensors[$"{l.Name}.running_var"].copy_(variance);
            }
        }
        foreach (var bn in model.BatchNorms()) bn.eval();
    }
}
