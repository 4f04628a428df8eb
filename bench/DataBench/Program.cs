// Measures how fast the data pipeline delivers batches, to check it can never be what training
// waits for (training consumes roughly 300-1000 images/s on these machines).
//   dotnet run -c Release --project bench/DataBench -- [data=fashion-mnist] [batch=128] [passes=5]
//   dotnet run -c Release --project bench/DataBench -- folders [images=256] [batch=32]
// The second form measures image-folder decoding at 224 (JPEGs of ImageNet's typical 500x375)
// with 1 and 2 decoding threads, against what MobileNetV2 and ResNet-50 consume at 224.
using System.Diagnostics;
using Amc.Data;
using Amc.Graph;
using TorchSharp;

if (args.Length > 0 && args[0] == "folders")
{
    FolderBench.Run(args.Length > 1 ? int.Parse(args[1]) : 256, args.Length > 2 ? int.Parse(args[2]) : 32);
    return;
}

string spec = args.Length > 0 ? args[0] : DataSource.FashionMnist;
int batchSize = args.Length > 1 ? int.Parse(args[1]) : 128;
int passes = args.Length > 2 ? int.Parse(args[2]) : 5;

var watch = Stopwatch.StartNew();
var data = DataSource.Load(spec);
Console.WriteLine($"load {spec}: {watch.Elapsed.TotalSeconds:F2} s  ({data.Origin})");
Console.WriteLine($"  train {data.Train.Count} x {data.Train.Shape}, test {data.Test.Count}, classes {data.Train.Classes}");
Console.WriteLine($"  mean {string.Join(" ", data.Train.Mean.Select(m => m.ToString("F4")))}  std {string.Join(" ", data.Train.Std.Select(s => s.ToString("F4")))}");

watch.Restart();
var split = HeldOutSplit.Create(data.Train.Count, seed: 2018);
Console.WriteLine($"held-out split (seed 2018): {split.Train.Length} / {split.HeldOut.Length}, hash {split.Hash}, {watch.Elapsed.TotalMilliseconds:F1} ms");

// No CIFAR-10 can be downloaded here; random bytes of its shape cost the loader the same.
var cifarShape = new TensorShape(3, 32, 32);
var cifarPixels = new byte[50000 * 3072];
new Random(1).NextBytes(cifarPixels);
var (cifarMean, cifarStd) = ChannelStatistics.Compute(cifarPixels, cifarShape);
var cifarLike = new Dataset("random 3x32x32", cifarPixels, new int[50000], cifarShape, 10, cifarMean, cifarStd);

Console.WriteLine($"batch {batchSize}, {Environment.ProcessorCount} cores, median of {passes} passes after one warm-up pass:");
Measure(data.Train, "shuffle + augment (pad 4, crop, flip)", augment: true, tensors: false);
Measure(data.Train, "shuffle + augment, consumer makes tensors", augment: true, tensors: true);
Measure(data.Train, "shuffle, no augmentation", augment: false, tensors: false);
Measure(cifarLike, "shuffle + augment (pad 4, crop, flip)", augment: true, tensors: false);
Measure(cifarLike, "shuffle + augment, consumer makes tensors", augment: true, tensors: true);

void Measure(Dataset set, string label, bool augment, bool tensors)
{
    var all = Enumerable.Range(0, set.Count).ToArray();
    var seconds = new List<double>();
    for (int pass = 0; pass <= passes; pass++)
    {
        var loader = new BatchLoader(set, all, batchSize, shuffle: true, augment, seed: pass);
        var time = Stopwatch.StartNew();
        foreach (var batch in loader)
            if (tensors)
            {
                using var scope = torch.NewDisposeScope();
                var (x, y) = batch.ToTensors();
            }
        if (pass > 0)
            seconds.Add(time.Elapsed.TotalSeconds);
    }
    double median = seconds.Order().ElementAt(seconds.Count / 2);
    int batches = (all.Length + batchSize - 1) / batchSize;
    Console.WriteLine($"  {set.Count} x {set.Shape}, {label,-42}: {batches / median,6:F0} batches/s {all.Length / median,8:F0} images/s");
}
