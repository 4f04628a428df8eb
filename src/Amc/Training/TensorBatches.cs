using Amc.Data;
using static TorchSharp.torch;

namespace Amc.Training;

/// <summary>
/// A fixed set of images turned into tensors once (normalised, no augmentation). The search scores
/// hundreds of candidates on the same held-out images; converting them once saves that work.
/// The tensors live until the list is disposed.
/// </summary>
public sealed class TensorBatches : IDisposable
{
    public IReadOnlyList<(Tensor Images, Tensor Labels)> Batches { get; }
    public int Count { get; }

    public TensorBatches(Dataset data, int[] indices, int batchSize)
    {
        var list = new List<(Tensor, Tensor)>();
        foreach (var batch in new BatchLoader(data, indices, batchSize, shuffle: false, augment: false, seed: 0))
        {
            var (x, y) = batch.ToTensors();
            list.Add((x.DetachFromDisposeScope(), y.DetachFromDisposeScope()));
        }
        Batches = list;
        Count = indices.Length;
    }

    public IReadOnlyList<Tensor> Images => Batches.Select(b => b.Images).ToList();

    /// <summary>
    /// The outputs of a reference network (the unpruned one) on each batch, row-major, which
    /// evaluations compare a network with (<see cref="Evaluation.Agreement"/>,
    /// <see cref="Evaluation.RelativeError"/>); null until <see cref="CompareWith"/>.
    /// </summary>
    public IReadOnlyList<float[]>? Reference { get; private set; }

    /// <summary>Sets the reference outputs, one array per batch (see <see cref="Reference"/>).</summary>
    public void CompareWith(IReadOnlyList<float[]> outputs)
    {
        if (outputs.Count != Batches.Count)
            throw new ArgumentException($"{outputs.Count} reference batches for {Batches.Count} batches");
        Reference = outputs;
    }

    /// <summary>The reference outputs of batch <paramref name="i"/>, or empty without a reference.</summary>
    public ReadOnlySpan<float> ReferenceOf(int i) => Reference is { } r ? r[i] : default;

    public void Dispose()
    {
        foreach (var (x, y) in Batches)
        {
            x.Dispose();
            y.Dispose();
        }
    }
}
