using System.Diagnostics;

namespace Amc.Deploy;

/// <summary>Latency of repeated runs, in milliseconds: median and spread over the timed repeats.</summary>
public sealed record Latency(double Median, double Min, double Max, double P10, double P90, int Repeats)
{
    public static Latency Of(IReadOnlyList<double> samples)
    {
        var s = samples.Order().ToArray();
        double At(double q) => s[Math.Clamp((int)Math.Round(q * (s.Length - 1)), 0, s.Length - 1)];
        return new Latency(At(0.5), s[0], s[^1], At(0.1), At(0.9), s.Length);
    }
}

/// <summary>
/// Times inference calls: warm-up runs first (allocations, caches, lazy init), then timed repeats.
/// Two candidates are timed interleaved (A, B, A, B, ...) so machine noise hits both alike; these
/// machines drift 25-30 % from minute to minute, so only a side-by-side ratio is meaningful.
/// </summary>
public static class LatencyMeter
{
    public static Latency Measure(Action run, int warmup = 10, int repeats = 50) => MeasureInterleaved([run], warmup, repeats)[0];

    public static Latency[] MeasureInterleaved(IReadOnlyList<Action> runs, int warmup = 10, int repeats = 50)
    {
        for (int i = 0; i < warmup; i++)
            foreach (var r in runs) r();
        var samples = runs.Select(_ => new List<double>(repeats)).ToArray();
        var clock = new Stopwatch();
        for (int i = 0; i < repeats; i++)
            for (int k = 0; k < runs.Count; k++)
            {
                clock.Restart();
                runs[k]();
                samples[k].Add(clock.Elapsed.TotalMilliseconds);
            }
        return samples.Select(Latency.Of).ToArray();
    }
}
