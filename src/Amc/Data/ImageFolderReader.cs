using Amc.Graph;
using SkiaSharp;
using Amc.Host;

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

    /// <summary>
    /// The most pixels one image may have: 16384 x 16384, a 1 GB decode. A header can claim any
    /// size (a 100000 x 100000 PNG is a few hundred bytes on disk and 40 GB decoded), so it is
    /// checked before anything is decoded.
    /// </summary>
    public const long MaxImagePixels = 16384L * 16384;

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
    /// Reads every image below <paramref name="folder"/>. <paramref name="classNames"/> fixes the
    /// label of each class folder (pass the training folder's names when reading a test folder,
    /// which may lack some classes); by default they are the folder's own class names.
    /// <paramref name="fitTo"/> is the size images are brought to when the options ask for none
    /// (a test folder takes the training images' size); they must still share one size.
    /// Mean and Std are those of these images.
    /// </summary>
    public static Dataset Read(string folder, ImageFolderOptions? options = null, IReadOnlyList<string>? classNames = null,
        (int Width, int Height)? fitTo = null)
    {
        options ??= new ImageFolderOptions();
        if (options.Width is < 1 || options.Height is < 1 || (long)(options.Width ?? 1) * (options.Height ?? 1) > MaxImagePixels)
            throw new ArgumentOutOfRangeException(nameof(options), $"resize to {options.Width}x{options.Height}: each side must be at least 1 and the image at most {MaxImagePixels:N0} pixels");
        var ownClasses = ClassNames(folder);
        classNames ??= ownClasses;
        var labelOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < classNames.Count; i++)
            labelOf[classNames[i]] = i;

        var files = new List<(string Path, int Label)>();
        foreach (var name in ownClasses)
        {
            var classFolder = Path.Combine(folder, name);
            if (!labelOf.TryGetValue(name, out int label))
                throw new DataFormatException(classFolder, "is a class the training folder does not have",
                    "Test and training folders must use the same class folder names");
            var images = Directory.GetFiles(classFolder)
                .Where(f => ImageExtensions.Contains(Path.GetExtension(f)))
                .Order(StringComparer.Ordinal)
                .ToArray();
            if (images.Length == 0)
                throw new DataFormatException(classFolder, "class folder has no images (.png, .jpg, .jpeg, .bmp, .webp)");
            files.AddRange(images.Select(f => (f, label)));
        }

        // Headers only: sizes are known, and absurd ones refused, before any pixel is decoded.
        var sizes = new (int Width, int Height)[files.Count];
        Unwrap(() => Parallel.For(0, files.Count, i => sizes[i] = Header(files[i].Path)));
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
        int imageSize = checked((int)shape.Elements); // at most 3 x MaxImagePixels
        CheckMemory(folder, files.Count, shape);
        var pixels = new byte[(long)files.Count * imageSize];
        Unwrap(() => Parallel.For(0, files.Count, i => ToChannels(files[i].Path, shape, pixels.AsSpan(i * imageSize, imageSize))));
        var labels = files.Select(f => f.Label).ToArray();
        var (mean, std) = ChannelStatistics.Compute(pixels, shape);
        return new Dataset(Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)), pixels, labels, shape,
            classNames.Count, mean, std);
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

    /// <summary>The size an image's header declares, refused when empty or past <see cref="MaxImagePixels"/>.</summary>
    static (int Width, int Height) Header(string path)
    {
        using var codec = SKCodec.Create(path)
            ?? throw new DataFormatException(path, "unreadable image: not a PNG, JPEG, BMP or WebP file, or corrupt");
        int w = codec.Info.Width, h = codec.Info.Height;
        if (w < 1 || h < 1)
            throw new DataFormatException(path, $"declares an empty {w}x{h} image", "The file is corrupt");
        if ((long)w * h > MaxImagePixels)
            throw new DataFormatException(path, $"declares {w}x{h} pixels, more than the {MaxImagePixels:N0} (16384x16384) an image may have; it was not decoded",
                "Remove it, or shrink it before training");
        return (w, h);
    }

    /// <summary>The pixels are one byte array: it must fit in one array and in the available memory.</summary>
    static void CheckMemory(string folder, int images, TensorShape shape)
    {
        long bytes = (long)images * shape.Elements, available = AvailableMemory.Bytes();
        string what = $"holds {images:N0} images of {shape}, {MemoryEstimate.Bytes(bytes)} of pixels";
        if (bytes > Array.MaxLength)
            throw new DataFormatException(folder, $"{what}, more than one array can hold ({MemoryEstimate.Bytes(Array.MaxLength)})", "Resize to a smaller size (--image-size) or use fewer images");
        if (bytes > available)
            throw new DataFormatException(folder, $"{what}, more than the {MemoryEstimate.Bytes(available)} available", "Resize to a smaller size (--image-size) or use fewer images");
    }

    static SKBitmap Decode(string path)
    {
        using var codec = SKCodec.Create(path)
            ?? throw new DataFormatException(path, "unreadable image: not a PNG, JPEG, BMP or WebP file, or corrupt");
        // Unpremultiplied RGBA keeps colour values as stored whatever the source's pixel format
        // (grayscale, palette, RGB), so one conversion below handles every file.
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
        {
            bitmap.Dispose();
            throw new DataFormatException(path, $"unreadable image ({result})", "The file is truncated or corrupt");
        }
        return bitmap;
    }

    static void ToChannels(string path, TensorShape shape, Span<byte> destination)
    {
        var decoded = Decode(path);
        if (decoded.Width != shape.W || decoded.Height != shape.H)
        {
            var resized = decoded.Resize(new SKImageInfo(shape.W, shape.H, SKColorType.Rgba8888, SKAlphaType.Unpremul),
                new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
            decoded.Dispose();
            decoded = resized ?? throw new DataFormatException(path, "could not be resized");
        }
        using (decoded)
        {
            var rgba = decoded.GetPixelSpan();
            int plane = shape.H * shape.W;
            for (int p = 0; p < plane; p++)
            {
                byte r = rgba[4 * p], g = rgba[4 * p + 1], b = rgba[4 * p + 2];
                if (shape.C == 1)
                    destination[p] = (byte)((299 * r + 587 * g + 114 * b + 500) / 1000); // ITU-R BT.601 luma
                else
                {
                    destination[p] = r;
                    destination[plane + p] = g;
                    destination[2 * plane + p] = b;
                }
            }
        }
    }
}
