namespace Amc.Graph;

/// <summary>Cost of one layer. Params counts learnable parameters (BN running statistics excluded).</summary>
public sealed record LayerCost(string Name, LayerKind Kind, TensorShape InputShape, TensorShape OutputShape, long Macs, long Params);

/// <summary>Cost of a whole network, with its per-layer break-down in forward order.</summary>
public sealed record NetworkCost(long Macs, long Params, IReadOnlyList<LayerCost> Layers);
