using Amc.Graph;
using SkiaSharp;

namespace Amc.Data;

/// <summary>
/// Reads an ImageNet-style folder: one sub-folder per class, holding PNG or JPEG files. Class
/// indices follow the ordinal order of the sub-folder names, as torchvision's ImageFolder does,
/// so labels agree with models trained elsewhere on the same folders.
/// </summary>
public static class ImageFolderReader
{
    static readonly HashSet<string> ImageExtensions = new(StringComparer.OrdinalIgnoreCase)
        { ".png", ".jpg", ".jpeg", ".bmp", ".webp" };

    /// <summary>The most pixels one image may have (<see cref="ImageDecoder.MaxImagePixels"/>).</summary>
    public const long MaxImagePixels = ImageDecoder.MaxImagePixels;

    /// <summary>
    /// Mean and Std are measured on at most this many training images, evenly spread over the
    /// folder (so over every class): a per-channel mean settles long before, and a folder of a
    /// million images is not decoded once more just for them.
    /// </summary>
    public const int StatisticsImages = 2000;

    /// <summary>The class sub-folder names of a folder, in label order.</summary>
    public static string[] ClassNames(string folder)
    {
        if (!Directory.Exists(folder))
            throw new DataFormatException(folder, "folder not found");
        var names = Directory.GetDirectories(folder)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(n => !n.StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (names.Length == 0)
            throw new DataFormatException(folder, "has no class sub-folders",
                "An image folder holds one sub-folder per class, each with that class's images");
        return names;
    }

    /// <summary>
    /// Lists every image below <paramref name="folder"/> and reads their headers; pixels are
    /// decoded on demand (<see cref="Dataset.Files"/>). <paramref name="classNames"/> fixes the
    /// label of each class folder (a training folder's names when reading a test folder, which
    /// may lack some classes, or a model's class-list file); by default they are the folder's own
    /// class names. A class folder not in the list is refused, naming it. <paramref name="fitTo"/>
    /// is the size images are brought to when the options ask for none (a test folder takes the
    /// training images' size); they must still share one size. Mean and Std are those of these
    /// images (<see cref="StatisticsImages"/>) when <paramref name="statistics"/> is set, else
    /// 0 and 1 for the caller to replace.
    /// </summary>
    public static Dataset Read(string folder, ImageFolderOptions? options = null, IReadOnlyList<string>? classNames = null,
        (int Width, int Height)? fitTo = null, bool statistics = true)
    {
        options ??= new ImageFolderOptions();
        if (options.Width is < 1 || options.Height is < 1 || (long)(options.Width ?? 1) * (options.Height ?? 1) > MaxImagePixels)
            throw new ArgumentOutOfRangeException(nameof(options), $"resize to {options.Width}x{options.Height}: each side must be at least 1 and the image at most {MaxImagePixels:N0} pixels");
        var ownClasses = ClassNames(folder);
        classNames ??= ownClasses;
        var labelOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < classNames.Count; i++)
            labelOf[classNames[i]] = i;
        var unknown = ownClasses.Where(c => !labelOf.ContainsKey(c)).ToArray();
        if (unknown.Length > 0)
            throw new DataFormatException(Path.Combine(folder, unknown[0]),
                $"is a class the class list does not have ({unknown.Length} of the {ownClasses.Length} class folders are not in it: {string.Join(", ", unknown.Take(5))}{(unknown.Length > 5 ? ", ..." : "")})",
                "Test and training folders must use the same class folder names, and a --classes file must name every class folder");

        var files = new List<(string Path, int Label)>();
        foreach (var name in ownClasses)
        {
            var classFolder = Path.Combine(folder, name);
            var images = ImagesIn(classFolder);
            if (images.Length == 0)
                throw new DataFormatException(classFolder, "class folder has no images (.png, .jpg, .jpeg, .bmp, .webp)");
            files.AddRange(images.Select(f => (f, labelOf[name])));
        }
        return FromFiles(folder, files, options, classNames.Count, fitTo, statistics, hasLabels: true);
    }

