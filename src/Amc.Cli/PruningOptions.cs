using System.CommandLine;
using Amc.Pruning;
using Amc.Training;
using Amc.Torch;

namespace Amc.Cli;

/// <summary>Options shared by prune and search: how a policy turns into a scored, pruned network.</summary>
public static class PruningOptions
{
    public static readonly Option<int> Round = new Option<int>("--round") { Description = "Round kept channels up to a multiple of this (1 = exact)", DefaultValueFactory = _ => 8 }.In(OptionRange.AtLeast(1));
    public static readonly Option<string> Criterion = new("--criterion") { Description = "Channel selection: l1 (AMC), l2 or random", DefaultValueFactory = _ => "l1" };
    public static readonly Option<int> CalibrationImages = new Option<int>("--calibration-images") { Description = "Training images sampled for least-squares reconstruction", DefaultValueFactory = _ => 3000 }.In(OptionRange.AtLeast(1));
    public static readonly Option<int> BatchNormImages = new Option<int>("--bn-images") { Description = "Training images used to re-estimate BN statistics after pruning", DefaultValueFactory = _ => 500 }.In(OptionRange.AtLeast(1));
    public static readonly Option<bool> NoBatchNorm = new("--no-bn-recalibration") { Description = "Keep the original BN statistics" };
    public static readonly Option<double> Ridge = new Option<double>("--ridge") { Description = "Relative ridge of the least squares", DefaultValueFactory = _ => 1e-4 }.In(OptionRange.NonNegative);

    public static void AddTo(Command cmd)
    {
        Criterion.AcceptOnlyFromAmong("l1", "l2", "random");
        foreach (var o in new Option[] { Round, Criterion, CalibrationImages, BatchNormImages, NoBatchNorm, Ridge }) cmd.Options.Add(o);
    }

    public static PruneOptions Read(ParseResult p, bool reconstruct)
    {
        return new PruneOptions(
            Round: p.GetValue(Round),
            Criterion: Enum.Parse<SelectionCriterion>(p.GetValue(Criterion)!, ignoreCase: true),
            Reconstruct: reconstruct,
            RecalibrateBatchNorm: !p.GetValue(NoBatchNorm),
            Ridge: p.GetValue(Ridge),
            Seed: p.GetValue(CommonOptions.Seed));
    }

    /// <summary>
    /// Refuses a prune or search that cannot fit: the original network scored at the scoring batch
    /// with four copies of its weights alive (checkpoint, original module, candidate weights,
    /// candidate module or ONNX session), the Gram matrices when reconstructing, and the image
    /// tensors made up front (calibration, held-out, and <paramref name="laterImages"/> made later
    /// while those are alive: test or confirmation images).
    /// </summary>
    public static void CheckMemory(ParseResult p, Checkpoint ck, DataOptions.Opened data, bool reconstruct, string task, long laterImages)
    {
        long images = Math.Min(p.GetValue(CalibrationImages), data.Split.Train.Length) + data.Split.HeldOut.Length + laterImages;
        var estimate = Amc.Graph.MemoryEstimate.Inference(ck.Network, MemoryCheck.ScoringBatch, task, weightCopies: 4).WithImages(ck.Network, images);
        if (reconstruct) estimate = estimate.WithGrams(ck.Network);
        string fix = estimate.Grams > estimate.Data && estimate.Grams > estimate.Activations
            ? "the least-squares Gram matrices are the largest part: " + (task == "pruning" ? "drop --reconstruct, or " : "") + "use a machine with more memory"
            : estimate.Data > estimate.Activations
                ? "use fewer --calibration-images or a smaller --heldout"
                : "use a smaller network or input, or a machine with more memory";
        MemoryCheck.Ensure(estimate, fix: fix);
    }

    /// <summary>Calibration images: a seeded sample of the training split (never the held-out or test images).</summary>
    public static TensorBatches Calibration(ParseResult p, DataOptions.Opened data, int batchSize = 100)
    {
        int n = p.GetValue(CalibrationImages);
        var rng = new Random(p.GetValue(CommonOptions.Seed));
        var sample = data.Split.Train.OrderBy(_ => rng.Next()).Take(n).ToArray();
        return new TensorBatches(data.Train, sample, batchSize);
    }

    public static ChannelPruner Pruner(ParseResult p, Checkpoint ck, TensorBatches calibration, int batchSize = 100)
    {
        int bnImages = p.GetValue(BatchNormImages);
        return new ChannelPruner(ck.Network, ck.Weights, calibration.Images, (bnImages + batchSize - 1) / batchSize);
    }
}
