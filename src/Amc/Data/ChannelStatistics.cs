using Amc.Graph;

namespace Amc.Data;

/// <summary>Per-channel mean and standard deviation of uint8 images, on the 0..1 scale.</summary>
public static class ChannelStatistics
{
    public static (float[] Mean, float[] Std) Compute(byte[] pixels, TensorShape shape)
    {
        int plane = shape.H * shape.W, imageSize = shape.C * plane;
        int count = pixels.Length / imageSize;
        var sum = new long[shape.C];
        var sumSquares = new long[shape.C];
        // Integer sums are exact (60000 x 784 x 255^2 is far below long.MaxValue), so the result
        // does not depend on summation order.
        for (int i = 0; i < count; i++)
            for (int c = 0; c < shape.C; c++)
            {
                long s = 0, s2 = 0;
                foreach (byte b in pixels.AsSpan(i * imageSize + c * plane, plane))
                {
                    s += b;
                    s2 += b * b;
                }
                sum[c] += s;
                sumSquares[c] += s2;
            }
        var mean = new float[shape.C];
        var std = new float[shape.C];
        double n = (double)count * plane;
        for (int c = 0; c < shape.C; c++)
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
