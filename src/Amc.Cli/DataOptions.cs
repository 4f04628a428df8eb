using System.CommandLine;
using Amc.Data;
using Amc.Sessions;

namespace Amc.Cli;

/// <summary>The data options shared by train, eval, prune and search, and how they resolve.</summary>
public static class DataOptions
{
    public static readonly Option<string> Data = new("--data") { Description = "fashion-mnist (Debian package files, else the embedded subset) or a path (IDX, CIFAR-10 binary or image folders)", DefaultValueFactory = _ => "fashion-mnist" };
    public static readonly Option<int?> HeldOut = new Option<int?>("--heldout") { Description = "Images of the training set held out for scoring, never trained on (default: 5000, at most 10 % of the set)" }
        .In(OptionRange.AtLeast(1));
    public static readonly Option<int> SplitSeed = new("--split-seed") { Description = "Seed of the held-out split (keep it equal between train and search)", DefaultValueFactory = _ => 2018 };
    public static readonly Option<string?> ImageSize = ImageSizeOption();

    public static void AddTo(Command cmd)
    {
        cmd.Options.Add(Data);
        cmd.Options.Add(HeldOut);
        cmd.Options.Add(SplitSeed);
        cmd.Options.Add(ImageSize);
    }

    static Option<string?> ImageSizeOption()
    {
        var option = new Option<string?>("--image-size")
        {
            Description = "Resize every image of an image-folder data set to WxH, e.g. 224x224 (default: no resize; the images must then share one size)",
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

    /// <summary>The data settings the command line asks for.</summary>
    public static DataSettings Settings(ParseResult p) => new(p.GetValue(Data)!, p.GetValue(HeldOut), p.GetValue(SplitSeed), ImageOptions(p));

    /// <summary>The image-folder options the command line asks for (a resize, or none).</summary>
    static ImageFolderOptions? ImageOptions(ParseResult p)
    {
        if (p.GetValue(ImageSize) is not string text) return null;
        var (w, h, error) = ParseImageSize(text);
        return error is null ? new ImageFolderOptions(Width: w, Height: h) : throw new UsageException(error);
    }

    public static OpenedData Open(ParseResult p) => OpenedData.Open(Settings(p));

    /// <summary>The data for an existing checkpoint: of its input shape and class count, normalised as it was trained (<see cref="OpenedData.FitTo"/>).</summary>
    public static OpenedData OpenFor(ParseResult p, Amc.Torch.Checkpoint ck) => OpenedData.OpenFor(Settings(p), ck);
}
