using Amc.Graph;

namespace Amc.Data;

/// <summary>
/// An image classification data set: held in memory as bytes (IDX, CIFAR: image i occupies
/// Pixels[i*C*H*W .. (i+1)*C*H*W) in C x H x W order), or, for image folders, as files decoded
/// on demand (<see cref="Files"/>; Pixels is then empty). Mean and Std (one per channel, on the
/// 0..1 scale) are what normalisation uses; they belong to the training data. A folder of images
/// without class sub-folders has no labels (<see cref="HasLabels"/> false): its Labels are all 0, a
/// placeholder for batching, and only scores against a reference network (agreement, relative
/// error) and distillation mean anything on it.
/// </summary>
public sealed record Dataset(string Name, byte[] Pixels, int[] Labels, TensorShape Shape, int Classes, float[] Mean, float[] Std,
    ImageFiles? Files = null, bool HasLabels = true)
{
    /// <summary>How image files are brought to Shape; null for formats that fix the size.</summary>
    public ImageTransform? Transform => Files?.Transform;

    /// <summary>Image <paramref name="index"/> as C x H x W bytes (decoded and transformed for files).</summary>
    public void CopyImage(int index, Span<byte> target)
    {
        if (Files is { } files)
            files.Read(index, target);
        else
            Pixels.AsSpan(index * ImageSize, ImageSize).CopyTo(target);
    }

    /// <summary>Image <paramref name="index"/> as a new array.</summary>
    public byte[] Image(int index)
    {
        var image = new byte[ImageSize];
        CopyImage(index, image);
        return image;
    }

    public int Count => Labels.Length;
    public int ImageSize => Shape.C * Shape.H * Shape.W;

    /// <summary>Every image's index, for evaluating on the whole set.</summary>
    public int[] AllIndices() => Enumerable.Range(0, Count).ToArray();
}
