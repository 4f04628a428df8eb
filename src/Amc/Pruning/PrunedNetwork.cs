using Amc.Graph;
using static TorchSharp.torch;

namespace Amc.Pruning;

/// <summary>A physically smaller network: its description, its weights, and which original channels each group kept.</summary>
public sealed record PrunedNetwork(Network Network, Dictionary<string, Tensor> Weights, IReadOnlyDictionary<int, int[]> Kept);
