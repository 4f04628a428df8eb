namespace Amc.Data;

/// <summary>
/// The images of its data a checkpoint never trained on, recorded as the held-out split that left
/// them out: the training set's size, the split seed, the held-out count and its hash. Splits of one
/// size and seed nest (<see cref="HeldOutSplit.Create"/> takes a prefix of one seeded shuffle), so a
/// search that scores on a smaller held-out set with that seed scores on images the network never
/// saw, and the rest of this set is where its top policies can be confirmed.
/// </summary>
public sealed record HeldOutImages(int Images, int Seed, int Size, string Hash)
{
    public static HeldOutImages Of(HeldOutSplit split, int images) => new(images, split.Seed, split.HeldOut.Length, split.Hash);

    /// <summary>The held-out indices in a training set of <paramref name="images"/> images; null when it is other data than the record's (another size, or a split that does not reproduce).</summary>
    public int[]? Indices(int images)
    {
        if (images != Images || Size < 1 || Size >= images) return null;
        var split = HeldOutSplit.Create(images, Seed, Size);
        return split.Hash == Hash ? split.HeldOut : null;
    }
}
