using Amc.Graph;

namespace Amc.Search;

/// <summary>One layer whose weight the sparsity search thins: its name and its weight's shape.</summary>
public sealed record SparseLayer(string Name, LayerKind Kind, long[] Shape)
{
    public int Size => (int)Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// The layers of fine-grained pruning (every Conv2d and Linear weight, in forward order) and the
/// network's learnable parameters outside them (biases, BN gamma and beta), which stay dense:
/// the parameter count the budget and the reward use is <see cref="Dense"/> plus the kept weights.
/// </summary>
public sealed record SparsityLayers(IReadOnlyList<SparseLayer> Layers, long Dense)
{
    public static SparsityLayers Of(Network net)
    {
        // CostModel's convention, as SparsityMasks.NonZeroParams counts: BN running statistics are not parameters.
        var specs = ParameterShapes.Of(net).Where(s => s.Param is not ("running_mean" or "running_var")).ToList();
        var layers = net.Layers.Where(l => l.Kind is LayerKind.Conv2d or LayerKind.Linear)
            .Select(l => new SparseLayer(l.Name, l.Kind, specs.Single(s => s.Key == $"{l.Name}.weight").Shape)).ToList();
        if (layers.Count == 0) throw new InvalidNetworkException($"network '{net.Name}' has no Conv2d or Linear layer to sparsify");
        long total = specs.Sum(s => s.Shape.Aggregate(1L, (a, b) => a * b));
        return new SparsityLayers(layers, total - layers.Sum(l => (long)l.Size));
    }

    /// <summary>Learnable parameters that are not zero when each layer keeps the given counts of weights (by layer index).</summary>
    public long NonZero(Policy kept) => Dense + Enumerable.Range(0, Layers.Count).Sum(i => (long)kept.Width(i));
}
