using Amc.Graph;

namespace Amc.Latency;

/// <summary>
/// Latency of a network whose layers run some in int8 and some in float, predicted from two tables
/// of the same network: the float one and the int8 one (every layer int8 but the first and the
/// last). Each int8 layer saves its own difference between the two tables (each entry scaled by
/// its table's slope); what the int8 network costs beyond its layers (quantizing the input,
/// converting around the float first and last layers: the difference of the two tables'
/// intercepts and of their float layers) is spread over the int8 layers in proportion to their
/// float time. Exact at both ends (no layer int8: the float table; every eligible layer int8: the
/// int8 table). What it does not model: the quantize and dequantize a float layer between int8
/// neighbours adds, which the end-to-end check of a search's policies measures.
/// </summary>
public sealed class MixedPrecisionLatency
{
    readonly LatencyTable floatTable, int8Table;
    readonly int?[] group;         // per layer: the group whose precision it follows, when it can be int8
    readonly double[] fullFloatMs; // per layer: its float entry at full width (the weights of the shared cost)
    readonly double eligibleFloatMs;

    public MixedPrecisionLatency(LatencyTable floatTable, LatencyTable int8Table, ChannelGraph graph)
    {
        if (!floatTable.Layers.Select(l => l.Name).SequenceEqual(int8Table.Layers.Select(l => l.Name)))
            throw new ArgumentException("the float and int8 latency tables are of different networks");
        this.floatTable = floatTable;
        this.int8Table = int8Table;
        group = int8Table.Layers.Select(l => l.Full.Int8 ? LayerPrecision.Group(graph, l.Name) : null).ToArray();
        var full = Policy.Full(graph);
        fullFloatMs = floatTable.Layers.Select((_, i) => floatTable.LayerMs(i, full)).ToArray();
        eligibleFloatMs = Enumerable.Range(0, group.Length).Where(i => group[i] is not null).Sum(i => fullFloatMs[i]);
    }

    /// <summary>Predicted latency (ms) of the network at the policy's widths, its int8 groups' layers in int8.</summary>
    public double PredictMs(Policy policy)
    {
        double floatMs = floatTable.PredictMs(policy);
        double saved = 0, savedAll = 0, share = 0;
        for (int i = 0; i < group.Length; i++)
        {
            if (group[i] is not int g) continue;
            double s = floatTable.Scale * floatTable.LayerMs(i, policy) - int8Table.Scale * int8Table.LayerMs(i, policy);
            savedAll += s;
            if (!policy.IsInt8(g)) continue;
            saved += s;
            share += fullFloatMs[i];
        }
        if (share == 0) return floatMs;
        double rest = int8Table.PredictMs(policy) - (floatMs - savedAll);
        return floatMs - saved + share / eligibleFloatMs * rest;
    }
}
