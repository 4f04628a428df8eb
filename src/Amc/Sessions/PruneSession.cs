using Amc.Graph;
using Amc.Host;
using Amc.Onnx;
using Amc.Pruning;
using Amc.Torch;
using Amc.Training;

namespace Amc.Sessions;

/// <summary>
/// Prunes a checkpoint to a policy (channels, with calibration and least-squares reconstruction)
/// or to a sparsity (fine-grained magnitude pruning), and scores it before and after on the
/// held-out and test images. Writes nothing: the caller saves <see cref="PruneResult.Pruned"/>.
/// </summary>
public static class PruneSession
{
    public static PruneResult Run(PruneSettings settings)
    {
        MallocTuning.Apply();
        int targets = new object?[] { settings.Uniform, settings.Policy, settings.PolicyFile, settings.Sparsity }.Count(t => t is not null);
        if (targets != 1) throw new SettingsException("give exactly one of --uniform RATIO, --policy FILE or --sparsity FRACTION");
        if (settings.Sparsity is double fraction) return FineGrained(settings, net => Every(net, fraction));
        if (settings.PolicyFile is string file && SparsityPolicy.IsSparsity(file))
            return FineGrained(settings, net =>
            {
                try { return SparsityPolicy.Load(file).Resolve(net); }
                catch (PolicyException e) when (!e.Message.StartsWith(file, StringComparison.Ordinal)) { throw new PolicyException($"{file}: {e.Message}"); }
            });
        return Channels(settings);
    }

    static Dictionary<string, double> Every(Network net, double fraction) =>
        net.Layers.Where(l => l.Kind is LayerKind.Conv2d or LayerKind.Linear).ToDictionary(l => l.Name, _ => fraction);

    static PruneResult Channels(PruneSettings settings)
    {
        var options = settings.Pruning;
        if (settings.Data is null)
        {
            if (options.Reconstruct) throw new SettingsException("least-squares reconstruction needs calibration images: give the data (--data) or drop --reconstruct");
            options = options with { RecalibrateBatchNorm = false };
        }
        var ck = Checkpoint.Load(settings.Checkpoint).RequireFinite(settings.Checkpoint);
        var graph = ChannelGraph.Build(ck.Network);
        var plan = settings.Uniform is double keep ? PruningPolicy.Uniform(graph, keep, ck.Info.Model)
            : settings.Policy ?? PruningPolicy.Load(settings.PolicyFile!);
        Policy channels;
        try { channels = plan.Resolve(graph, plan.Round ?? options.Round); }
        catch (PolicyException e) when (settings.PolicyFile is string file) { throw new PolicyException($"{file}: {e.Message}"); }

        var data = settings.Data is null ? null : OpenedData.OpenFor(settings.Data, ck);
        if (data is null) PruningMemory.Ensure(MemoryEstimate.Inference(ck.Network, 1, "pruning", weightCopies: 3));
        else PruningMemory.Ensure(ck, data, settings.Calibration.Images, options.Reconstruct, "pruning", data.Test.Count);
        using var calibration = data?.CalibrationSample(settings.Calibration.Images, options.Seed);
        var pruner = calibration is null ? new ChannelPruner(ck.Network, ck.Weights, [], 0) : settings.Calibration.Pruner(ck, calibration);
        var pruned = pruner.Prune(channels, options);
        using var before = ck.ToModule();
        using var after = pruner.ToModule(pruned, options);
        using var heldOut = data is null ? null : new TensorBatches(data.Train, data.Split.HeldOut, PruningMemory.ScoringBatch);
        using var test = data is null ? null : new TensorBatches(data.Test, data.Test.AllIndices(), PruningMemory.ScoringBatch);
        PruneRow Row(string name, Network net, GraphModule module)
        {
            var cost = CostModel.Of(net);
            // Unlabelled images calibrate the pruning but give no accuracy.
            if (heldOut is null || test is null || !data!.HasLabels) return new PruneRow(name, cost.Macs, cost.Params, null, null, null);
            var (h, t) = (Evaluator.Evaluate(module, heldOut), Evaluator.Evaluate(module, test));
            return new PruneRow(name, cost.Macs, cost.Params, h.Top1, t.Top1, t.Top5);
        }
        var rows = new[] { Row("original", ck.Network, before), Row("pruned", pruned.Network, after) };
        var policy = PruningPolicy.From(channels, graph, ck.Info.Model, options.Round);
        return new PruneResult(Checkpoint.From(after, Info(settings, ck, rows[1])), policy, rows, data?.ScoringOnTrainedImagesWarning(ck.Info.HeldOut));
    }

