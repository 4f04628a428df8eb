namespace Amc.Pruning;

/// <summary>
/// Per-channel mean and variance pooled over batches from each batch's own mean and variance
/// (Chan, Golub and LeVeque's pairwise update): exactly the statistics of all values together,
/// whatever the batch sizes, with no catastrophic cancellation. In double: it is a few numbers
/// per channel and batch.
/// </summary>
internal sealed class ChannelMoments(int channels)
{
    long count;
    readonly double[] mean = new double[channels];
    readonly double[] squaredDeviations = new double[channels]; // sum over values of (x - mean)²

    /// <param name="n">Values per channel in the batch.</param>
    /// <param name="batchMean">The batch's per-channel mean.</param>
    /// <param name="batchVariance">The batch's per-channel unbiased variance (undefined, and not read, when n is 1).</param>
    public void Add(long n, IReadOnlyList<double> batchMean, IReadOnlyList<double> batchVariance)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "a batch has at least one value per channel");
        if (batchMean.Count != channels || batchVariance.Count != channels)
            throw new ArgumentException($"expected {channels} channels, got a mean of {batchMean.Count} and a variance of {batchVariance.Count}");
        long total = count + n;
        for (int c = 0; c < channels; c++)
        {
            double delta = batchMean[c] - mean[c];
            double batchDeviations = n > 1 ? batchVariance[c] * (n - 1) : 0;
            squaredDeviations[c] += batchDeviations + delta * delta * count * n / total;
            mean[c] += delta * n / total;
        }
        count = total;
    }

    /// <summary>Values per channel added so far.</summary>
    public long Count => count;

    public double[] Mean() => (double[])mean.Clone();

    /// <summary>Unbiased variance over every value added (0 for a single value).</summary>
    public double[] UnbiasedVariance() => squaredDeviations.Select(s => s / Math.Max(1, count - 1)).ToArray();
}
