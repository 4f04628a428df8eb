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

    public void Dispose()
    {
        foreach (var (x, y) in Batches)
        {
            x.Dispose();
            y.Dispose();
        }
    }
}
