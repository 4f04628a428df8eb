using Amc.Graph;

namespace Amc.Latency;

/// <summary>
/// A per-layer latency lookup table (AMC's "50 % latency" result used one; peers.md §4 item 1) as
/// a predictor: immutable, no timing and no files (<see cref="LatencyTableBuilder"/> measures and
/// caches it). Every conv and linear layer has an entry (<see cref="LatencyOp"/>) for each input /
/// output width on its grid, interpolated in between. The sum of a pruned network's entries is
/// mapped to its latency by a line through two networks timed end to end: the full one and the one
/// with every group at its smallest reachable width. The intercept (<see cref="OverheadMs"/>)
/// stands for what the table does not time and does not shrink (the per-run cost of a session
/// call, which every one-layer entry also paid, so it is usually negative); the slope
/// (<see cref="Scale"/>) for what the micro-benchmarks get wrong in proportion: adds, pooling and
/// unfused activations that shrink with the widths, and small convs that run slower inside a
/// network than alone, with cold caches. With a slope of 1 (the model before the second point) the
/// table predicted pruned networks too fast, the smallest ones most (docs/BENCHMARKS.md, "Latency
/// table" and "Measurements behind design choices"). Predictions are exact at both ends.
/// </summary>
public sealed class LatencyTable
{
    readonly Dictionary<LatencyOp, double> entries;
    readonly IReadOnlyDictionary<string, IReadOnlyList<ChannelSegment>> layout;
    readonly double[][] grid; // per layer: Ms at InGrid[i] x OutGrid[o], row-major (depthwise: one row)

    public IReadOnlyList<LatencyTableLayer> Layers { get; }
    public IReadOnlyDictionary<LatencyOp, double> Entries => entries;
    /// <summary>The whole network timed end to end at full width (ms).</summary>
    public double WholeNetworkMs { get; }
    /// <summary>The whole network timed end to end with every group at its smallest reachable width (ms).</summary>
    public double SmallestNetworkMs { get; }
    /// <summary>Intercept of the map from the entries' sum to the network's latency (ms).</summary>
    public double OverheadMs { get; }
    /// <summary>Slope of that map: measured change of the whole network between its smallest and full
    /// widths over the change of its entries' sum, when that is within [0.5, 2]; otherwise the whole
    /// network over its entries' sum at full width (the line through the origin, no intercept).</summary>
    public double Scale { get; }
    /// <summary>An int8 table's mixed-precision probes (null for a float table).</summary>
    public MixedPrecisionProbes? Probes { get; init; }

    /// <param name="layers">The conv / linear layers, in network order (<see cref="LatencyTableAnalysis"/>).</param>
    /// <param name="layout">Channel layout of each tensor by producing layer (<see cref="ChannelGraph.Layout"/>):
    /// turns group widths into a layer's input and output widths.</param>
    /// <param name="entries">Measured ops: at least every op on every layer's grid.</param>
    /// <param name="smallest">Group widths of the network timed as <paramref name="smallestNetworkMs"/>.</param>
    public LatencyTable(IReadOnlyList<LatencyTableLayer> layers, IReadOnlyDictionary<string, IReadOnlyList<ChannelSegment>> layout,
        IEnumerable<LatencyTableEntry> entries, Policy smallest, double wholeNetworkMs, double smallestNetworkMs)
    {
        Layers = layers.ToArray();
        this.layout = layout;
        this.entries = entries.ToDictionary(e => e.Op, e => e.Ms);
        grid = Layers.Select(l => l.GridOps().Select(op => Entry(l, op)).ToArray()).ToArray();
        WholeNetworkMs = wholeNetworkMs;
        SmallestNetworkMs = smallestNetworkMs;
        double fullSum = Layers.Sum(l => this.entries[l.Full]);
        double slope = (wholeNetworkMs - smallestNetworkMs) / (fullSum - EntrySum(smallest));
        // A slope far from 1 (or none: the smallest network timed no faster) says the two points
        // are noise, as on a tiny network on a busy machine; a line through them could then predict
        // negative times. Fall back to the line through the origin: positive and exact at full width.
        Scale = slope is >= 0.5 and <= 2 ? slope : wholeNetworkMs / fullSum;
        OverheadMs = wholeNetworkMs - Scale * fullSum;
    }

    double Entry(LatencyTableLayer layer, LatencyOp op) =>
        entries.TryGetValue(op, out double ms) ? ms : throw new ArgumentException($"latency table: no entry for {op} of layer '{layer.Name}'");

    /// <summary>Predicted latency (ms) of the network with the given group widths.</summary>
    public double PredictMs(Policy policy) => FromEntrySum(EntrySum(policy));

    /// <summary>The latency (ms) the table's line maps a sum of its entries to.</summary>
    public double FromEntrySum(double entrySum) => OverheadMs + Scale * entrySum;

    /// <summary>
    /// The prediction in whole nanoseconds: the budget wall compares integers, and a rounded value
    /// keeps the wall's decisions exactly reproducible.
    /// </summary>
    public long PredictNanoseconds(Policy policy) => Nanoseconds(PredictMs(policy));

    /// <summary>A prediction in ms as the budget wall compares it: whole nanoseconds.</summary>
    public static long Nanoseconds(double ms) => (long)Math.Round(ms * 1e6);

    /// <summary>Sum of the layers' (interpolated) entries at the given widths (ms).</summary>
    public double EntrySum(Policy policy)
    {
        double total = 0;
        // Summed in layer order, as the full-width sum in the constructor, so the full-width
        // prediction is the measured whole network up to one rounding.
        for (int i = 0; i < Layers.Count; i++) total += LayerMs(i, policy);
        return total;
    }

    /// <summary>The (interpolated) entry of layer <paramref name="layer"/> (its index in <see cref="Layers"/>) at the policy's widths (ms).</summary>
    public double LayerMs(int layer, Policy policy)
    {
        var l = Layers[layer];
        int inW = Width(l.InputTensor, policy);
        return l.Depthwise ? Interpolate1(l.InGrid, grid[layer], inW) : Interpolate2(l, grid[layer], inW, Width(l.Name, policy));
    }

    int Width(string tensor, Policy policy) => policy.Width(layout[tensor]);

    static double Interpolate1(int[] xs, double[] ys, int x) => Interpolate(xs, x, i => ys[i]);

    static double Interpolate2(LatencyTableLayer l, double[] ms, int inW, int outW)
    {
        int n = l.OutGrid.Length;
        return Interpolate(l.InGrid, inW, i => Interpolate(l.OutGrid, outW, o => ms[i * n + o]));
    }

    /// <summary>Piecewise linear through (xs[i], y(i)); clamped outside the grid (widths below lbound cannot occur).</summary>
    static double Interpolate(int[] xs, int x, Func<int, double> y)
    {
        int k = Array.BinarySearch(xs, x);
        if (k >= 0) return y(k);
        k = ~k;
        if (k == 0) return y(0);
        if (k == xs.Length) return y(xs.Length - 1);
        double t = (double)(x - xs[k - 1]) / (xs[k] - xs[k - 1]);
        return y(k - 1) * (1 - t) + y(k) * t;
    }
}
