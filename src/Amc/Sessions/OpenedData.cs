using Amc.Data;
using Amc.Graph;
using Amc.Torch;
using Amc.Training;

namespace Amc.Sessions;

/// <summary>A training set split into training and held-out images, and its test set.</summary>
/// <param name="Unseen">The training-set images the checkpoint never trained on, when it records them
/// (<see cref="CheckpointInfo.HeldOut"/>) for this data: <see cref="Split"/>'s training images leave them out.</param>
public sealed record OpenedData(Dataset Train, Dataset Test, HeldOutSplit Split, int[]? Unseen = null)
{
    public static OpenedData Open(DataSettings settings)
    {
        if (settings.Images is { Resizes: false } images && (images.Squash || images.Resize is not null))
            throw new SettingsException($"{(images.Squash ? "--squash" : "--resize")} needs --image-size (the input size)");
        var data = DataSource.Load(settings.Source, settings.Images);
        int count = data.Train.Count, heldOut = settings.HeldOut ?? HeldOutSplit.DefaultSize(count);
        // Scoring needs at least one held-out image and training at least one left over.
        if (heldOut < 1 || heldOut >= count)
            throw new SettingsException(settings.HeldOut is null
                ? $"the training set has {count} images, too few for the default held-out split (10 %); give --heldout N (1 to {count - 1})"
                : $"--heldout must be between 1 and {count - 1} (the training set size minus one), got {heldOut}");
        var split = HeldOutSplit.Create(count, settings.SplitSeed, heldOut);
        return new OpenedData(data.Train, data.Test, split);
    }

    /// <summary>
    /// The data for an existing checkpoint, as <see cref="FitTo"/> gives it; image folders are fed
    /// as the checkpoint was trained where the settings do not say otherwise (<see cref="ImageFolderOptions.FedAs"/>).
    /// </summary>
    public static OpenedData OpenFor(DataSettings settings, Checkpoint ck)
    {
        var data = Open(settings with { Images = (settings.Images ?? new ImageFolderOptions()).FedAs(ck.Info.Transform, ck.Network.Input) }).FitTo(ck);
        if (settings.HeldOut is null) data = data.WithinUnseen(ck.Info.HeldOut);
        return data.Sparing(ck.Info.HeldOut);
    }

    /// <summary>
    /// The default held-out split, shrunk to the images the checkpoint never trained on when it
    /// held out fewer (with the same split seed), so that a search's default never scores on trained images.
    /// </summary>
    public OpenedData WithinUnseen(HeldOutImages? heldOut) =>
        heldOut is { } r && r.Seed == Split.Seed && r.Size < Split.HeldOut.Length && r.Indices(Train.Count) is not null
            ? this with { Split = HeldOutSplit.Create(Train.Count, r.Seed, r.Size) }
            : this;

    /// <summary>
    /// Keeps the images a checkpoint never trained on out of the training images (calibration,
    /// BN re-estimation, fine-tuning), so they stay fit for scoring and confirming; unchanged when
    /// the record is of other data or there is none (an imported network, an older checkpoint).
    /// </summary>
    public OpenedData Sparing(HeldOutImages? heldOut)
    {
        if (heldOut?.Indices(Train.Count) is not { } unseen) return this;
        return this with { Split = Split with { Train = Split.Train.Except(unseen).ToArray() }, Unseen = unseen };
    }

    /// <summary>
    /// Said before a search, and by prune and eval when they report held-out accuracy: how many of the
    /// held-out images trained the checkpoint (a split larger than, or shuffled otherwise than, the one
    /// it was trained with), which makes every held-out score optimistic; null when none did.
    /// </summary>
    public string? ScoringOnTrainedImagesWarning(HeldOutImages? heldOut)
    {
        if (Unseen is null || heldOut is null) return null;
        int trained = Split.HeldOut.Except(Unseen).Count();
        return trained == 0 ? null
            : $"{trained} of the {Split.HeldOut.Length} held-out images trained this checkpoint (it held out {heldOut.Size} with split seed {heldOut.Seed}), " +
              $"so held-out scores are optimistic; give --heldout {heldOut.Size} or less and --split-seed {heldOut.Seed} to score on images it never saw";
    }

    /// <summary>True when the training images have labels (not a folder of unlabelled images).</summary>
    public bool HasLabels => Train.HasLabels;

    /// <summary>
    /// The data must match the checkpoint's input shape and class count (unlabelled images take the
    /// network's, their labels being placeholders), and images are normalised with the statistics
    /// the network was trained with.
    /// </summary>
    public OpenedData FitTo(Checkpoint ck) =>
        FitTo(ck.Network.Input, ShapeInference.Infer(ck.Network)[ck.Network.Output.Name].C, ck.Info.Mean, ck.Info.Std, "the checkpoint");

    /// <summary>As <see cref="FitTo(Checkpoint)"/>, for a network known by its input, class count and normalisation (e.g. an ONNX graph).</summary>
    /// <param name="what">How messages name the network.</param>
    public OpenedData FitTo(TensorShape input, int classes, float[]? mean, float[]? std, string what)
    {
        if (input != Train.Shape)
            throw new SettingsException($"{what} expects {input} images but the data ({Train.Name}) has {Train.Shape}" +
                (input.C == Train.Shape.C ? $" (an image folder can be resized with --image-size {input.W}x{input.H})" : $"; give --data images of {input}"));
        var fitted = this;
        if (!Train.HasLabels) fitted = this with { Train = Train with { Classes = classes }, Test = Test with { Classes = classes } };
        else if (classes != Train.Classes)
            throw new SettingsException($"{what} has {classes} outputs but the data has {Train.Classes} classes");
        if (mean is not null && std is not null)
            fitted = fitted with { Train = fitted.Train with { Mean = mean, Std = std }, Test = fitted.Test with { Mean = mean, Std = std } };
        return fitted;
    }

    /// <summary>Calibration images: a seeded sample of the training split (never the held-out or test images).</summary>
    public TensorBatches CalibrationSample(int images, int seed, int batchSize = CalibrationSettings.BatchSize) =>
        new(Train, CalibrationIndices(images, seed), batchSize);

    /// <summary>The indices of <see cref="CalibrationSample"/>, for a caller that streams the images itself.</summary>
    public int[] CalibrationIndices(int images, int seed)
    {
        var rng = new Random(seed);
        return Split.Train.OrderBy(_ => rng.Next()).Take(images).ToArray();
    }

    /// <summary>
    /// Where a search confirms its top policies: the images the checkpoint never trained on
    /// (<see cref="Unseen"/>) or, when it does not record them, those of the default held-out split,
    /// less the ones this split scores on. Empty when it scores on all of them.
    /// </summary>
    public int[] UnscoredHeldOut() =>
        (Unseen ?? HeldOutSplit.Create(Train.Count, Split.Seed).HeldOut).Except(Split.HeldOut).ToArray();
}
