using Amc.Graph;

namespace Amc.Search;

/// <summary>
/// The channel search's 11 state features (<see cref="StateEmbedding"/>) for a layer instead of a
/// channel group: (t, n, c, h, w, stride, k, params[t], reduced, rest, a_{t-1}), with n the output
/// channels (features), c the input channels, h x w the input size, stride 0 and k 1 for a Linear
/// layer (which also tells the kind), and the layer's weight count in place of its FLOPs. Static
/// columns min-max scaled over the episode's steps; reduced and rest are fractions of the original
/// parameters; a_{t-1} the previous layer's kept fraction.
/// </summary>
internal sealed class SparsityStateEmbedding
{
    readonly double[][] scaled;

    public SparsityStateEmbedding(Network net, SparsityLayers layers)
    {
        var shapes = ShapeInference.Infer(net);
        var raw = layers.Layers.Select((sl, t) =>
        {
            var l = net[sl.Name];
            var input = shapes[l.Inputs[0]];
            bool conv = l.Kind == LayerKind.Conv2d;
            return new double[] { t, sl.Shape[0], input.C, input.H, input.W, conv ? l.StrideValue : 0, conv ? l.KernelSize : 1, sl.Size };
        }).ToArray();
        scaled = raw.Select(r => (double[])r.Clone()).ToArray();
        for (int col = 0; col < 8; col++)
        {
            double min = raw.Min(r => r[col]), max = raw.Max(r => r[col]);
            for (int t = 0; t < raw.Length; t++) scaled[t][col] = max > min ? (raw[t][col] - min) / (max - min) : 0;
        }
    }

    public float[] State(int t, double reduced, double rest, double previousKeep)
    {
        var s = new float[StateEmbedding.Size];
        for (int i = 0; i < 8; i++) s[i] = (float)scaled[t][i];
        s[8] = (float)reduced;
        s[9] = (float)rest;
        s[10] = (float)previousKeep;
        return s;
    }
}
