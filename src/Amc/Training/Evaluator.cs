using Amc.Data;
using static TorchSharp.torch;
using Amc.Torch;

namespace Amc.Training;

/// <summary>Accuracy of a module on a subset of a data set, in eval mode, without gradients (scored by <see cref="ScoreTally"/>).</summary>
public static class Evaluator
{
    public static Evaluation Evaluate(GraphModule model, Dataset data, int[] indices, int batchSize = 256)
    {
        var tally = new ScoreTally();
        model.eval();
        using var _ = no_grad();
        foreach (var batch in new BatchLoader(data, indices, batchSize, shuffle: false, augment: false, seed: 0))
        {
            using var scope = NewDisposeScope();
            var (x, y) = batch.ToTensors();
            Add(tally, model.ForwardReleasing(x, (_, _) => { }), y);
        }
        return tally.Result();
    }

    public static Evaluation Evaluate(GraphModule model, TensorBatches batches)
    {
        var tally = new ScoreTally();
        model.eval();
        using var _ = no_grad();
        for (int i = 0; i < batches.Batches.Count; i++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = batches.Batches[i];
            // Each activation released after its last reader: the same logits as a forward pass
            // in a fraction of the memory at 224x224 (docs/BENCHMARKS.md, "Search episode at 224x224").
            Add(tally, model.ForwardReleasing(x, (_, _) => { }), y, batches.ReferenceOf(i));
        }
        return tally.Result();
    }

    /// <summary>
    /// <paramref name="model"/> against <paramref name="reference"/> (e.g. a pruned network against
    /// its unpruned original) on the same images, batch by batch, so no set of outputs is held:
    /// accuracy on the labels, plus agreement and relative error (<see cref="Evaluation"/>).
    /// </summary>
    public static Evaluation Compare(GraphModule model, GraphModule reference, Dataset data, int[] indices, int batchSize = 256)
    {
        var tally = new ScoreTally();
        model.eval();
        reference.eval();
        using var _ = no_grad();
        foreach (var batch in new BatchLoader(data, indices, batchSize, shuffle: false, augment: false, seed: 0))
        {
            using var scope = NewDisposeScope();
            var (x, y) = batch.ToTensors();
            Add(tally, model.call(x), y, Outputs(reference.call(x)));
        }
        return tally.Result();
    }

    /// <summary>The outputs of <paramref name="model"/> on each batch, row-major: a reference for <see cref="TensorBatches.CompareWith"/>.</summary>
    public static IReadOnlyList<float[]> Outputs(GraphModule model, TensorBatches batches)
    {
        model.eval();
        using var _ = no_grad();
        return batches.Batches.Select(b =>
        {
            using var scope = NewDisposeScope();
            return Outputs(model.call(b.Images));
        }).ToList();
    }

    static float[] Outputs(Tensor output) => output.cpu().data<float>().ToArray();

    // Scored on the CPU copy by the same routine as ONNX Runtime's logits, so the engines cannot disagree on ties or NaN.
    static void Add(ScoreTally tally, Tensor logits, Tensor labels, ReadOnlySpan<float> reference = default) =>
        tally.Add(Outputs(logits), labels.cpu().data<long>().ToArray(), reference);
}
