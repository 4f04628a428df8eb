namespace Amc.Latency;

/// <summary>
/// What <see cref="LatencyTableBuilder.Build"/> produced: the predictor, the cache file it came
/// from or was written to, and how many micro-benchmarks this build timed (0: read from the cache).
/// </summary>
public sealed record LatencyTableBuild(LatencyTable Table, LatencyTableFile File, string CachePath, int Measured)
{
    public bool FromCache => Measured == 0;
}
