using Amc.Torch;
using Amc.Graph;
using static TorchSharp.torch;

namespace Amc.Pruning;

/// <summary>
/// AMC's weight reconstruction, generalised: after a consumer loses input channels, refit its
/// weights on the kept channels so its output matches the original layer's output in the least
/// squares sense, for 1x1 and kxk convs (im2col) and Linear layers. A layer with a bias also refits
/// the bias, so the mean contribution of dropped channels moves into it. Solved in float64 with a
/// small relative ridge; deterministic.
/// </summary>
internal static class LeastSquaresReconstruction
{
    /// <param name="weight">The original weight [O, I, k, k] or [O, I].</param>
    /// <param name="bias">The original bias [O], or null.</param>
    /// <param name="keptInputs">Kept indices along the input axis (ascending).</param>
    /// <param name="gram">The layer's augmented Gram matrix [(I*k*k)+1]^2 from <see cref="LayerInputGram"/>.</param>
    public static (Tensor Weight, Tensor? Bias) Solve(Tensor weight, Tensor? bias, long[] keptInputs, Tensor gram, double ridge)
    {
        using var scope = NewDisposeScope();
        long o = weight.shape[0], inputs = weight.shape[1];
        long kk = weight.dim() == 4 ? weight.shape[2] * weight.shape[3] : 1;
        long d = inputs * kk;
        var w = weight.detach().to_type(ScalarType.Float64).reshape(o, d);                 // [O, D]
        var columns = tensor(keptInputs.SelectMany(i => Enumerable.Range(0, (int)kk).Select(k => i * kk + k)).ToArray());
        var g = gram[..(int)d, ..(int)d];
        var gSS = g.index_select(0, columns).index_select(1, columns);
        var rhs = g.index_select(0, columns).matmul(w.t());                                  // [S, O] = X_S^T X W^T
        int s = (int)columns.shape[0];
        double lambda = ridge * gSS.diagonal().mean().item<double>() + 1e-12;
        Tensor solution;
        if (bias is not null)
        {
            // Augment with the ones column: unknowns [W'_S ; c], with b' = b + c.
            var sumS = gram[..(int)d, (int)d].index_select(0, columns);                      // [S]
            var n = gram[(int)d, (int)d];
            var top = cat([gSS.Plus(eye(s, dtype: ScalarType.Float64).Times(lambda)), sumS.unsqueeze(1)], 1);
            var bottom = cat([sumS.unsqueeze(0), n.reshape(1, 1)], 1);
            var a = cat([top, bottom], 0);
            var b = cat([rhs, gram[(int)d, ..(int)d].unsqueeze(0).matmul(w.t())], 0);
            solution = linalg.solve(a, b);                                                    // [S+1, O]
            var newBias = bias.detach().to_type(ScalarType.Float64).Plus(solution[s]).to_type(ScalarType.Float32);
            // Y - b = X W^T, so the fitted intercept is a correction on top of the old bias.
            var newWeight = Reshape(solution[..s].t(), weight, keptInputs.Length);
            return (newWeight.MoveToOuterDisposeScope(), newBias.MoveToOuterDisposeScope());
        }
        solution = linalg.solve(gSS.Plus(eye(s, dtype: ScalarType.Float64).Times(lambda)), rhs);     // [S, O]
        return (Reshape(solution.t(), weight, keptInputs.Length).MoveToOuterDisposeScope(), null);
    }

    static Tensor Reshape(Tensor w, Tensor like, int inputs) => like.dim() == 4
        ? w.reshape(like.shape[0], inputs, like.shape[2], like.shape[3]).to_type(ScalarType.Float32).contiguous()
        : w.reshape(like.shape[0], inputs).to_type(ScalarType.Float32).contiguous();

    /// <summary>Reconstructs every consumer whose input lost channels; returns the updated weights.</summary>
    public static void Apply(Network original, ChannelGraph graph, PrunedNetwork pruned, IReadOnlyDictionary<string, Tensor> originalWeights, LayerInputGram grams, double ridge)
    {
        foreach (var layer in original.Layers)
        {
            if (!grams.Contains(layer.Name)) continue;
            var keptIn = graph.KeptIndices(layer.Inputs[0], pruned.Kept);
            var w = originalWeights[$"{layer.Name}.weight"];
            if (keptIn.Length == w.shape[1]) continue;
            var b = layer.HasBias ? originalWeights[$"{layer.Name}.bias"] : null;
            var (nw, nb) = Solve(w, b, keptIn, grams[layer.Name], ridge);
            // Output channels of this layer may be pruned too: slice the refit weight like the pruner did.
            var outIdx = graph.KeptIndices(layer.Name, pruned.Kept);
            if (outIdx.Length != nw.shape[0])
            {
                var idx = tensor(outIdx);
                nw = nw.index_select(0, idx);
                nb = nb?.index_select(0, idx);
            }
            pruned.Weights[$"{layer.Name}.weight"] = nw;
            if (nb is not null) pruned.Weights[$"{layer.Name}.bias"] = nb;
        }
    }
}
