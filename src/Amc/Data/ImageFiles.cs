using System.Collections.Concurrent;
using Amc.Graph;

namespace Amc.Data;

/// <summary>
/// The images of an image folder as files, decoded when asked for: only the paths stay in memory,
/// plus a bounded cache of images already through the evaluation transform. The cache keeps the
/// first images decoded until it is full and never evicts: batches visit images in a new random
/// order each epoch, where any eviction policy hits as often as the fraction of images held, and
/// keeping is the one that costs nothing. Safe to use from many threads.
/// </summary>
public sealed class ImageFiles
{
    public const int DefaultCacheMegabytes = 512;

    readonly string[] paths;
    readonly ConcurrentDictionary<int, byte[]> cache = new();
    readonly long cacheBytes;
    long cached;

    public ImageFiles(string[] paths, TensorShape shape, ImageTransform transform, int cacheMegabytes = DefaultCacheMegabytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cacheMegabytes);
        this.paths = paths;
        Shape = shape;
        Transform = transform;
        cacheBytes = cacheMegabytes * 1024L * 1024;
    }

    public TensorShape Shape { get; }
    public ImageTransform Transform { get; }
    public int Count => paths.Length;
    public string Path(int index) => paths[index];
    /// <summary>Bytes of decoded images the cache holds now.</summary>
    public long CachedBytes => Interlocked.Read(ref cached);

    /// <summary>Image <paramref name="index"/> through the evaluation transform.</summary>
    public void Read(int index, Span<byte> destination)
    {
        if (cache.TryGetValue(index, out var hit))
        {
            hit.CopyTo(destination);
            return;
        }
        ImageDecoder.Read(paths[index], Transform, Shape, destination);
        int size = destination.Length;
        if (Interlocked.Read(ref cached) + size > cacheBytes)
            return;
        // Reserve, then store; a reservation that overshot (threads racing for the last room) is given back.
        if (Interlocked.Add(ref cached, size) > cacheBytes || !cache.TryAdd(index, destination.ToArray()))
            Interlocked.Add(ref cached, -size);
    }

    /// <summary>Image <paramref name="index"/> through the training transform (random-resized crop, optional flip); never cached.</summary>
    public void ReadRandomCrop(int index, Random random, bool flip, Span<byte> destination)
        => ImageDecoder.ReadRandomCrop(paths[index], Shape, random, flip, destination);
}
