using System.Diagnostics;
using Amc.Data;
using Amc.Graph;
using TorchSharp;

namespace Amc.Tests.Data;

public class BatchLoaderTests
{
    /// <summary>n images of C x 6 x 5 with pseudo-random bytes (no two rows alike, so any shift
    /// or mirror is recognisable), label i % 3.</summary>
    static Dataset Synthetic(int n, int channels = 2)
    {
        var shape = new TensorShape(channels, 6, 5);
        var pixels = new byte[n * channels * 30];
        new Random(42).NextBytes(pixels);
        var labels = Enumerable.Range(0, n).Select(i => i % 3).ToArray();
        var (mean, std) = ChannelStatistics.Compute(pixels, shape);
        return new Dataset("synthetic", pixels, labels, shape, 3, mean, std);
    }

    static float Normalised(Dataset d, int c, byte value) => (float)((value / 255.0 - d.Mean[c]) / d.Std[c]);

    static int[] All(Dataset d) => Enumerable.Range(0, d.Count).ToArray();

    [Fact]
    public void Plain_batches_are_in_order_normalised_and_end_with_a_partial_batch()
    {
        var data = Synthetic(23);
        var loader = new BatchLoader(data, All(data), batchSize: 10, shuffle: false, augment: false, seed: 0);

        var batches = loader.ToList();

        Assert.Equal(3, loader.BatchCount);
        Assert.Equal([10, 10, 3], batches.Select(b => b.Count));
        Assert.Equal(3 * 60, batches[2].Images.Length);
        Assert.Equal(data.Labels.Select(l => (long)l), batches.SelectMany(b => b.Labels));
        var expected = Enumerable.Range(0, data.Pixels.Length)
            .Select(k => Normalised(data, k % 60 / 30, data.Pixels[k]));
        Assert.Equal(expected, batches.SelectMany(b => b.Images));
    }

    [Fact]
    public void Normalised_training_data_has_zero_mean_and_unit_std()
    {
        var data = Synthetic(200, channels: 3);
        var images = new BatchLoader(data, All(data), 64, shuffle: true, augment: false, seed: 1)
            .SelectMany(b => b.Images).ToArray();

        double mean = images.Average(v => (double)v);
        double std = Math.Sqrt(images.Average(v => (v - mean) * (v - mean)));
        Assert.Equal(0, mean, 1e-4);
        Assert.Equal(1, std, 1e-4);
    }

    [Fact]
    public void Shuffle_is_deterministic_by_seed_and_covers_each_index_once()
    {
        var data = Synthetic(100);
        var indices = Enumerable.Range(10, 80).ToArray();
        float[] Images(int seed) => new BatchLoader(data, indices, 16, shuffle: true, augment: true, seed)
            .SelectMany(b => b.Images).ToArray();

        Assert.Equal(Images(5), Images(5));
        Assert.NotEqual(Images(5), Images(6));

        var loader = new BatchLoader(data, indices, 16, shuffle: true, augment: false, seed: 3);
        var seen = loader.SelectMany(b => Enumerable.Range(0, b.Count).Select(k => FindImage(data, b, k))).ToArray();
        Assert.Equal(indices, seen.Order());
        Assert.NotEqual(indices, seen);
        // Enumerating the same loader again repeats the epoch exactly.
        Assert.Equal(loader.SelectMany(b => b.Images), loader.SelectMany(b => b.Images));
    }

    [Fact]
    public void Batches_made_ahead_on_a_thread_equal_those_made_when_asked_for()
    {
        var data = Synthetic(150);
        float[][] Images(int prefetch) => new BatchLoader(data, All(data), 16, shuffle: true, augment: true, seed: 4, prefetch: prefetch)
            .Select(b => b.Images).ToArray();

        Assert.Equal(Images(0), Images(3));
    }

