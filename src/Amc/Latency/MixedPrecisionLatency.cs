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
/// over the summed savings. Exact at both ends (no layer int8: the float table; every eligible
/// layer int8: the int8 table). What it does not model: the quantize and dequantize a float layer
/// between int8 neighbours adds, which the end-to-end check of a search's policies measures.
/// </summary>
public sealed class MixedPrecisionLatency
{
    readonly LatencyTable floatTable, int8Table;
    readonly int?[] group;         // per layer: the group whose precision it follows, when it can be int8
    readonly double[] fullFloatMs; // per layer: its float entry at full width (the shares when the tables find no saving)

    public MixedPrecisionLatency(LatencyTable floatTable, LatencyTable int8Table, ChannelGraph graph)
    {
        if (!floatTable.Layers.Select(l => l.Name).SequenceEqual(int8Table.Layers.Select(l => l.Name)))
            throw new ArgumentException("the float and int8 latency tables are of different networks");
        this.floatTable = floatTable;
        this.int8Table = int8Table;
        group = int8Table.Layers.Select(l => l.Full.Int8 ? LayerPrecision.Group(graph, l.Name) : null).ToArray();
        var full = Policy.Full(graph);
        fullFloatMs = floatTable.Layers.Select((_, i) => floatTable.LayerMs(i, full)).ToArray();
    }

    /// <summary>Predicted latency (ms) of the network at the policy's widths, its int8 groups' layers in int8.</summary>
    public double PredictMs(Policy policy)
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
        if (!any) return floatMs;
        // Tables that find no saving in the layers at all (noise on a tiny network) share by float time.
        double share = savedAll > 0 ? saved / savedAll : weight / weightAll;
        return floatMs - share * (floatMs - int8Table.FromEntrySum(int8Sum));
    }
}
