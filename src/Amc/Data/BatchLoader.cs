using System.Collections;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using Amc.Graph;

namespace Amc.Data;

/// <summary>
/// Yields batches of a data set's images (the given indices, in order or shuffled), normalised
/// with the data set's Mean/Std and optionally augmented the CIFAR way: zero-pad by 4, random crop
/// back to H x W, random horizontal flip. Batches are made on a background thread a few ahead of
/// the consumer, so training does not wait for data. Image-folder data sets are decoded there, a
/// batch's images in parallel (<c>decodeThreads</c>, default all cores), and augmented the
/// ImageNet way instead: random-resized crop of the file's image, random horizontal flip. Everything random comes from one
/// System.Random seeded with <c>seed</c>; enumerating again repeats the same batches, so a caller
/// wanting a new order per epoch passes seed + epoch.
/// <para>
/// By default a batch is made when the consumer asks for it, on the consumer's thread (its image
/// files decoded in parallel while the consumer waits). Two reasons: on two cores a thread making
/// batches ahead takes the CPU the training step needs (bench/ScalarRace loader: 6,400 steps with
/// it, 8,768 without), and a thread that allocates during TorchSharp's native calls is what frees
/// a Scalar TorchSharp makes inline under the call (docs/RELIABILITY.md; amc's own code keeps its
/// Scalars alive, see Amc.Torch.Scalars, so this is a second line of defence). A consumer that
/// only runs ONNX Runtime passes <c>prefetch</c> &gt; 0 to have batches made on a background
/// thread that many ahead.
/// </para>
/// </summary>
internal sealed class BatchLoader : IEnumerable<Batch>
{
    public const int Padding = 4;

    readonly Dataset data;
    readonly int[] indices;
    readonly int batchSize, seed, prefetch;
    readonly ParallelOptions decoding;
    readonly bool shuffle, augment, flip;
    // (value / 255 - mean[c]) / std[c] for every byte value of every channel: normalising is then
    // one lookup per pixel.
    readonly float[] normalised;

    public BatchLoader(Dataset data, int[] indices, int batchSize, bool shuffle, bool augment, int seed,
        bool flip = true, int prefetch = 0, int? decodeThreads = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(prefetch);
        foreach (int i in indices)
            if ((uint)i >= (uint)data.Count)
                throw new ArgumentOutOfRangeException(nameof(indices), i, $"index outside the {data.Count} images of {data.Name}");
        this.data = data;
        this.indices = indices;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.augment = augment;
        this.seed = seed;
        this.flip = flip;
        this.prefetch = prefetch;
        decoding = new ParallelOptions { MaxDegreeOfParallelism = decodeThreads ?? -1 };
        normalised = new float[data.Shape.C * 256];
        for (int c = 0; c < data.Shape.C; c++)
            for (int v = 0; v < 256; v++)
                normalised[c * 256 + v] = (float)((v / 255.0 - data.Mean[c]) / data.Std[c]);
    }

    public int BatchCount => (indices.Length + batchSize - 1) / batchSize;
    public TensorShape Shape => data.Shape;

