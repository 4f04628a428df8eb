using System.Diagnostics;
using Amc.Data;
using Amc.Graph;
using Amc.Models;
using Amc.Torch;
using SkiaSharp;
using TorchSharp;

/// <summary>Image-folder decoding throughput at 224 against what scoring and training consume.</summary>
static class FolderBench
{
    public static void Run(int images, int batchSize)
    {
        string root = Path.Combine(Path.GetTempPath(), $"amc-folderbench-{Environment.ProcessId}");
        try
        {
            WriteJpegs(root, images);
            var data = DataSource.Load(root, new ImageFolderOptions(Width: 224, Height: 224, CacheMegabytes: 0));
            var all = data.Train.AllIndices();
            Console.WriteLine($"{images} JPEGs of 500x375 (quality 90) in 4 classes, batch {batchSize}, {Environment.ProcessorCount} cores, cache off, best of 3 passes:");
            foreach (int threads in new[] { 1, 2 })
            {
                Console.WriteLine($"  evaluation (resize 256, centre crop 224), {threads} thread(s): {Rate(data.Train, all, batchSize, false, threads),6:F0} images/s");
                Console.WriteLine($"  training (random-resized crop 224 + flip), {threads} thread(s): {Rate(data.Train, all, batchSize, true, threads),6:F0} images/s");
            }
            foreach (var name in new[] { "mobilenetv2", "resnet50" })
                Consumption(name);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    static void WriteJpegs(string root, int images)
    {
        var random = new Random(1);
        for (int i = 0; i < images; i++)
        {
            string folder = Path.Combine(root, i % 8 < 6 ? "train" : "test", $"c{i % 4}");
            Directory.CreateDirectory(folder);
            using var bitmap = new SKBitmap(500, 375);
            // Smooth gradients plus noise: JPEG decoding cost depends on size and detail.
            int a = random.Next(256), b = random.Next(256);
            for (int y = 0; y < 375; y++)
                for (int x = 0; x < 500; x++)
                    bitmap.SetPixel(x, y, new SKColor((byte)(a + x / 2), (byte)(b + y / 2), (byte)random.Next(256)));
            using var file = File.Create(Path.Combine(folder, $"{i}.jpg"));
            bitmap.Encode(file, SKEncodedImageFormat.Jpeg, 90);
        }
    }

    static double Rate(Dataset data, int[] all, int batchSize, bool augment, int threads)
    {
        double best = 0;
        for (int pass = 0; pass < 3; pass++)
        {
            var watch = Stopwatch.StartNew();
            foreach (var _ in new BatchLoader(data, all, batchSize, shuffle: true, augment, seed: pass, decodeThreads: threads)) { }
            best = Math.Max(best, all.Length / watch.Elapsed.TotalSeconds);
        }
        return best;
    }

    /// <summary>TorchSharp inference (batch 32) and one training step (batch 16) at 224, 2 threads.</summary>
    static void Consumption(string name)
    {
        torch.set_num_threads(2);
        var net = ModelZoo.Build(name, new ModelOptions(new TensorShape(3, 224, 224), 1000, 1.0));
        using var module = new GraphModule(net);
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(32, 3, 224, 224);
        module.eval();
        double inference;
        using (torch.no_grad())
        {
            module.call(x);
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < 2; i++) module.call(x);
            inference = 64 / watch.Elapsed.TotalSeconds;
        }
        module.train();
        var optimizer = torch.optim.SGD(module.parameters(), 0.01);
        var xt = torch.randn(16, 3, 224, 224);
        var y = torch.zeros(16, dtype: torch.int64);
        double Step()
        {
            var watch = Stopwatch.StartNew();
            optimizer.zero_grad();
            torch.nn.functional.cross_entropy(module.call(xt), y).backward();
            optimizer.step();
            return 16 / watch.Elapsed.TotalSeconds;
        }
        Step();
        double training = Step();
        Console.WriteLine($"  {name} at 224 consumes: inference {inference:F0} images/s (batch 32), training {training:F0} images/s (batch 16)");
    }
}
