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
    /// Mean and Std are those of these images.
    /// </summary>
    public static Dataset Read(string folder, ImageFolderOptions? options = null, IReadOnlyList<string>? classNames = null)
    {
        options ??= new ImageFolderOptions();
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

        int width = options.Width ?? 0, height = options.Height ?? 0;
        if (width <= 0 || height <= 0)
        {
            var first = Decode(files[0].Path);
            using (first)
            {
                if (width <= 0) width = first.Width;
                if (height <= 0) height = first.Height;
            }
        }
        var shape = new TensorShape(options.Grayscale ? 1 : 3, height, width);
        int imageSize = shape.C * height * width;
        var pixels = new byte[(long)files.Count * imageSize];
        try
        {
            Parallel.For(0, files.Count, i => ToChannels(files[i].Path, shape, pixels.AsSpan(i * imageSize, imageSize)));
        }
        catch (AggregateException e) when (e.InnerExceptions[0] is DataFormatException first)
        {
            throw first;
        }
        var labels = files.Select(f => f.Label).ToArray();
        var (mean, std) = ChannelStatistics.Compute(pixels, shape);
        return new Dataset(Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)), pixels, labels, shape,
            classNames.Count, mean, std);
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