    public IEnumerator<Batch> GetEnumerator() => prefetch == 0 ? Batches(CancellationToken.None).GetEnumerator() : new Prefetcher(this);
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Makes every batch of one pass, in order, as they are asked for.</summary>
    IEnumerable<Batch> Batches(CancellationToken stop)
    {
        var random = new Random(seed);
        var order = (int[])indices.Clone();
        if (shuffle)
            for (int i = order.Length - 1; i > 0; i--)
            {
                int j = random.Next(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
        int imageSize = data.ImageSize;
        for (int start = 0; start < order.Length; start += batchSize)
        {
            stop.ThrowIfCancellationRequested();
            int count = Math.Min(batchSize, order.Length - start);
            var images = new float[count * imageSize];
            var labels = new long[count];
            if (data.Files is { } files)
            {
                FromFiles(files, order.AsSpan(start, count), random, images, labels);
                yield return new Batch(images, labels, count, data.Shape);
                continue;
            }
            for (int k = 0; k < count; k++)
            {
                int index = order[start + k];
                labels[k] = data.Labels[index];
                var source = data.Pixels.AsSpan(index * imageSize, imageSize);
                var target = images.AsSpan(k * imageSize, imageSize);
                if (augment)
                {
                    int dy = random.Next(2 * Padding + 1) - Padding;
                    int dx = random.Next(2 * Padding + 1) - Padding;
                    bool mirror = flip && random.Next(2) == 1;
                    Augment(source, target, dy, dx, mirror);
                }
                else
                    Normalise(source, target);
            }
            yield return new Batch(images, labels, count, data.Shape);
        }
    }

    /// <summary>
    /// One batch of image files, decoded in parallel. The random numbers are drawn here, in
    /// order (one seed per image), so the batch does not depend on which thread decodes what.
    /// </summary>
    void FromFiles(ImageFiles files, ReadOnlySpan<int> batch, Random random, float[] images, long[] labels)
    {
        int imageSize = data.ImageSize;
        var picked = batch.ToArray();
        var seeds = augment ? picked.Select(_ => random.Next()).ToArray() : null;
        for (int k = 0; k < picked.Length; k++)
            labels[k] = data.Labels[picked[k]];
        try
        {
            Parallel.For(0, picked.Length, decoding, () => new byte[imageSize], (k, _, buffer) =>
            {
                if (seeds is not null)
                    files.ReadRandomCrop(picked[k], new Random(seeds[k]), flip, buffer);
                else
                    files.Read(picked[k], buffer);
                Normalise(buffer, images.AsSpan(k * imageSize, imageSize));
                return buffer;
            }, _ => { });
        }
        catch (AggregateException e) when (e.InnerExceptions[0] is DataFormatException first)
        {
            ExceptionDispatchInfo.Capture(first).Throw();
        }
    }

    void Normalise(ReadOnlySpan<byte> source, Span<float> target)
    {
        int plane = data.Shape.H * data.Shape.W;
        for (int c = 0; c < data.Shape.C; c++)
        {
            var table = normalised.AsSpan(c * 256, 256);
            for (int p = c * plane, end = p + plane; p < end; p++)
                target[p] = table[source[p]];
        }
    }

    /// <summary>
    /// Output pixel (y, x) is the source pixel (y + dy, x' + dx) with x' = x, or W-1-x when
    /// mirrored (crop, then flip, as torchvision's RandomCrop + RandomHorizontalFlip); outside the
    /// source it is the zero padding, i.e. the normalised value of a black pixel.
    /// </summary>
    void Augment(ReadOnlySpan<byte> source, Span<float> target, int dy, int dx, bool mirror)
    {
        int h = data.Shape.H, w = data.Shape.W, plane = h * w;
        for (int c = 0; c < data.Shape.C; c++)
        {
            var table = normalised.AsSpan(c * 256, 256);
            float padding = table[0];
            var sourcePlane = source.Slice(c * plane, plane);
            var targetPlane = target.Slice(c * plane, plane);
            for (int y = 0; y < h; y++)
            {
                int sy = y + dy;
                var row = targetPlane.Slice(y * w, w);
                if ((uint)sy >= (uint)h)
                {
                    row.Fill(padding);
                    continue;
                }
                var sourceRow = sourcePlane.Slice(sy * w, w);
                for (int x = 0; x < w; x++)
                {
                    int sx = (mirror ? w - 1 - x : x) + dx;
                    row[x] = (uint)sx < (uint)w ? table[sourceRow[sx]] : padding;
                }
            }
        }
    }

    /// <summary>
    /// One pass over the batches made on a background thread. The producer thread never holds a
    /// reference to the prefetcher, so an enumeration abandoned without Dispose is still finalised
    /// and stops its producer.
    /// </summary>
    sealed class Prefetcher : IEnumerator<Batch>
    {
        readonly BlockingCollection<Batch> queue;
        readonly CancellationTokenSource stop = new();
        readonly Thread producer;
        readonly Failure failure = new();
        Batch? current;
        bool disposed;

        public Prefetcher(BatchLoader loader)
        {
            var queue = new BlockingCollection<Batch>(loader.prefetch);
            var token = stop.Token;
            var failure = this.failure;
            this.queue = queue;
            producer = new Thread(() =>
            {
                try
                {
                    foreach (var batch in loader.Batches(token))
                        queue.Add(batch, token);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                }
                catch (Exception e)
                {
                    failure.Error = ExceptionDispatchInfo.Capture(e);
                }
                finally
                {
                    queue.CompleteAdding();
                }
            })
            { IsBackground = true, Name = "BatchLoader" };
            producer.Start();
        }

        public Batch Current => current ?? throw new InvalidOperationException("MoveNext has not returned true");
        object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (queue.TryTake(out current, Timeout.Infinite))
                return true;
            failure.Error?.Throw();
            return false;
        }

        public void Reset() => throw new NotSupportedException("enumerate the loader again instead");

        public void Dispose()
        {
            if (disposed)
                return;
            disposed = true;
            stop.Cancel();
            producer.Join();
            queue.Dispose();
            stop.Dispose();
            GC.SuppressFinalize(this);
        }

        ~Prefetcher() => stop.Cancel();

        sealed class Failure
        {
            public ExceptionDispatchInfo? Error;
        }
    }
}
