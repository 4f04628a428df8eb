using Amc.Graph;
using SkiaSharp;

namespace Amc.Data;

/// <summary>
/// Decodes one image file (PNG, JPEG, BMP, WebP, through SkiaSharp) and writes it as C x H x W
/// bytes: RGB, or grayscale as BT.601 luma. Resizing is bilinear (SkiaSharp's linear filter with
/// linear mipmaps, so a large shrink averages every source pixel instead of skipping most).
/// </summary>
internal static class ImageDecoder
{
    /// <summary>
    /// The most pixels one image may have: 16384 x 16384, a 1 GB decode. A header can claim any
    /// size (a 100000 x 100000 PNG is a few hundred bytes on disk and 40 GB decoded), so it is
    /// checked before anything is decoded.
    /// </summary>
    public const long MaxImagePixels = 16384L * 16384;

    static readonly SKSamplingOptions Bilinear = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    /// <summary>The size an image's header declares, refused when empty or past <see cref="MaxImagePixels"/>.</summary>
    public static (int Width, int Height) Header(string path)
    {
        using var codec = Open(path);
        return Check(path, codec);
    }

    /// <summary>The file through the evaluation transform, into <paramref name="destination"/> (shape.Elements bytes).</summary>
    public static void Read(string path, ImageTransform transform, TensorShape shape, Span<byte> destination)
    {
        using var decoded = Decode(path);
        switch (transform.Mode)
        {
            case ResizeMode.CenterCrop:
                var (w, h) = CropGeometry.ResizedSize(decoded.Width, decoded.Height, transform.Resize!.Value, shape.W, shape.H);
                using (var resized = Resize(path, decoded, w, h))
                    ToChannels(resized, CropGeometry.Center(w, h, shape.W, shape.H), mirror: false, shape, destination);
                break;
            case ResizeMode.Squash when decoded.Width != shape.W || decoded.Height != shape.H:
                using (var resized = Resize(path, decoded, shape.W, shape.H))
                    ToChannels(resized, new CropBox(0, 0, shape.W, shape.H), mirror: false, shape, destination);
                break;
            default:
                if (decoded.Width != shape.W || decoded.Height != shape.H)
                    throw new DataFormatException(path, $"is {decoded.Width}x{decoded.Height} but the data set's images are {shape.W}x{shape.H}",
                        "Give every image one size, or ask for a resize (--image-size)");
                ToChannels(decoded, new CropBox(0, 0, shape.W, shape.H), mirror: false, shape, destination);
                break;
        }
    }

    /// <summary>
    /// The training transform: a random-resized crop (<see cref="CropGeometry.RandomResized"/>)
    /// brought to H x W, mirrored left-right when <paramref name="flip"/> draws so. Every random
    /// number comes from <paramref name="random"/>, box first, then the flip.
    /// </summary>
    public static void ReadRandomCrop(string path, TensorShape shape, Random random, bool flip, Span<byte> destination)
    {
        using var decoded = Decode(path);
        var box = CropGeometry.RandomResized(decoded.Width, decoded.Height, random);
        bool mirror = flip && random.Next(2) == 1;
        using var part = new SKBitmap();
        if (!decoded.ExtractSubset(part, new SKRectI(box.Left, box.Top, box.Left + box.Width, box.Top + box.Height)))
            throw new DataFormatException(path, $"crop {box} could not be taken");
        using var resized = Resize(path, part, shape.W, shape.H);
        ToChannels(resized, new CropBox(0, 0, shape.W, shape.H), mirror, shape, destination);
    }

    static SKCodec Open(string path)
        => SKCodec.Create(path) ?? throw new DataFormatException(path, "unreadable image: not a PNG, JPEG, BMP or WebP file, or corrupt");

    static (int Width, int Height) Check(string path, SKCodec codec)
    {
        int w = codec.Info.Width, h = codec.Info.Height;
        if (w < 1 || h < 1)
            throw new DataFormatException(path, $"declares an empty {w}x{h} image", "The file is corrupt");
        if ((long)w * h > MaxImagePixels)
            throw new DataFormatException(path, $"declares {w}x{h} pixels, more than the {MaxImagePixels:N0} (16384x16384) an image may have; it was not decoded",
                "Remove it, or shrink it before training");
        return (w, h);
    }

    static SKBitmap Decode(string path)
    {
        using var codec = Open(path);
        var (w, h) = Check(path, codec);
        // Unpremultiplied RGBA keeps colour values as stored whatever the source's pixel format
        // (grayscale, palette, RGB), so one conversion below handles every file.
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
        {
            bitmap.Dispose();
            throw new DataFormatException(path, $"unreadable image ({result})", "The file is truncated or corrupt");
        }
        return bitmap;
    }

    static SKBitmap Resize(string path, SKBitmap source, int width, int height)
        => source.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), Bilinear)
            ?? throw new DataFormatException(path, $"could not be resized to {width}x{height}");

    /// <summary>The box of <paramref name="image"/> (its size is shape's H x W) as C x H x W bytes.</summary>
    static void ToChannels(SKBitmap image, CropBox box, bool mirror, TensorShape shape, Span<byte> destination)
    {
        ReadOnlySpan<byte> rgba = image.GetPixelSpan();
        int plane = shape.H * shape.W, stride = image.RowBytes;
        for (int y = 0; y < shape.H; y++)
            for (int x = 0; x < shape.W; x++)
            {
                int sx = box.Left + (mirror ? shape.W - 1 - x : x);
                int s = (box.Top + y) * stride + 4 * sx, p = y * shape.W + x;
                byte r = rgba[s], g = rgba[s + 1], b = rgba[s + 2];
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
