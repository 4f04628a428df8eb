namespace Amc.Data;

/// <summary>A rectangle of an image, in pixels: columns Left..Left+Width, rows Top..Top+Height.</summary>
internal readonly record struct CropBox(int Left, int Top, int Width, int Height);

/// <summary>
/// Where the evaluation and training transforms cut an image, as torchvision computes it, so a
/// model trained or scored elsewhere sees the same pixels: Resize(shorter side) + CenterCrop, and
/// RandomResizedCrop(scale 0.08..1, ratio 3/4..4/3).
/// </summary>
internal static class CropGeometry
{
    public const double MinScale = 0.08, MaxScale = 1.0, MinRatio = 3.0 / 4, MaxRatio = 4.0 / 3;

    /// <summary>
    /// The size a W x H image is resized to so its shorter side is <paramref name="resize"/>
    /// (the longer one truncated, as torchvision does), grown if needed so the crop fits.
    /// </summary>
    public static (int Width, int Height) ResizedSize(int width, int height, int resize, int cropWidth, int cropHeight)
    {
        int w, h;
        if (width <= height)
            (w, h) = (resize, (int)((long)resize * height / width));
        else
            (w, h) = ((int)((long)resize * width / height), resize);
        // A resize shorter than the crop (or a very elongated image) must still cover it.
        if (w < cropWidth || h < cropHeight)
        {
            // The side needing the larger scale gets the crop's size exactly; the other is rounded up (integer arithmetic, no float drift).
            if ((long)cropWidth * height >= (long)cropHeight * width)
                (w, h) = (cropWidth, Math.Max(cropHeight, (int)(((long)height * cropWidth + width - 1) / width)));
            else
                (w, h) = (Math.Max(cropWidth, (int)(((long)width * cropHeight + height - 1) / height)), cropHeight);
        }
        return (w, h);
    }

    /// <summary>The centred crop of an image already resized to W x H (offsets rounded as torchvision's CenterCrop).</summary>
    public static CropBox Center(int width, int height, int cropWidth, int cropHeight)
        => new((int)Math.Round((width - cropWidth) / 2.0, MidpointRounding.ToEven),
            (int)Math.Round((height - cropHeight) / 2.0, MidpointRounding.ToEven), cropWidth, cropHeight);

    /// <summary>
    /// torchvision's RandomResizedCrop box: up to 10 draws of an area fraction in 0.08..1 and a
    /// log-uniform aspect ratio in 3/4..4/3 until the box fits, else the central crop with the
    /// ratio clamped into that range. Every number comes from <paramref name="random"/>.
    /// </summary>
    public static CropBox RandomResized(int width, int height, Random random)
    {
        double area = (double)width * height;
        double logMin = Math.Log(MinRatio), logMax = Math.Log(MaxRatio);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * (MinScale + random.NextDouble() * (MaxScale - MinScale));
            double ratio = Math.Exp(logMin + random.NextDouble() * (logMax - logMin));
            int w = (int)Math.Round(Math.Sqrt(target * ratio)), h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w > 0 && h > 0 && w <= width && h <= height)
                return new CropBox(random.Next(width - w + 1), random.Next(height - h + 1), w, h);
        }
        double inRatio = (double)width / height;
        int cw = width, ch = height;
        if (inRatio < MinRatio)
            ch = (int)Math.Round(width / MinRatio);
        else if (inRatio > MaxRatio)
            cw = (int)Math.Round(height * MaxRatio);
        return new CropBox((width - cw) / 2, (height - ch) / 2, cw, ch);
    }
}
