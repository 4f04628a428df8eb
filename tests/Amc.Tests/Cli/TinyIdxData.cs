using Amc.Tests.Data;

namespace Amc.Tests.Cli;

/// <summary>A small IDX data set (Fashion-MNIST layout) for running the command end to end in seconds.</summary>
static class TinyIdxData
{
    /// <summary>
    /// Writes train/t10k images and labels of size x size into <paramref name="folder"/>. Class c
    /// is a bright horizontal band at row c plus noise, so one epoch already learns something.
    /// </summary>
    public static string Write(string folder, int train = 200, int test = 50, int size = 28)
    {
        Directory.CreateDirectory(folder);
        var rng = new Random(11);
        void Split(string prefix, int count)
        {
            var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
            var images = DataFiles.IdxImages(count, size, size, (i, p) =>
                (byte)((p / size) % 10 == labels[i] ? 180 + rng.Next(60) : rng.Next(60)));
            File.WriteAllBytes(Path.Combine(folder, $"{prefix}-images-idx3-ubyte"), images);
            File.WriteAllBytes(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte"), DataFiles.IdxLabels(labels));
        }
        Split("train", train);
        Split("t10k", test);
        return folder;
    }
}
