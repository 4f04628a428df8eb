using Amc.Graph;
using Amc.Latency;

namespace Amc.Tests.Latency;

/// <summary>
/// The predictor alone, from hand-made entries (no ONNX Runtime, no files): a conv whose output
/// width is group 1, a depthwise conv on it, a 1x1 conv from group 1 to group 2 and a linear
/// layer reading group 2. Group 1 reaches 4..16 and is measured at 4 and 16 only, group 2 reaches
/// 2..6 and is measured at 2 and 6, so every width in between is interpolated.
/// </summary>
public class LatencyTablePredictionTests
{
    static readonly LatencyOp Stem = new(LayerKind.Conv2d, 3, 16, 3, 1, 1, 1, 1, 8, 8, FusedActivation.Relu);
    static readonly LatencyOp Depthwise = new(LayerKind.Conv2d, 16, 16, 3, 1, 1, 1, 16, 8, 8, FusedActivation.Relu);
    static readonly LatencyOp Pointwise = new(LayerKind.Conv2d, 16, 6, 1, 1, 0, 1, 1, 8, 8, FusedActivation.None);
    static readonly LatencyOp Fc = new(LayerKind.Linear, 6, 10, 1, 1, 0, 1, 1, 1, 1, FusedActivation.None);

    static readonly LatencyTableLayer[] Layers =
    [
        new("stem", Network.InputName, Stem, false, [3], [4, 8, 12, 16], [3], [4, 16]),
        new("dw", "stem", Depthwise, true, [4, 8, 12, 16], [4, 8, 12, 16], [4, 16], [4, 16]),
        new("pw", "dw", Pointwise, false, [4, 8, 12, 16], [2, 4, 6], [4, 16], [2, 6]),
        new("fc", "pw", Fc, false, [2, 4, 6], [10], [2, 6], [10]),
    ];

    static readonly Dictionary<string, IReadOnlyList<ChannelSegment>> Layout = new()
    {
        [Network.InputName] = [new ChannelSegment(0, 3)],
        ["stem"] = [new ChannelSegment(1, 16)],
        ["dw"] = [new ChannelSegment(1, 16)],
        ["pw"] = [new ChannelSegment(2, 6)],
        ["fc"] = [new ChannelSegment(3, 10)],
    };

    static Policy Widths(int group1, int group2) => Policy.OfWidths([3, group1, group2, 10]);
    static readonly Policy Full = Widths(16, 6), Smallest = Widths(4, 2);

    /// <summary>
    /// Bilinear in the widths (a depthwise conv: linear in its one width), so interpolating
    /// between grid points is exact and every width has a known expected entry.
    /// </summary>
    static double Bilinear(LatencyOp op) => op.Groups > 1 ? 0.05 + 1e-3 * op.In : 0.05 + 1e-3 * op.In * op.Out;

    static double ExpectedSum(int group1, int group2) =>
        Layers.Sum(l => Bilinear(l.Name switch
        {
            "stem" => l.At(3, group1),
            "dw" => l.At(group1, group1),
            "pw" => l.At(group1, group2),
            _ => l.At(group2, 10),
        }));

    static LatencyTable Table(Func<LatencyOp, double> ms, double wholeMs, double smallestMs) =>
        new(Layers, Layout, Layers.SelectMany(l => l.GridOps()).Distinct().Select(op => new LatencyTableEntry(op, ms(op))).ToList(),
            Smallest, wholeMs, smallestMs);

    /// <summary>A table whose two end-to-end times put the fitted slope at <paramref name="slope"/>.</summary>
    static LatencyTable WithSlope(double slope, double wholeMs = 1.0) =>
        Table(Bilinear, wholeMs, wholeMs - slope * (ExpectedSum(16, 6) - ExpectedSum(4, 2)));

