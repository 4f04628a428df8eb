using Amc.Graph;

namespace Amc.Data;

/// <summary>
/// An image classification data set held in memory as bytes: image i occupies
/// Pixels[i*C*H*W .. (i+1)*C*H*W) in C x H x W order. Mean and Std (one per channel, on the
/// 0..1 scale) are what normalisation uses; they belong to the training data.
/// </summary>
public sealed record Dataset(string Name, byte[] Pixels, int[] Labels, TensorShape Shape, int Classes, float[] Mean, float[] Std)
{
    public int Count => Labels.Length;
    public int ImageSize => Shape.C * Shape.H * Shape.W;

    /// <summary>Every image's index, for evaluating on the whole set.</summary>
    public int[] AllIndices() => Enumerable.Range(0, Count).ToArray();
}
