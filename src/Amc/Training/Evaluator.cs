using Amc.Data;
using Amc.Graph;
using static TorchSharp.torch;
using Amc.Torch;

namespace Amc.Training;

/// <summary>Accuracy of a module on a subset of a data set, in eval mode, without gradients (scored by <see cref="ScoreTally"/>).</summary>
public static class Evaluator
{
    /// <summary>The batch evaluation runs in when the network's activations allow it.</summary>
    public const int MaxBatch = 256;

    /// <summary>
    /// The activations one forward pass may hold: a TorchSharp forward pass keeps every layer's
    /// output of the batch until it ends, which for a 224x224 network is tens of MB per image,
    /// and a larger batch makes evaluation no faster on a CPU.
    /// </summary>
    public const long ActivationBudget = 1L << 30;

    /// <summary>The largest batch up to <see cref="MaxBatch"/> whose activations stay within <see cref="ActivationBudget"/> (at least 1).</summary>
    public static int BatchFor(Network net, bool keepsOutputs = true)
    {
        long perImage = keepsOutputs ? MemoryEstimate.ActivationBytesPerImage(net, training: false) : MemoryEstimate.StreamingBytesPerImage(net);
        return (int)Math.Clamp(ActivationBudget / Math.Max(1, perImage), 1, MaxBatch);
    }

    /// <summary>Streams the images from <paramref name="data"/> (decoded batch by batch), in batches of <see cref="BatchFor"/>.</summary>
    /// <param name="maxBatch">At most this many images at once (a training run's batch, so its evaluations fit where its steps do).</param>
    public static Evaluation Evaluate(GraphModule model, Dataset data, int[] indices, int? maxBatch = null) => Stream(model, null, data, indices, maxBatch);

    /// <summary>Batches larger than <paramref name="maxBatch"/> (default <see cref="BatchFor"/>) are run in slices of it.</summary>
    public static Evaluation Evaluate(GraphModule model, TensorBatches batches, int? maxBatch = null)
    {
        var tally = new ScoreTally();
        model.eval();
        int most = maxBatch ?? BatchFor(model.Network);
        using var _ = no_grad();
        for (int i = 0; i < batches.Batches.Count; i++)
        {
            var (x, y) = batches.Batches[i];
            var reference = batches.ReferenceOf(i);
            int outputs = reference.IsEmpty ? 0 : reference.Length / (int)x.shape[0];
            for (long start = 0; start < x.shape[0]; start += most)
            {
                using var scope = NewDisposeScope();
                long length = Math.Min(most, x.shape[0] - start);
                var (xs, ys) = length == x.shape[0] ? (x, y) : (x.narrow(0, start, length), y.narrow(0, start, length));
                Add(tally, Forward(model, xs), ys, reference.IsEmpty ? default : reference.Slice((int)start * outputs, (int)length * outputs));
            }
        }
        return tally.Result();
    }

    /// <summary>
    /// <paramref name="model"/> against <paramref name="reference"/> (e.g. a pruned network against
    /// its unpruned original) on the same images, batch by batch, so no set of outputs is held:
    /// accuracy on the labels, plus agreement and relative error (<see cref="Evaluation"/>).
    /// </summary>
    public static Evaluation Compare(GraphModule model, GraphModule reference, Dataset data, int[] indices, int? maxBatch = null) => Stream(model, reference, data, indices, maxBatch);

    static Evaluation Stream(GraphModule model, GraphModule? reference, Dataset data, int[] indices, int? maxBatch)
    {
        int batchSize = reference is null ? BatchFor(model.Network) : Math.Min(BatchFor(model.Network), BatchFor(reference.Network));
        if (maxBatch is int most) batchSize = Math.Clamp(most, 1, batchSize);
        var tally = new ScoreTally();
        model.eval();
        reference?.eval();
        using var _ = no_grad();
        foreach (var batch in new BatchLoader(data, indices, batchSize, shuffle: false, augment: false, seed: 0))
        {
            using var scope = NewDisposeScope();
            var (x, y) = batch.ToTensors();
            Add(tally, Forward(model, x), y, reference is null ? default : Outputs(Forward(reference, x)));
        }
        return tally.Result();
    }

    /// <summary>
    /// The outputs of <paramref name="model"/> on each batch, row-major: a reference for
    /// <see cref="TensorBatches.CompareWith"/>. Run in slices of <see cref="BatchFor"/>, as <see cref="Evaluate(GraphModule, TensorBatches, int?)"/> runs them.
    /// </summary>
    public static IReadOnlyList<float[]> Outputs(GraphModule model, TensorBatches batches)
    {
        model.eval();
        int most = BatchFor(model.Network);
        using var _ = no_grad();
        return batches.Batches.Select(b =>
        {
            var rows = new List<float>();
            for (long start = 0; start < b.Images.shape[0]; start += most)
            {
                using var scope = NewDisposeScope();
                rows.AddRange(Outputs(Forward(model, b.Images.narrow(0, start, Math.Min(most, b.Images.shape[0] - start)))));
            }
            return rows.ToArray();
        }).ToList();
    }

    // Each activation released after its last reader: the same logits as a forward pass
    // in a fraction of the memory at 224x224 (docs/BENCHMARKS.md, "Search episode at 224x224").
    static Tensor Forward(GraphModule model, Tensor x) => model.ForwardReleasing(x, (_, _) => { });

    static float[] Outputs(Tensor output) => output.cpu().data<float>().ToArray();

    // Scored on the CPU copy by the same routine as ONNX Runtime's logits, so the engines cannot disagree on ties or NaN.
    static void Add(ScoreTally tally, Tensor logits, Tensor labels, ReadOnlySpan<float> reference = default) =>
        tally.Add(Outputs(logits), labels.cpu().data<long>().ToArray(), reference);
}
