namespace Amc.Data;

/// <summary>How an image file of any size is brought to the network's H x W input.</summary>
public enum ResizeMode
{
    /// <summary>Images already have the input size and are taken as they are.</summary>
    None,
    /// <summary>Bilinear resize of the shorter side to <see cref="ImageTransform.Resize"/>, then a centred H x W crop (torchvision's Resize + CenterCrop).</summary>
    CenterCrop,
    /// <summary>Bilinear resize straight to H x W, whatever the aspect ratio.</summary>
    Squash,
}

/// <summary>
/// The evaluation transform of an image folder. <see cref="Resize"/> is the shorter side before
/// the crop, for <see cref="ResizeMode.CenterCrop"/> only.
/// </summary>
public sealed record ImageTransform(ResizeMode Mode, int? Resize = null)
{
    public static readonly ImageTransform None = new(ResizeMode.None);

    /// <summary>The standard shorter side for a crop of <paramref name="crop"/>: 256 for 224, the ImageNet ratio.</summary>
    public static int DefaultResize(int crop) => (int)Math.Round(crop * 256.0 / 224, MidpointRounding.AwayFromZero);

    /// <summary>Resize then centre-crop to H x W; the shorter side defaults to <see cref="DefaultResize"/> of the larger input side.</summary>
    public static ImageTransform CenterCrop(int width, int height, int? resize = null)
        => new(ResizeMode.CenterCrop, resize ?? DefaultResize(Math.Max(width, height)));
}
