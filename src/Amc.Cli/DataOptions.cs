using System.CommandLine;
using Amc.Data;
using Amc.Sessions;

namespace Amc.Cli;

/// <summary>The data options shared by train, eval, prune and search, and how they resolve.</summary>
public static class DataOptions
{
    public static readonly Option<string> Data = new("--data") { Description = "fashion-mnist (Debian package files, else the embedded subset) or a path (IDX, CIFAR-10 binary or image folders)", DefaultValueFactory = _ => "fashion-mnist" };
    public static readonly Option<int?> HeldOut = new Option<int?>("--heldout") { Description = "Images of the training set held out for scoring, never trained on (default: 5000, at most 10 % of the set and no more than the checkpoint was trained without)" }
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

    /// <summary>The data settings the command line asks for; a checkpoint's own transform fills what it leaves out (<see cref="OpenedData.OpenFor"/>).</summary>
    public static DataSettings Settings(ParseResult p)
    {
        string data = p.GetValue(Data)!;
        // Results on the subset differ from the full set's: say so once, before any work.
        if (DataSource.SubsetFallbackWarning(data) is { } warning) Console.Error.WriteLine($"warning: {warning}");
        return new(data, p.GetValue(HeldOut), p.GetValue(SplitSeed), ImageOptions(p));
    }

    /// <summary>The image-folder options given on the command line (size, resize or squash, class list, cache).</summary>
    static ImageFolderOptions ImageOptions(ParseResult p)
    {
        int? w = null, h = null;
        if (p.GetValue(ImageSize) is string text)
        {
            var (width, height, error) = ParseImageSize(text);
            if (error is not null) throw new UsageException(error);
            (w, h) = (width, height);
        }
        bool squash = p.GetValue(Squash);
        int? resize = p.GetValue(Resize);
        if (squash && resize is not null) throw new UsageException("give --resize (resize + centre crop) or --squash, not both");
        string[]? classes = null;
        if (p.GetValue(Classes) is string file)
        {
            try { classes = ClassList.Read(file); }
            catch (DataFormatException e) { throw new UsageException(e.Message); }
        }
        return new ImageFolderOptions(Width: w, Height: h, Resize: resize, Squash: squash, Classes: classes, CacheMegabytes: p.GetValue(CacheMegabytes));
    }

    public static OpenedData Open(ParseResult p) => OpenedData.Open(Settings(p));

    /// <summary>The data for an existing checkpoint: fed and normalised as it was trained (<see cref="OpenedData.OpenFor"/>).</summary>
    public static OpenedData OpenFor(ParseResult p, Amc.Torch.Checkpoint ck) => OpenedData.OpenFor(Settings(p), ck);
}