    /// <summary>
    /// Fine-grained magnitude pruning of conv and linear layers (AMC's parameter-budget variant), to
    /// the sparsity per layer <paramref name="sparsity"/> gives, then BN statistics re-estimated on
    /// the BN images (unless turned off), as `amc search --mode sparsity` scores its candidates.
    /// Without data the masks need no image and the BN statistics stay; on unlabelled images
    /// they are re-estimated but there is no accuracy to report, as for channel pruning.
    /// </summary>
    static PruneResult FineGrained(PruneSettings settings, Func<Network, Dictionary<string, double>> sparsity)
    {
        var ck = Checkpoint.Load(settings.Checkpoint).RequireFinite(settings.Checkpoint);
        var layers = sparsity(ck.Network);
        var data = settings.Data is null ? null : OpenedData.OpenFor(settings.Data, ck);
        bool scored = data is { HasLabels: true };
        // Checkpoint, original and sparse modules; held-out and test tensors.
        var memory = MemoryEstimate.Inference(ck.Network, Math.Min(PruningMemory.ScoringBatch, Evaluator.BatchFor(ck.Network)), "pruning", weightCopies: 3);
        PruningMemory.Ensure(scored ? memory.WithImages(ck.Network, (long)data!.Split.HeldOut.Length + data.Test.Count) : memory);
        using var before = ck.ToModule();
        using var after = ck.ToModule();
        var masks = SparsityMasks.Prune(after, layers);
        if (data is not null && settings.Pruning.RecalibrateBatchNorm)
        {
            // The first BN images of the search's calibration sample (same seed, same order).
            using var batchNorm = data.CalibrationSample(settings.Calibration.BatchNormImages, settings.Pruning.Seed);
            BatchNormCalibration.Recalibrate(after, batchNorm.Images);
        }
        using var heldOut = scored ? new TensorBatches(data!.Train, data.Split.HeldOut, PruningMemory.ScoringBatch) : null;
        using var test = scored ? new TensorBatches(data!.Test, data.Test.AllIndices(), PruningMemory.ScoringBatch) : null;
        PruneRow Row(string name, GraphModule m)
        {
            var cost = CostModel.Of(ck.Network);
            long nonZero = SparsityMasks.NonZeroParams(ck.Network, m.Tensors()), bytes = OnnxSparseWeights.SparseFileBytes(ck.Network, m.Tensors());
            if (heldOut is null || test is null) return new PruneRow(name, cost.Macs, nonZero, null, null, null, bytes);
            var (h, t) = (Evaluator.Evaluate(m, heldOut), Evaluator.Evaluate(m, test));
            return new PruneRow(name, cost.Macs, nonZero, h.Top1, t.Top1, t.Top5, bytes);
        }
        var rows = new[] { Row("original", before), Row("sparse", after) };
        return new PruneResult(Checkpoint.From(after, Info(settings, ck, rows[1]) with { Sparsity = masks.Sparsity }), null, rows,
            scored ? data!.ScoringOnTrainedImagesWarning(ck.Info.HeldOut) : null);
    }

    static CheckpointInfo Info(PruneSettings settings, Checkpoint ck, PruneRow pruned) => ck.Info with
    {
        Parent = settings.Checkpoint,
        Command = settings.CommandLine,
        // Without data there is no accuracy to record; the original's does not hold for the pruned network.
        Metrics = pruned.HeldOutTop1 is not double heldOut ? null
            : new() { ["heldout_top1"] = heldOut, ["test_top1"] = pruned.TestTop1!.Value, ["test_top5"] = pruned.TestTop5!.Value },
    };
}