    /// <summary>The image files directly in <paramref name="folder"/>, in ordinal order.</summary>
    public static string[] ImagesIn(string folder) => Directory.GetFiles(folder)
        .Where(f => ImageExtensions.Contains(Path.GetExtension(f)))
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>
    /// A folder of images with no labels: the image files directly in it (sub-folders are not
    /// read), in ordinal order. The set has one placeholder class (every label 0) and
    /// <see cref="Dataset.HasLabels"/> false; sizes, resizes and statistics are as in <see cref="Read"/>.
    /// </summary>
    public static Dataset ReadUnlabelled(string folder, ImageFolderOptions? options = null)
    {
        options ??= new ImageFolderOptions();
        if (options.Width is < 1 || options.Height is < 1 || (long)(options.Width ?? 1) * (options.Height ?? 1) > MaxImagePixels)
            throw new ArgumentOutOfRangeException(nameof(options), $"resize to {options.Width}x{options.Height}: each side must be at least 1 and the image at most {MaxImagePixels:N0} pixels");
        var images = ImagesIn(folder);
        if (images.Length == 0)
            throw new DataFormatException(folder, "holds no images (.png, .jpg, .jpeg, .bmp, .webp)");
        return FromFiles(folder, images.Select(f => (f, 0)).ToList(), options, 1, null, statistics: true, hasLabels: false);
    }

    static Dataset FromFiles(string folder, List<(string Path, int Label)> files, ImageFolderOptions options, int classes,
        (int Width, int Height)? fitTo, bool statistics, bool hasLabels)
    {

        // Headers only: sizes are known, and absurd ones refused, before any pixel is decoded.
        var sizes = new (int Width, int Height)[files.Count];
        Unwrap(() => Parallel.For(0, files.Count, i => sizes[i] = ImageDecoder.Header(files[i].Path)));
        var common = sizes.GroupBy(s => s).MaxBy(g => g.Count())!.Key;
        if (!options.Resizes)
        {
            int odd = Array.FindIndex(sizes, s => s != common);
            if (odd >= 0)
                throw new DataFormatException(files[odd].Path,
                    $"is {sizes[odd].Width}x{sizes[odd].Height} but {sizes.Count(s => s == common)} of the {files.Count} images in {folder} are {common.Width}x{common.Height}",
                    $"Give every image one size, or ask for a resize (--image-size WxH, e.g. --image-size {common.Width}x{common.Height})");
        }
        int width = options.Width ?? fitTo?.Width ?? common.Width, height = options.Height ?? fitTo?.Height ?? common.Height;
        var shape = new TensorShape(options.Grayscale ? 1 : 3, height, width);
        var transform = !options.Resizes && fitTo is null ? ImageTransform.None
            : options.Squash || !options.Resizes ? new ImageTransform(ResizeMode.Squash)
            : ImageTransform.CenterCrop(width, height, options.Resize);
        var source = new ImageFiles(files.Select(f => f.Path).ToArray(), shape, transform, options.CacheMegabytes);
        var labels = files.Select(f => f.Label).ToArray();
        var (mean, std) = statistics ? Statistics(source) : (Enumerable.Repeat(0f, shape.C).ToArray(), Enumerable.Repeat(1f, shape.C).ToArray());
        return new Dataset(Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)), [], labels, shape,
            classes, mean, std, source, hasLabels);
    }

    /// <summary>Mean and Std of <see cref="StatisticsImages"/> images spread evenly over the set, decoded in parallel.</summary>
    static (float[] Mean, float[] Std) Statistics(ImageFiles source)
    {
        int n = Math.Min(source.Count, StatisticsImages);
        var sample = Enumerable.Range(0, n).Select(k => (int)((long)k * source.Count / n)).ToArray();
        var sums = new ChannelStatistics.Sums(source.Shape.C);
        Unwrap(() => Parallel.For(0, n, () => (Sums: new ChannelStatistics.Sums(source.Shape.C), Buffer: new byte[source.Shape.Elements]),
            (k, _, local) =>
            {
                source.Read(sample[k], local.Buffer);
                local.Sums.Add(local.Buffer, source.Shape);
                return local;
            },
            local => { lock (sums) sums.Add(local.Sums); }));
        return sums.Result();
    }

    /// <summary>A parallel loop's first DataFormatException, as if the loop had run on this thread.</summary>
    static void Unwrap(Action loop)
    {
        try
        {
            loop();
        }
        catch (AggregateException e) when (e.InnerExceptions[0] is DataFormatException first)
        {
            throw first;
        }
    }
}
