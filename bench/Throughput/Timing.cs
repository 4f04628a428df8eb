using System.Diagnostics;

/// <summary>Images per second of repeated timed runs: their median, minimum and maximum.</summary>
sealed record Throughput(double Median, double Min, double Max, int Repeats, int Iterations)
{
    public string Cell => $"{Median:F0} ({Min:F0}–{Max:F0})";
}

sealed record TimingSettings(double WarmupSeconds, double RepeatSeconds, int Repeats)
{
    public static readonly TimingSettings Full = new(1.0, 1.0, 5);
    public static readonly TimingSettings Quick = new(0.2, 0.2, 2);
}

static class Timing
{
    /// <summary>
    /// Warms every backend up, sizes its repeats to about RepeatSeconds, then times the repeats
    /// round-robin: backend A, B, C, A, B, C, ... so a change in machine load hits all of them alike.
    /// </summary>
    public static Dictionary<string, Throughput> Measure(IReadOnlyList<Backend> backends, int imagesPerIteration, TimingSettings s)
    {
        var iterations = backends.ToDictionary(b => b.Name, b => Warmup(b, s));
        var rates = backends.ToDictionary(b => b.Name, _ => new List<double>());
        for (int r = 0; r < s.Repeats; r++)
            foreach (var b in backends)
                rates[b.Name].Add(imagesPerIteration * iterations[b.Name] / b.Run(iterations[b.Name]));
        return backends.ToDictionary(b => b.Name, b =>
        {
            var sorted = rates[b.Name].Order().ToArray();
            double median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
            return new Throughput(median, sorted[0], sorted[^1], sorted.Length, iterations[b.Name]);
        });
    }

    /// <summary>Runs single iterations for WarmupSeconds (at least two); returns iterations per repeat.</summary>
    static int Warmup(Backend b, TimingSettings s)
    {
        var clock = Stopwatch.StartNew();
        double last;
        int calls = 0;
        do
        {
            last = b.Run(1);
            calls++;
        } while (calls < 2 || clock.Elapsed.TotalSeconds < s.WarmupSeconds);
        return Math.Max(1, (int)Math.Round(s.RepeatSeconds / last));
    }
}
