using Amc.Graph;

namespace Amc.Search;

/// <summary>
/// The paper's 11 state features for the step that decides group t:
/// (t, n, c, h, w, stride, k, FLOPs[t], reduced, rest, a_{t-1}). The "layer" of a group is its
/// first producer (the conv whose filters make the channels): n its output channels, c its input
/// channels, h x w its input size. FLOPs[t] is the MACs of every layer whose cost depends on the
/// group. The static columns are min-max scaled over the episode's steps (as the official code);
/// reduced and rest are fractions of the original MACs (under a params or latency budget the
/// environment passes them in that resource instead); a_{t-1} is the previous realised keep ratio.
/// </summary>
internal sealed class StateEmbedding
{
    public const int Size = 11;
    readonly double[][] scaled;        // [step][7 static + FLOPs] min-max scaled
    readonly long[] touchedMacs;       // MACs of layers touched by each step's group
    readonly long[] restMacs;          // MACs of layers touched by later steps' groups only
    readonly long totalMacs;

    public StateEmbedding(Network net, ChannelGraph graph, IReadOnlyList<ChannelGroup> steps)
    {
        var shapes = ShapeInference.Infer(net);
        var costs = CostModel.Of(net).Layers.ToDictionary(l => l.Name, l => l.Macs);
        totalMacs = costs.Values.Sum();
        var touched = steps.Select(g => g.Producers.Concat(g.Consumers).Concat(g.PassThrough).ToHashSet()).ToList();
        touchedMacs = touched.Select(set => set.Sum(l => costs[l])).ToArray();
        restMacs = new long[steps.Count];
        for (int t = 0; t < steps.Count; t++)
        {
            var later = touched.Skip(t + 1).SelectMany(s => s).ToHashSet();
            later.ExceptWith(touched.Take(t + 1).SelectMany(s => s));
            restMacs[t] = later.Sum(l => costs[l]);
        }
        var raw = steps.Select((g, t) =>
        {
            var p = net[g.Producers[0]];
            var input = shapes[p.Inputs[0]];
            return new double[]
            {
                t, g.Channels, input.C, input.H, input.W, p.Kind == LayerKind.Conv2d ? p.StrideValue : 0,
                p.Kind == LayerKind.Conv2d ? p.KernelSize : 1, touchedMacs[t],
            };
        }).ToArray();
        scaled = raw.Select(r => (double[])r.Clone()).ToArray();
        for (int col = 0; col < 8; col++)
        {
            double min = raw.Min(r => r[col]), max = raw.Max(r => r[col]);
            for (int t = 0; t < raw.Length; t++) scaled[t][col] = max > min ? (raw[t][col] - min) / (max - min) : 0;
        }
    }

    /// <param name="reducedMacs">MACs removed so far by the decided groups (undecided at full width).</param>
    public float[] State(int t, long reducedMacs, double previousKeep) =>
        State(t, (double)reducedMacs / totalMacs, (double)restMacs[t] / totalMacs, previousKeep);

    /// <summary>The state with "reduced" and "rest" given directly as fractions of the original resource.</summary>
    public float[] State(int t, double reduced, double rest, double previousKeep)
    {
        var s = new float[Size];
        for (int i = 0; i < 8; i++) s[i] = (float)scaled[t][i];
        s[8] = (float)reduced;
        s[9] = (float)rest;
        s[10] = (float)previousKeep;
        return s;
    }
}
