using Amc.Graph;

namespace Amc.Data;

/// <summary>Per-channel mean and standard deviation of uint8 images, on the 0..1 scale.</summary>
internal static class ChannelStatistics
{
    public static (float[] Mean, float[] Std) Compute(byte[] pixels, TensorShape shape)
    {
        var sums = new Sums(shape.C);
        int imageSize = (int)shape.Elements;
        for (int i = 0; i < pixels.Length / imageSize; i++)
            sums.Add(pixels.AsSpan(i * imageSize, imageSize), shape);
        return sums.Result();
    }

    /// <summary>
    /// Running integer sums of pixel values and their squares per channel. Integer sums are exact
    /// (60000 x 784 x 255^2 is far below long.MaxValue), so the result does not depend on the
    /// order images are added in, and partial sums from parallel workers can be combined.
    /// </summary>
    public sealed class Sums(int channels)
    {
        readonly long[] sum = new long[channels], sumSquares = new long[channels];
        long pixelsPerChannel;

        public void Add(ReadOnlySpan<byte> image, TensorShape shape)
        {
            int plane = shape.H * shape.W;
            for (int c = 0; c < shape.C; c++)
            {
                long s = 0, s2 = 0;
                foreach (byte b in image.Slice(c * plane, plane))
                {
                    s += b;
                    s2 += b * b;
                }
                sum[c] += s;
                sumSquares[c] += s2;
            }
            pixelsPerChannel += plane;
        }

        public void Add(Sums other)
        {
            for (int c = 0; c < sum.Length; c++)
            {
                sum[c] += other.sum[c];
                sumSquares[c] += other.sumSquares[c];
            }
            pixelsPerChannel += other.pixelsPerChannel;
        }

        public (float[] Mean, float[] Std) Result()
        {
            var mean = new float[sum.Length];
            var std = new float[sum.Length];
            double n = pixelsPerChannel;
            for (int c = 0; c < sum.Length; c++)
            {
                double m = sum[c] / n;
                double variance = Math.Max(0, sumSquares[c] / n - m * m);
                mean[c] = (float)(m / 255);
                // A constant channel would divide by zero when normalising; 1 leaves it merely centred.
                std[c] = variance > 0 ? (float)(Math.Sqrt(variance) / 255) : 1f;
            }
            return (mean, std);
        }
    }
}
