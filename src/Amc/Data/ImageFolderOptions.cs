namespace Amc.Data;

/// <summary>
/// How image files become tensors: 1 grayscale channel or 3 RGB channels, and the size every
/// image is resized to. Both null: no resize; every image must then have the same size, which
/// the data set takes (one stray thumbnail must not shrink the whole set to its size). One of
/// them null: that side is the folder's most common one.
/// </summary>
public sealed record ImageFolderOptions(bool Grayscale = false, int? Width = null, int? Height = null)
{
    /// <summary>True when a size was asked for, so images of other sizes are resized.</summary>
    public bool Resizes => Width is not null || Height is not null;
}
