namespace Amc.Data;

/// <summary>
/// How image files become tensors: 1 grayscale channel or 3 RGB channels, and the input size
/// (Width x Height). Both null: no resize; every image must then have the same size, which the
/// data set takes (one stray thumbnail must not shrink the whole set to its size). One of them
/// null: that side is the folder's most common one. With a size, images are resized so their
/// shorter side is <see cref="Resize"/> (default <see cref="ImageTransform.DefaultResize"/>) and
/// centre-cropped, or squashed straight to the size when <see cref="Squash"/> is set.
/// <see cref="Classes"/> is the label order (a class-list file); null: the training folder's
/// sub-folders in ordinal order. <see cref="CacheMegabytes"/> bounds the decoded images kept.
/// </summary>
public sealed record ImageFolderOptions(bool Grayscale = false, int? Width = null, int? Height = null,
    int? Resize = null, bool Squash = false, IReadOnlyList<string>? Classes = null, int CacheMegabytes = ImageFiles.DefaultCacheMegabytes)
{
    /// <summary>True when a size was asked for, so images of other sizes are resized.</summary>
    public bool Resizes => Width is not null || Height is not null;

    /// <summary>
    /// These options completed for a network that was trained on images fed through
    /// <paramref name="stored"/> at <paramref name="input"/>: what was not asked for (a size, a
    /// resize or squash) is taken from how it was trained, so it is fed the same way.
    /// </summary>
    public ImageFolderOptions FedAs(ImageTransform? stored, Graph.TensorShape input)
    {
        var options = this with { Grayscale = input.C == 1 };
        if (stored is { Mode: not ResizeMode.None } && !Resizes) options = options with { Width = input.W, Height = input.H };
        if (!Squash && Resize is null && stored is not null) options = options with { Squash = stored.Mode == ResizeMode.Squash, Resize = stored.Resize };
        return options;
    }
}
