namespace Amc.Latency;

/// <summary>Progress of a table build: Done of Total micro-benchmarks, the one just timed and its median (ms).</summary>
public sealed record LatencyTableProgress(int Done, int Total, LatencyOp Op, double Ms);
