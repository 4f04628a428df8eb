namespace Amc.Latency;

/// <summary>A network's table-predicted latency next to its measured one (ms); Error = (predicted - measured) / measured.</summary>
public sealed record LatencyComparison(string Name, double PredictedMs, LatencyStats Measured)
{
    public double ErrorPercent => 100 * (PredictedMs - Measured.Median) / Measured.Median;

    /// <summary>How far the unpruned network's prediction may miss before the table is called stale.</summary>
    public const double StaleErrorPercent = 25;

    /// <summary>
    /// A warning when this, the unpruned network's comparison, says the table was measured under
    /// other conditions: its prediction at full width is the table's own end-to-end timing, so a
    /// large miss is the machine (another load, other processes), not the interpolation. A cached
    /// table cannot tell that by itself.
    /// </summary>
    public string? StaleWarning() => Math.Abs(ErrorPercent) <= StaleErrorPercent ? null :
        $"the latency table predicts the unpruned network at {PredictedMs:F3} ms and it ran in {Measured.Median:F3} ms now " +
        $"({ErrorPercent:+0;-0} %): the table was measured under other conditions (another load?), and the budget the search kept is in its terms; " +
        "measure it again on a quiet machine (amc latency-table --rebuild with the search's --lbound, --round and --latency-threads, " +
        "and --int8 for an int8 or mixed-precision search) before trusting the search's latency";
}
