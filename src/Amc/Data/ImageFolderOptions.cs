namespace Amc.Data;

/// <summary>
/// How image files become tensors: 1 grayscale channel or 3 RGB channels, and the size every
/// image is resized to (both null: the size of the first image, so a folder of equal-sized
/// images is read as it is).
/// </summary>
public sealed record ImageFolderOptions(bool Grayscale = false, int? Width = null, int? Height = null);
