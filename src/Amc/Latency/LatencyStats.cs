namespace Amc.Latency;

/// <summary>Latency of repeated runs, in milliseconds: median and spread over the timed repeats.</summary>
public sealed record LatencyStats(double Median, double Min, double Max, double P10, double P90, int Repeats)
{
    public static LatencyStats Of(IReadOnlyList<double> samples)
    {
        var s = samples.Order().ToArray();
        double At(double q) => s[Math.Clamp((int)Math.Round(q * (s.Length - 1)), 0, s.Length - 1)];
        return new LatencyStats(At(0.5), s[0], s[^1], At(0.1), At(0.9), s.Length);
    }
}
