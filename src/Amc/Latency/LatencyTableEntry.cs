namespace Amc.Latency;

/// <summary>One measured op and its median latency in milliseconds.</summary>
public sealed record LatencyTableEntry(LatencyOp Op, double Ms);
