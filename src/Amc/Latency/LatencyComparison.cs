namespace Amc.Latency;

/// <summary>A network's table-predicted latency next to its measured one (ms); Error = (predicted - measured) / measured.</summary>
public sealed record LatencyComparison(string Name, double PredictedMs, LatencyStats Measured)
{
    public double ErrorPercent => 100 * (PredictedMs - Measured.Median) / Measured.Median;
}