    [Fact]
    public void Entries_are_interpolated_linearly_between_grid_widths()
    {
        var table = WithSlope(1.0);
        for (int g1 = 4; g1 <= 16; g1++)
            for (int g2 = 2; g2 <= 6; g2++)
                Assert.Equal(ExpectedSum(g1, g2), table.EntrySum(Widths(g1, g2)), 12);
        // By hand: the stem's output halfway between its grid widths 4 and 16 costs halfway between their entries.
        var stemOnly = new LatencyTable([Layers[0]], Layout,
            [new LatencyTableEntry(Stem with { Out = 4 }, 1.0), new LatencyTableEntry(Stem, 3.0)], Widths(4, 2), 3.0, 1.0);
        Assert.Equal(2.0, stemOnly.EntrySum(Widths(10, 2)), 12);
        Assert.Equal(1.5, stemOnly.EntrySum(Widths(7, 2)), 12);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(1.3)]
    [InlineData(0.51)]
    [InlineData(1.99)]
    public void The_fitted_line_is_exact_at_the_full_and_the_smallest_network(double slope)
    {
        var table = WithSlope(slope);
        double smallestMs = 1.0 - slope * (ExpectedSum(16, 6) - ExpectedSum(4, 2));
        Assert.Equal(slope, table.Scale, 9);
        Assert.Equal(1.0 - slope * ExpectedSum(16, 6), table.OverheadMs, 12);
        Assert.Equal(1.0, table.PredictMs(Full), 12);
        Assert.Equal(smallestMs, table.PredictMs(Smallest), 12);
        Assert.Equal(table.OverheadMs + table.Scale * ExpectedSum(10, 4), table.PredictMs(Widths(10, 4)), 12);
        Assert.Equal((long)Math.Round(table.PredictMs(Widths(10, 4)) * 1e6), table.PredictNanoseconds(Widths(10, 4)));
    }

    [Theory]
    [InlineData(0.49)]
    [InlineData(2.01)]
    [InlineData(0.0)]  // the smallest network timed no faster than the full one
    [InlineData(-0.5)] // ... or slower
    public void A_slope_outside_half_to_two_falls_back_to_the_line_through_the_origin(double slope)
    {
        var table = WithSlope(slope);
        double fullSum = ExpectedSum(16, 6);
        Assert.Equal(1.0 / fullSum, table.Scale, 12);
        Assert.Equal(0, table.OverheadMs, 12);
        Assert.Equal(1.0, table.PredictMs(Full), 12);
        Assert.Equal(ExpectedSum(4, 2) / fullSum, table.PredictMs(Smallest), 12);
        Assert.True(table.PredictMs(Smallest) > 0);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(1.7)]
    [InlineData(3.0)] // the fallback line
    public void The_prediction_falls_with_every_width_when_the_entries_do(double slope)
    {
        // Entries that grow with the widths but not linearly, so interpolation is not exact.
        static double Ms(LatencyOp op) => 0.02 + 1e-3 * Math.Pow(op.In * (double)op.Out, 0.8);
        var table = Table(Ms, 1.0, 1.0 - slope * (Sum(16, 6) - Sum(4, 2)));
        double Sum(int g1, int g2) => Layers.Sum(l => Ms(l.Name switch
        {
            "stem" => l.At(3, g1),
            "dw" => l.At(g1, g1),
            "pw" => l.At(g1, g2),
            _ => l.At(g2, 10),
        }));
        for (int g1 = 4; g1 <= 16; g1++)
            for (int g2 = 2; g2 <= 6; g2++)
            {
                long here = table.PredictNanoseconds(Widths(g1, g2));
                if (g1 > 4) Assert.True(table.PredictNanoseconds(Widths(g1 - 1, g2)) < here, $"group 1 at {g1 - 1} vs {g1}, group 2 at {g2}");
                if (g2 > 2) Assert.True(table.PredictNanoseconds(Widths(g1, g2 - 1)) < here, $"group 2 at {g2 - 1} vs {g2}, group 1 at {g1}");
            }
        Assert.True(table.PredictMs(Smallest) > 0);
    }

    [Fact]
    public void A_grid_op_without_an_entry_is_refused_with_its_layer()
    {
        var entries = Layers.SelectMany(l => l.GridOps()).Distinct().Where(op => op != Fc).Select(op => new LatencyTableEntry(op, 1.0)).ToList();
        var e = Assert.Throws<ArgumentException>(() => new LatencyTable(Layers, Layout, entries, Smallest, 1.0, 0.5));
        Assert.Contains("'fc'", e.Message);
    }
}
