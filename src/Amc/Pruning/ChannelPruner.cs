using Amc.Graph;
using static TorchSharp.torch;
using Amc.Torch;

namespace Amc.Pruning;

/// <summary>
/// The pruning engine for one trained network: given the channels each group keeps, it selects
/// channels, prunes physically, refits consumers by least squares and re-estimates BN statistics.
/// Everything that does not depend on the policy (the channel graph, the Gram matrices of layer
/// inputs, the calibration batches) is computed once, so a search can score many policies.
/// </summary>
public sealed class ChannelPruner
{
    public Network Network { get; }
    public ChannelGraph Graph { get; }
    public IReadOnlyDictionary<string, Tensor> Weights { get; }
    /// <summary>The calibration batches BN statistics are re-estimated on.</summary>
    public IReadOnlyList<Tensor> BatchNormBatches => batchNormBatches;
    readonly IReadOnlyList<Tensor> calibration;
    readonly IReadOnlyList<Tensor> batchNormBatches;
    LayerInputGram? grams;
    readonly Lock gramsLock = new();
    readonly int pointsPerImage;

    /// <param name="calibration">Normalised training images in batches, sampled for the Gram matrices.</param>
    /// <param name="batchNormImages">The first images of those, used to re-estimate BN statistics (fewer: it runs per candidate); at least one.</param>
    public ChannelPruner(Network network, IReadOnlyDictionary<string, Tensor> weights, IReadOnlyList<Tensor> calibration, int batchNormImages, int pointsPerImage = 10)
    {
        batchNormBatches = FirstImages(calibration, Math.Max(1, batchNormImages));
        Network = network;
        Graph = ChannelGraph.Build(network);
        Weights = weights;
        this.calibration = calibration;
        this.pointsPerImage = pointsPerImage;
    }

    /// <summary>
    /// The batches holding the first <paramref name="images"/> images, the last one cut short: the
    /// BN pass runs per candidate, so "--bn-images 250" must cost 250 images, not three batches of 100.
    /// </summary>
    static List<Tensor> FirstImages(IReadOnlyList<Tensor> batches, int images)
    {
        var first = new List<Tensor>();
        foreach (var batch in batches)
        {
            if (images <= 0) break;
            int n = (int)batch.shape[0];
            // A view: it shares the batch's storage and, like the batch, outlives any dispose scope.
            first.Add(n <= images ? batch : batch.narrow(0, 0, images).DetachFromDisposeScope());
            images -= n;
        }
        return first;
    }

    /// <summary>
    /// Collects the Gram matrices now (otherwise on first use), e.g. to time it separately. Once,
    /// even when candidates are scored concurrently: they then share the matrices, which nothing
    /// writes after they are collected.
    /// </summary>
    public LayerInputGram Grams(int seed)
    {
        lock (gramsLock)
        {
            if (grams is not null) return grams;
            using var original = new GraphModule(Network);
            original.LoadTensors(Weights);
            grams = LayerInputGram.Collect(original, calibration, LayerInputGram.ReconstructableLayers(Graph), pointsPerImage, seed);
            return grams;
        }
    }

    /// <summary>
    /// Uses matrices collected elsewhere from the same network, images and seed (a distributed
    /// search's coordinator writes them for its local workers) instead of collecting them here.
    /// </summary>
    public void UseGrams(string path, string key)
    {
        var loaded = LayerInputGram.Load(path, key, LayerInputGram.ReconstructableLayers(Graph));
        lock (gramsLock) grams ??= loaded;
    }

    public PrunedNetwork Prune(Policy policy, PruneOptions options) => Prune(policy, options, out _, out _);

    /// <summary>Prunes and reports the seconds spent selecting + slicing and in least squares.</summary>
    public PrunedNetwork Prune(Policy policy, PruneOptions options, out double pruneSeconds, out double leastSquaresSeconds)
    {
        if (policy.Count != Graph.Groups.Count)
            throw new ArgumentException($"the policy decides {policy.Count} channel groups, the network has {Graph.Groups.Count}");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var kept = new Dictionary<int, int[]>();
        foreach (var group in Graph.Groups)
        {
            int count = policy.Width(group.Id);
            if (count >= group.Channels) continue;
            kept[group.Id] = ChannelSelector.Select(Network, Graph, Weights, group, count, options.Criterion, options.Seed);
        }
        var pruned = NetworkPruner.Prune(Network, Graph, Weights, kept);
        pruneSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        if (options.Reconstruct && kept.Count > 0)
            LeastSquaresReconstruction.Apply(Network, Graph, pruned, Weights, Grams(options.Seed), options.Ridge);
        leastSquaresSeconds = clock.Elapsed.TotalSeconds;
        return pruned;
    }

    /// <summary>The pruned network as a runnable module, BN statistics re-estimated if asked.</summary>
    public GraphModule ToModule(PrunedNetwork pruned, PruneOptions options)
    {
        var module = new GraphModule(pruned.Network);
        module.LoadTensors(pruned.Weights);
        if (options.RecalibrateBatchNorm) BatchNormCalibration.Recalibrate(module, batchNormBatches);
        module.eval();
        return module;
    }
}
