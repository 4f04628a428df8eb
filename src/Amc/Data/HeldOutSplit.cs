using System.Security.Cryptography;

namespace Amc.Data;

/// <summary>
/// A seeded split of the training set into the images training uses and the held-out images the
/// search scores candidates on (AMC's reward set: 5000 training images on CIFAR; the test set
/// stays untouched until the end). Both index lists are ascending; <see cref="Hash"/> identifies
/// the held-out set so results can record which images they were scored on.
/// </summary>
public sealed record HeldOutSplit(int[] Train, int[] HeldOut, int Seed, string Hash)
{
    public const int DefaultHeldOut = 5000;

    /// <summary>The default held-out size: 5000, but never more than 10 % of a small set.</summary>
    public static int DefaultSize(int count) => Math.Min(DefaultHeldOut, count / 10);

    /// <summary>
    /// Splits indices 0..count-1. The same count, seed and size always give the same split
    /// (System.Random with a seed is a fixed algorithm across .NET versions and machines).
    /// </summary>
    public static HeldOutSplit Create(int count, int seed, int? heldOut = null)
    {
        int size = heldOut ?? DefaultSize(count);
        if (count < 2)
            throw new ArgumentOutOfRangeException(nameof(count), count, "need at least 2 images to split");
        if (size < 1 || size >= count)
            throw new ArgumentOutOfRangeException(nameof(heldOut), size, $"held-out size must be in 1..{count - 1}");

        var order = Enumerable.Range(0, count).ToArray();
        var random = new Random(seed);
        // Partial Fisher-Yates: the first `size` slots end up a uniform random sample.
        for (int i = 0; i < size; i++)
        {
            int j = random.Next(i, count);
            (order[i], order[j]) = (order[j], order[i]);
        }
        var held = order[..size];
        Array.Sort(held);
        var isHeld = new bool[count];
        foreach (int i in held)
            isHeld[i] = true;
        var train = Enumerable.Range(0, count).Where(i => !isHeld[i]).ToArray();
        return new HeldOutSplit(train, held, seed, HashOf(held));
    }

    /// <summary>First 12 hex digits of the SHA-256 of the held-out indices as little-endian int32.</summary>
    public static string HashOf(int[] indices)
    {
        var bytes = new byte[indices.Length * 4];
        for (int i = 0; i < indices.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 * i), indices[i]);
        return Convert.ToHexStringLower(SHA256.HashData(bytes))[..12];
    }
}
