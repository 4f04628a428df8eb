using Amc.Graph;
using static TorchSharp.torch;
using Amc.Torch;

namespace Amc.Pruning;

/// <summary>
/// Fine-grained (unstructured) magnitude pruning, AMC's parameter-budget experiment on ResNet-50:
/// each conv / linear weight loses its given fraction of smallest-magnitude entries. The network
/// keeps its shape; the zeros are the mask. They are re-applied after every optimizer step of
/// fine-tuning (momentum and weight decay would revive them otherwise), and a checkpoint needs
/// nothing more than its weights: <see cref="FromZeros"/> reads the mask back from the zeros.
/// </summary>
public sealed class SparsityMasks
{
    /// <summary>Per weight key ("layer.weight"): the live weight and its 0/1 mask of the same shape.</summary>
    readonly Dictionary<string, (Tensor Weight, Tensor Mask)> masks;

    SparsityMasks(Dictionary<string, (Tensor Weight, Tensor Mask)> masks) => this.masks = masks;

    /// <summary>Fraction of zeroed weights per masked layer, e.g. for <see cref="CheckpointInfo.Sparsity"/>.</summary>
    public Dictionary<string, double> Sparsity => masks.ToDictionary(
        kv => kv.Key[..kv.Key.LastIndexOf('.')],
        kv => 1.0 - kv.Value.Mask.sum().item<float>() / kv.Value.Mask.numel());

    /// <summary>
    /// Zeroes, in each named conv / linear layer, round(sparsity * n) of its n weights: those of
    /// smallest magnitude, ties broken by position so the result is deterministic. Weights that are
    /// already zero go first, so pruning a sparse network further keeps its old zeros.
    /// </summary>
    public static SparsityMasks Prune(GraphModule model, IReadOnlyDictionary<string, double> sparsity)
    {
        var net = model.Network;
        var tensors = model.Tensors();
        var result = new Dictionary<string, (Tensor, Tensor)>();
        foreach (var (layer, ratio) in sparsity)
        {
            var l = net.Find(layer) ?? throw new ArgumentException($"no layer named '{layer}' to sparsify");
            if (l.Kind is not (LayerKind.Conv2d or LayerKind.Linear))
                throw new ArgumentException($"layer '{layer}' is a {l.Kind}; only Conv2d and Linear weights are sparsified");
            if (!(ratio >= 0 && ratio <= 1)) throw new ArgumentException($"layer '{layer}': sparsity must be in [0, 1], got {ratio}");
            var w = tensors[$"{layer}.weight"];
            long n = w.numel(), zeroed = (long)Math.Round(ratio * n, MidpointRounding.AwayFromZero);
            using var scope = NewDisposeScope();
            var order = w.detach().abs().flatten().sort(stable: true).Indices;
            var mask = ones(n, dtype: w.dtype);
            mask.ZeroAt(0, order.slice(0, 0, zeroed, 1));
            result[$"{layer}.weight"] = (w, mask.reshape(w.shape).DetachFromDisposeScope());
        }
        var masks = new SparsityMasks(result);
        masks.Apply();
        return masks;
    }

    /// <summary>The masks of a sparse network read back from its zeros: every conv / linear weight that has any.</summary>
    public static SparsityMasks FromZeros(GraphModule model)
    {
        var tensors = model.Tensors();
        var result = new Dictionary<string, (Tensor, Tensor)>();
        foreach (var l in model.Network.Layers.Where(l => l.Kind is LayerKind.Conv2d or LayerKind.Linear))
        {
            var w = tensors[$"{l.Name}.weight"];
            using var scope = NewDisposeScope();
            var mask = w.detach().NonZero().to_type(w.dtype);
            if (mask.sum().item<float>() < w.numel()) result[$"{l.Name}.weight"] = (w, mask.DetachFromDisposeScope());
        }
        return new SparsityMasks(result);
    }

    /// <summary>Zeroes the masked weights again; the trainer's AfterStep hook calls this after every step.</summary>
    public void Apply()
    {
        using var _ = no_grad();
        foreach (var (weight, mask) in masks.Values) weight.mul_(mask);
    }

    /// <summary>Learnable parameters (CostModel's convention: conv / linear weights and biases, BN gamma and beta) that are not zero.</summary>
    public static long NonZeroParams(Network net, IReadOnlyDictionary<string, Tensor> weights)
    {
        using var scope = NewDisposeScope();
        long count = 0;
        foreach (var spec in ParameterShapes.Of(net))
        {
            if (spec.Param is "running_mean" or "running_var") continue;
            count += weights[spec.Key].count_nonzero().item<long>();
        }
        return count;
    }
}
