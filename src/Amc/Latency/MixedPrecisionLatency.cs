using Amc.Graph;

namespace Amc.Latency;

/// <summary>
/// Latency of a network whose layers run some in int8 and some in float, predicted from two tables
/// of the same network: the float one and the int8 one (every layer int8 but the first and the
/// last). At the policy's widths the two tables give the all-float and the all-int8 latency; a mix
/// lies between them, each int8 layer moving it by its own share of the difference, in proportion
/// to what that layer saves by the tables (its float entry minus its int8 entry, each scaled by
/// its table's slope; a layer the tables find slower in int8 moves it back). The whole
/// difference includes what no single layer owns (quantizing the input, converting around the
/// float first and last layers), so a layer's share is its saving scaled by the measured whole
/// over the summed savings.
/// <para>
/// On top of that come the conversions a mix adds: a float layer between int8 ones reads a
/// dequantized copy of its input and hands the next int8 layer a quantized copy of its output, each
/// a pass over the tensor that neither table timed (<see cref="ConversionCost"/>, fitted to the int8
/// table's probes). They are counted by following the network's tensors (<see cref="PrecisionConversions"/>), and the
/// conversions the all-int8 network already has (around the float first and last layers, inside
/// the int8 table's end-to-end time) are taken out by the same share. Exact at both ends (no layer
/// int8: the float table; every eligible layer int8: the int8 table).
/// </para>
/// </summary>
public sealed class MixedPrecisionLatency
{
    readonly LatencyTable floatTable, int8Table;
    readonly int?[] group;         // per table layer: the group whose precision it follows, when it can be int8
    readonly double[] fullFloatMs; // per table layer: its float entry at full width (the shares when the tables find no saving)
    readonly PrecisionConversions? conversions;
    readonly ConversionCost? cost;

    public MixedPrecisionLatency(LatencyTable floatTable, LatencyTable int8Table, Network net, ChannelGraph graph)
    {
        if (!floatTable.Layers.Select(l => l.Name).SequenceEqual(int8Table.Layers.Select(l => l.Name)))
            throw new ArgumentException("the float and int8 latency tables are of different networks");
        this.floatTable = floatTable;
        this.int8Table = int8Table;
        group = int8Table.Layers.Select(l => l.Full.Int8 ? LayerPrecision.Group(graph, l.Name) : null).ToArray();
        var full = Policy.Full(graph);
        fullFloatMs = floatTable.Layers.Select((_, i) => floatTable.LayerMs(i, full)).ToArray();
        var eligible = int8Table.Layers.Select((l, i) => (l.Name, Group: group[i])).Where(x => x.Group is not null)
            .ToDictionary(x => x.Name, x => x.Group!.Value);
        if (int8Table.Probes is { } probes)
        {
            conversions = new PrecisionConversions(net, graph, eligible);
            cost = Fit(probes, Policy.Full(graph).WithInt8(graph.Prunable.Select(g => g.Id)));
        }
    }

    /// <summary>Predicted latency (ms) of the network at the policy's widths, its int8 groups' layers in int8.</summary>
    public double PredictMs(Policy policy)
    {
        var (ms, share) = Interpolated(policy);
        if (share is not double s || conversions is null || cost is null) return ms;
        return ms + conversions.Ms(policy, cost, allInt8: false) - s * conversions.Ms(policy, cost, allInt8: true);
    }

    /// <summary>The conversion cost fitted to the int8 table's probes; null without probes.</summary>
    public ConversionCost? Conversion => cost;

    /// <summary>
    /// Least squares through the origin: what each probe's float group costs beyond the tables'
    /// prediction of it, against the elements its conversions pass over (the all-int8 network's
    /// scaled by the share, as in <see cref="PredictMs"/>). A probe is read relative to the
    /// all-int8 network timed beside it, scaled to the tables' all-int8 prediction, so a machine
    /// that has become uniformly slower or faster since the tables were measured changes nothing.
    /// </summary>
    ConversionCost Fit(MixedPrecisionProbes probes, Policy allInt8)
    {
        double baseline = PredictMsWithoutConversions(allInt8), xy = 0, xx = 0;
        foreach (var probe in probes.FloatGroups)
        {
            var policy = allInt8.WithInt8(probe.Group, false);
            var (ms, share) = Interpolated(policy);
            double residual = baseline * probe.Ms / probes.AllInt8Ms - ms;
            double elements = conversions!.Ms(policy, PerElement) - (share ?? 0) * conversions.Ms(policy, PerElement, allInt8: true);
            xy += residual * elements;
            xx += elements * elements;
        }
        return new ConversionCost(xx > 0 ? Math.Max(0, xy / xx) * 1e6 : 0);
    }

    /// <summary>A cost of 1 ms per element: <see cref="PrecisionConversions.Ms"/> then counts elements.</summary>
    static readonly ConversionCost PerElement = new(1e6);

    /// <summary>The prediction as it was before conversions were counted (for comparison in bench/MixedLatency).</summary>
    public double PredictMsWithoutConversions(Policy policy) => Interpolated(policy).Ms;

    /// <summary>The tables' interpolation, and the share of the int8 saving it used (null: no int8 layer).</summary>
    (double Ms, double? Share) Interpolated(Policy policy)
    {
        // One pass over the layers gives both tables' sums (in layer order, as their own
        // predictions sum them) and the savings: the budget wall calls this many times per step.
        double floatSum = 0, int8Sum = 0, saved = 0, savedAll = 0, weight = 0, weightAll = 0;
        bool any = false;
        for (int i = 0; i < group.Length; i++)
        {
            double floatEntry = floatTable.LayerMs(i, policy), int8Entry = int8Table.LayerMs(i, policy);
            floatSum += floatEntry;
            int8Sum += int8Entry;
            if (group[i] is not int g) continue;
            double s = floatTable.Scale * floatEntry - int8Table.Scale * int8Entry;
            savedAll += s;
            weightAll += fullFloatMs[i];
            if (!policy.IsInt8(g)) continue;
            any = true;
            saved += s;
            weight += fullFloatMs[i];
        }
        double floatMs = floatTable.FromEntrySum(floatSum);
        if (!any) return (floatMs, null);
        // Tables that find no saving in the layers at all (noise on a tiny network) share by float time.
        // A share outside [0, 1] (int8 layers that save more than all of them together, the rest
        // finding int8 slower) would place the mix beyond one of its ends: on an AMD EPYC it
        // predicted ResNet-20 mixes at -0.37 of the original.
        double share = Math.Clamp(savedAll > 0 ? saved / savedAll : weight / weightAll, 0, 1);
        return (floatMs - share * (floatMs - int8Table.FromEntrySum(int8Sum)), share);
    }
}
