using Amc.Pruning;

namespace Amc.Tests.Pruning;

public class ChannelMomentsTests
{
    static (double Mean, double Variance) Direct(IEnumerable<double> values)
    {
        var v = values.ToArray();
        double mean = v.Average();
        return (mean, v.Sum(x => (x - mean) * (x - mean)) / Math.Max(1, v.Length - 1));
    }

    static (double[] Mean, double[] Variance) Batch(double[][] channels) =>
        (channels.Select(c => Direct(c).Mean).ToArray(), channels.Select(c => c.Length > 1 ? Direct(c).Variance : double.NaN).ToArray());

    [Theory]
    [InlineData(new[] { 7 }, 0.0)]
    [InlineData(new[] { 5, 5, 5 }, 0.0)]
    [InlineData(new[] { 9, 2, 1, 30 }, 0.0)] // uneven batches, one of a single value
    [InlineData(new[] { 100, 3, 50 }, 1e4)]  // a mean far larger than the spread: sums of x and x² would cancel
    public void Pooled_batches_give_the_statistics_of_all_values_together(int[] sizes, double offset)
    {
        var rng = new Random(1);
        var moments = new ChannelMoments(2);
        var all = new List<double>[] { [], [] };
        foreach (var (n, b) in sizes.Select((n, b) => (n, b)))
        {
            // Batches with different means and spreads, so an average of batch variances would be wrong.
            var channels = Enumerable.Range(0, 2).Select(c =>
                Enumerable.Range(0, n).Select(_ => offset + b - 3 * c + (1 + b) * (rng.NextDouble() - 0.5)).ToArray()).ToArray();
            for (int c = 0; c < 2; c++) all[c].AddRange(channels[c]);
            var (mean, variance) = Batch(channels);
            moments.Add(n, mean, variance);
        }
        Assert.Equal(sizes.Sum(), moments.Count);
        for (int c = 0; c < 2; c++)
        {
            var (mean, variance) = Direct(all[c]);
            Assert.Equal(mean, moments.Mean()[c], 1e-9 * (1 + Math.Abs(mean)));
            Assert.Equal(variance, moments.UnbiasedVariance()[c], 1e-9 * variance);
        }
    }

    [Fact]
    public void A_single_value_has_no_spread_and_a_wrong_channel_count_is_refused()
    {
        var moments = new ChannelMoments(1);
        moments.Add(1, [4.0], [double.NaN]);
        Assert.Equal([4.0], moments.Mean());
        Assert.Equal([0.0], moments.UnbiasedVariance());
        Assert.Throws<ArgumentException>(() => moments.Add(3, [1.0, 2.0], [1.0, 1.0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => moments.Add(0, [1.0], [1.0]));
    }
}
