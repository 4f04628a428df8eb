using System.Collections.Frozen;
using Amc.Graph;
using static TorchSharp.torch;
using Amc.Torch;
using Amc.Training;

namespace Amc.Pruning;

/// <summary>
/// For every layer that reads a prunable group, the Gram matrix [X 1]^T [X 1] (float64) of its
/// input patches, sampled from the ORIGINAL network on calibration images: X rows are im2col
/// patches (C*k*k values) at random spatial positions (AMC's 10 points per image), or whole input
/// vectors for Linear layers. AMC's least-squares target is the original layer's output, which is
/// X W^T, so X^T Y = G W^T and the Gram matrix is all the solver needs. It is collected once and
/// answers the least squares of any kept-channel subset in time independent of the sample count.
/// Read-only once collected (readers must not write into a matrix): concurrent scorers share it.
/// </summary>
public sealed class LayerInputGram
{
    readonly FrozenDictionary<string, Tensor> gram;

    /// <summary>Calibration images seen (a conv's Gram holds pointsPerImage rows per image).</summary>
    public int Images { get; }

    LayerInputGram(Dictionary<string, Tensor> gram, int images)
    {
        this.gram = gram.ToFrozenDictionary();
        Images = images;
    }

    /// <summary>A layer's matrix, to read only.</summary>
    public Tensor this[string layer] => gram[layer];

    public bool Contains(string layer) => gram.ContainsKey(layer);

    const string KeyEntry = "amc.grams.key", ImagesEntry = "amc.grams.images";

    /// <summary>
    /// Writes the matrices (float64 safetensors) for processes that score the same search, e.g. a
    /// distributed search's local workers: reading them takes a second, collecting them minutes
    /// at 224x224. <paramref name="key"/> names what they were collected for (network, images, seed).
    /// </summary>
    public void Save(string path, string key) =>
        SafeTensorsFile.Write(path, gram, new Dictionary<string, string> { [KeyEntry] = key, [ImagesEntry] = Images.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    /// <summary>Reads matrices <see cref="Save"/> wrote for <paramref name="key"/>, holding exactly <paramref name="layers"/>.</summary>
    public static LayerInputGram Load(string path, string key, IEnumerable<string> layers)
    {
        var (tensors, meta) = SafeTensorsFile.Read(path);
        try
        {
            if (!meta.TryGetValue(KeyEntry, out var saved) || saved != key)
                throw new CheckpointException($"{path}: Gram matrices of another search (key {saved ?? "missing"}, this search's {key})");
            if (!meta.TryGetValue(ImagesEntry, out var text) || !int.TryParse(text, out int images) || images <= 0)
                throw new CheckpointException($"{path}: the Gram matrices' image count is missing or not a positive number");
            var expected = layers.ToHashSet();
            if (!expected.SetEquals(tensors.Keys))
                throw new CheckpointException($"{path}: holds the Gram matrices of layers [{string.Join(", ", tensors.Keys.Order())}], the network needs [{string.Join(", ", expected.Order())}]");
            foreach (var (name, g) in tensors)
                if (g.dtype != ScalarType.Float64 || g.dim() != 2 || g.shape[0] != g.shape[1])
                    throw new CheckpointException($"{path}: the Gram matrix of {name} is not a square float64 matrix");
            return new LayerInputGram(tensors, images);
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>Layers worth collecting: consumers of prunable groups (their inputs can lose channels).</summary>
    public static IEnumerable<string> ReconstructableLayers(ChannelGraph graph) =>
        graph.Prunable.SelectMany(g => g.Consumers).Distinct();

    public static LayerInputGram Collect(GraphModule original, IEnumerable<Tensor> batches, IEnumerable<string> layers, int pointsPerImage, int seed)
    {
        var net = original.Network;
        var names = layers.ToHashSet();
        var result = new Dictionary<string, Tensor>();
        var rng = new Random(seed);
        int images = 0;
        original.eval();
        // ForwardAll holds every layer's output of the batch: a 224x224 network runs a calibration
        // batch in slices that keep them within the evaluation's activation budget.
        int most = Evaluator.BatchFor(net);
        using (no_grad())
        {
            foreach (var x in batches.SelectMany(b => Slices(b, most)))
            {
                using var scope = NewDisposeScope();
                // Layer by layer, each activation released after its last reader (in layer order, so
                // the random patch positions are drawn as before): at 224x224 keeping every
                // activation of a batch took most of a search's memory.
                using var output = original.ForwardReleasing(x, (l, values) =>
                {
                    if (!names.Contains(l.Name)) return;
                    using var layerScope = NewDisposeScope();
                    var patches = Patches(l, values[l.Inputs[0]], pointsPerImage, rng);
                    var column = ones(patches.shape[0], 1, dtype: ScalarType.Float64);
                    var aug = cat([patches.to_type(ScalarType.Float64), column], 1);
                    var g = aug.t().matmul(aug);
                    if (result.TryGetValue(l.Name, out var acc)) acc.PlusInPlace(g);
                    // Detached, not moved to the caller's scope: the matrices are a cache that
                    // outlives whatever scope the first prune (e.g. a search step) ran in.
                    else result[l.Name] = g.DetachFromDisposeScope();
                });
                images += (int)x.shape[0];
            }
        }
        return new LayerInputGram(result, images);
    }

    /// <summary>The batch itself when it is at most <paramref name="most"/> images, else views of consecutive slices of it.</summary>
    static IEnumerable<Tensor> Slices(Tensor batch, int most)
    {
        if (batch.shape[0] <= most)
        {
            yield return batch;
            yield break;
        }
        for (long start = 0; start < batch.shape[0]; start += most)
            yield return batch.narrow(0, start, Math.Min(most, batch.shape[0] - start));
    }

    /// <summary>[rows, features] samples of a layer's input, as its weight sees them (im2col order c, kh, kw).</summary>
    static Tensor Patches(Layer l, Tensor input, int points, Random rng)
    {
        if (l.Kind == LayerKind.Linear) return input;
        var cols = nn.functional.unfold(input, (l.KernelSize, l.KernelWidth), (l.DilationValue, l.DilationValue),
            (l.PaddingValue, l.PaddingWidth), (l.StrideValue, l.StrideValue)); // [N, C*kh*kw, L]
        long n = cols.shape[0], d = cols.shape[1], positions = cols.shape[2];
        int take = (int)Math.Min(points, positions);
        var idx = new long[n * take];
        for (long i = 0; i < n; i++)
            for (int j = 0; j < take; j++) idx[i * take + j] = rng.NextInt64(positions);
        var index = tensor(idx, [n, 1, take]).expand(n, d, take);
        return cols.gather(2, index).permute(0, 2, 1).reshape(n * take, d);
    }
}
