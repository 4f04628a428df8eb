using System.Diagnostics;

namespace Amc.Latency;

/// <summary>
/// Times inference calls: warm-up runs first (allocations, caches, lazy init), then timed repeats.
/// Several candidates are timed interleaved, in blocks (A x10, B x10, A x10, ...) so machine noise
/// hits all alike: these machines drift from minute to minute, so only a side-by-side
/// ratio is meaningful. Blocks rather than single runs (A, B, A, B) because a deployed network runs
/// alone: alternating single runs made each one evict the other's weights from the caches, which
/// slowed a MobileNet whose weights outgrow the caches (docs/BENCHMARKS.md, "Measurements behind design choices"). Each block starts with one untimed run to re-warm them.
/// </summary>
public static class LatencyMeter
{
    public const int Block = 10;

    public static LatencyStats Measure(Action run, int warmup = 10, int repeats = 50) => MeasureInterleaved([run], warmup, repeats)[0];

    public static LatencyStats[] MeasureInterleaved(IReadOnlyList<Action> runs, int warmup = 10, int repeats = 50)
    {
        for (int i = 0; i < warmup; i++)
            foreach (var r in runs) r();
        var samples = runs.Select(_ => new List<double>(repeats)).ToArray();
        var clock = new Stopwatch();
        for (int done = 0; done < repeats; done += Block)
            for (int k = 0; k < runs.Count; k++)
            {
                if (runs.Count > 1) runs[k]();
                for (int i = done; i < Math.Min(repeats, done + Block); i++)
                {
                    clock.Restart();
                    runs[k]();
                    samples[k].Add(clock.Elapsed.TotalMilliseconds);
                }
            }
        return samples.Select(LatencyStats.Of).ToArray();
    }
}