    [Fact]
    public void By_default_batches_are_made_on_the_consumers_thread()
    {
        // TorchSharp consumers need it: another thread allocating during a TorchSharp call can
        // free a Scalar under it (bench/ScalarRace). Nothing but this thread allocates here.
        var data = Synthetic(2000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        int images = new BatchLoader(data, All(data), 100, shuffle: true, augment: true, seed: 2).Sum(b => b.Count);
        long here = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(2000, images);
        Assert.True(here >= 2000L * data.ImageSize * sizeof(float), $"this thread allocated {here} bytes: the batches were made elsewhere");
    }

    /// <summary>The index of the data set image that batch image k is (unaugmented).</summary>
    static int FindImage(Dataset data, Batch batch, int k)
    {
        int size = data.ImageSize;
        for (int i = 0; i < data.Count; i++)
            if (Enumerable.Range(0, size).All(p =>
                    batch.Images[k * size + p] == Normalised(data, p / 30, data.Pixels[i * size + p])))
                return i;
        return -1;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Augmentation_is_a_padded_crop_and_optional_flip_of_the_image(bool flip)
    {
        var data = Synthetic(64);
        var loader = new BatchLoader(data, All(data), 64, shuffle: false, augment: true, seed: 9, flip: flip);

        var batch = loader.Single();

        Assert.Equal(64 * data.ImageSize, batch.Images.Length);
        var used = new HashSet<(int, int, bool)>();
        for (int i = 0; i < 64; i++)
        {
            var actual = batch.Images.AsSpan(i * data.ImageSize, data.ImageSize).ToArray();
            var match = Candidates().Where(t => Transformed(data, i, t.Dy, t.Dx, t.Mirror).SequenceEqual(actual)).ToList();
            Assert.NotEmpty(match);
            used.Add(match[0]);
        }
        Assert.True(used.Count > 20, $"only {used.Count} distinct crops in 64 images");
        Assert.Equal(flip, used.Any(t => t.Item3));
        Assert.Contains(used, t => t.Item1 != 0 || t.Item2 != 0);

        static IEnumerable<(int Dy, int Dx, bool Mirror)> Candidates()
            => from dy in Enumerable.Range(-4, 9) from dx in Enumerable.Range(-4, 9) from m in new[] { false, true }
               select (dy, dx, m);
    }

    /// <summary>Reference transform, written the slow obvious way: pad the image with 4 black
    /// pixels on each side, crop H x W at (4 + dy, 4 + dx), mirror if asked, normalise.</summary>
    static float[] Transformed(Dataset data, int image, int dy, int dx, bool mirror)
    {
        var (c, h, w) = (data.Shape.C, data.Shape.H, data.Shape.W);
        var padded = new byte[c, h + 8, w + 8];
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    padded[ch, y + 4, x + 4] = data.Pixels[image * data.ImageSize + (ch * h + y) * w + x];
        var result = new float[c * h * w];
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int cx = mirror ? w - 1 - x : x;
                    result[(ch * h + y) * w + x] = Normalised(data, ch, padded[ch, y + 4 + dy, cx + 4 + dx]);
                }
        return result;
    }

    [Fact]
    public async Task Breaking_early_stops_the_producer()
    {
        var data = Synthetic(5000);
        var loader = new BatchLoader(data, All(data), 1, shuffle: true, augment: true, seed: 0, prefetch: 2);

        var run = Task.Run(() =>
        {
            foreach (var batch in loader)
                if (batch.Count == 1)
                    break;
            using var enumerator = loader.GetEnumerator();
            enumerator.MoveNext();
            enumerator.MoveNext();
        });
        var first = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(5)));

        Assert.True(first == run, "enumeration did not stop");
        await run; // no wall-clock bound beyond the 5 s above: CI machines may be loaded
    }

    [Fact]
    public void Batch_becomes_tensors_of_the_right_shape_and_type()
    {
        var data = Synthetic(5);
        var batch = new BatchLoader(data, All(data), 4, shuffle: false, augment: false, seed: 0).First();

        using var scope = torch.NewDisposeScope();
        var (images, labels) = batch.ToTensors();

        Assert.Equal([4L, 2, 6, 5], images.shape);
        Assert.Equal(torch.ScalarType.Float32, images.dtype);
        Assert.Equal([4L], labels.shape);
        Assert.Equal(torch.ScalarType.Int64, labels.dtype);
        Assert.Equal(batch.Images[67], images[1, 0, 1, 2].item<float>());
        Assert.Equal(2L, labels[2].item<long>());
    }

    [Fact]
    public void Rejects_indices_outside_the_data_set()
    {
        var data = Synthetic(5);
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchLoader(data, [0, 5], 2, false, false, 0));
    }
}
