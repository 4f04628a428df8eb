using System.CommandLine;
using Amc.Data;

namespace Amc.Cli;

/// <summary>The data options shared by train, eval, prune and search, and how they resolve.</summary>
public static class DataOptions
{
    public static readonly Option<string> Data = new("--data") { Description = "fashion-mnist (Debian package files, else the embedded subset) or a path (IDX, CIFAR-10 binary or image folders)", DefaultValueFactory = _ => "fashion-mnist" };
    public static readonly Option<int?> HeldOut = new Option<int?>("--heldout") { Description = "Images of the training set held out for scoring, never trained on (default: 5000, at most 10 % of the set)" }
        .In(OptionRange.AtLeast(1));
    public static readonly Option<int> SplitSeed = new("--split-seed") { Description = "Seed of the held-out split (keep it equal between train and search)", DefaultValueFactory = _ => 2018 };
    public static readonly Option<string?> ImageSize = ImageSizeOption();
    public static readonly Option<int?> Resize = new Option<int?>("--resize") { Description = "Image folders: resize the shorter side to N pixels before the centre crop to --image-size (default: size x 256/224, 256 for 224)" }
        .In(OptionRange.AtLeast(1));
    public static readonly Option<bool> Squash = new("--squash") { Description = "Image folders: resize straight to --image-size, ignoring the aspect ratio, instead of resize + centre crop" };
    public static readonly Option<string?> Classes = new("--classes") { Description = "Image folders: class-list file, one class folder name per line in the model's label order (default: the training folder's sub-folders in ordinal order)" };
    public static readonly Option<int> CacheMegabytes = new Option<int>("--cache-mb") { Description = "Image folders: megabytes of decoded images kept in memory", DefaultValueFactory = _ => ImageFiles.DefaultCacheMegabytes }
        .In(OptionRange.AtLeast(0));

    public static void AddTo(Command cmd)
    {
        cmd.Options.Add(Data);
        cmd.Options.Add(HeldOut);
        cmd.Options.Add(SplitSeed);
        cmd.Options.Add(ImageSize);
        cmd.Options.Add(Resize);
        cmd.Options.Add(Squash);
        cmd.Options.Add(Classes);
        cmd.Options.Add(CacheMegabytes);
    }

    static Option<string?> ImageSizeOption()
    {
        var option = new Option<string?>("--image-size")
        {
            Description = "Input size of an image-folder data set, WxH or N, e.g. 224: images are resized (shorter side to --resize) and centre-cropped to it (default: no resize; the images must then share one size)",
        };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is string text && ParseImageSize(text) is { Error: string error }) r.AddError(error);
        });
        return option;
    }

    /// <summary>"224x224" (width x height) or "224" (square); the error names the option and the valid form.</summary>
    public static (int Width, int Height, string? Error) ParseImageSize(string text)
    {
        var parts = text.Split('x', 'X');
        if (parts.Length is 1 or 2 && parts.All(p => long.TryParse(p, out _)))
        {
            long w = long.Parse(parts[0]), h = long.Parse(parts[^1]);
            if (w >= 1 && h >= 1 && w * h <= ImageFolderReader.MaxImagePixels) return ((int)w, (int)h, null);
        }
        return (0, 0, $"--image-size must be WxH (or N for NxN) with each side at least 1 and at most {ImageFolderReader.MaxImagePixels:N0} pixels in all, e.g. 224x224; got '{text}'");
    }

    /// <summary>
    /// The image-folder options the command line asks for. <paramref name="stored"/> (a
    /// checkpoint's transform) is used when no --resize / --squash is given, and its input size
    /// (<paramref name="input"/>) when no --image-size is, so a model is fed as it was trained.
    /// </summary>
    static ImageFolderOptions ImageOptions(ParseResult p, ImageTransform? stored = null, Amc.Graph.TensorShape? input = null)
    {
        int? w = null, h = null;
        if (stored is { Mode: not ResizeMode.None } && input is { } size)
            (w, h) = (size.W, size.H);
        if (p.GetValue(ImageSize) is string text)
        {
            var (width, height, error) = ParseImageSize(text);
            if (error is not null) throw new UsageException(error);
            (w, h) = (width, height);
        }
        bool squash = p.GetValue(Squash);
        int? resize = p.GetValue(Resize);
        if (squash && resize is not null) throw new UsageException("give --resize (resize + centre crop) or --squash, not both");
        if ((squash || resize is not null) && w is null) throw new UsageException($"{(squash ? "--squash" : "--resize")} needs --image-size (the input size)");
        if (!squash && resize is null && stored is not null)
            (squash, resize) = (stored.Mode == ResizeMode.Squash, stored.Resize);
        string[]? classes = null;
        if (p.GetValue(Classes) is string file)
        {
            try { classes = ClassList.Read(file); }
            catch (DataFormatException e) { throw new UsageException(e.Message); }
        }
        return new ImageFolderOptions(Grayscale: input?.C == 1, Width: w, Height: h, Resize: resize, Squash: squash, Classes: classes, CacheMegabytes: p.GetValue(CacheMegabytes));
    }

    public sealed record Opened(Dataset Train, Dataset Test, HeldOutSplit Split);

    public static Opened Open(ParseResult p) => Open(p, null, null);

    static Opened Open(ParseResult p, ImageTransform? stored, Amc.Graph.TensorShape? input)
    {
        var data = DataSource.Load(p.GetValue(Data)!, ImageOptions(p, stored, input));
        int count = data.Train.Count, heldOut = p.GetValue(HeldOut) ?? HeldOutSplit.DefaultSize(count);
        // Scoring needs at least one held-out image and training at least one left over.
        if (heldOut < 1 || heldOut >= count)
            throw new UsageException(p.GetValue(HeldOut) is null
                ? $"the training set has {count} images, too few for the default held-out split (10 %); give --heldout N (1 to {count - 1})"
                : $"--heldout must be between 1 and {count - 1} (the training set size minus one), got {heldOut}");
        var split = HeldOutSplit.Create(count, p.GetValue(SplitSeed), heldOut);
        return new Opened(data.Train, data.Test, split);
    }

    /// <summary>
    /// Opens the data for an existing checkpoint: it must match the checkpoint's input shape and
    /// class count, and images are normalised with the statistics the network was trained with.
    /// </summary>
    public static Opened OpenFor(ParseResult p, Amc.Torch.Checkpoint ck) => Fit(Open(p, ck.Info.Transform, ck.Network.Input), ck);

    /// <summary>The data as <see cref="OpenFor"/> gives it, for data already opened.</summary>
    public static Opened Fit(Opened d, Amc.Torch.Checkpoint ck)
    {
        if (ck.Network.Input != d.Train.Shape)
            throw new UsageException($"the checkpoint expects {ck.Network.Input} images but the data has {d.Train.Shape}" +
                (ck.Network.Input.C == d.Train.Shape.C ? $" (an image folder can be resized with --image-size {ck.Network.Input.W}x{ck.Network.Input.H})" : ""));
        int classes = Amc.Graph.ShapeInference.Infer(ck.Network)[ck.Network.Output.Name].C;
        if (classes != d.Train.Classes)
            throw new UsageException($"the checkpoint has {classes} outputs but the data has {d.Train.Classes} classes" +
                (d.Train.Files is not null ? " (give the model's class list with --classes FILE)" : ""));
        if (ck.Info.Mean is { } mean && ck.Info.Std is { } std)
            d = d with { Train = d.Train with { Mean = mean, Std = std }, Test = d.Test with { Mean = mean, Std = std } };
        return d;
    }
}
