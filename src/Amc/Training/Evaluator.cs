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
        foreach (var (x, y) in batches.Batches)
        {
            using var scope = NewDisposeScope();
            // Each activation released after its last reader: the same logits as a forward pass
            // in a fraction of the memory at 224x224 (docs/BENCHMARKS.md, "Search episode at 224x224").
            Add(tally, model.ForwardReleasing(x, (_, _) => { }), y);
        }
        return tally.Result();
    }

    // Scored on the CPU copy by the same routine as ONNX Runtime's logits, so the engines cannot disagree on ties or NaN.
    static void Add(ScoreTally tally, Tensor logits, Tensor labels) =>
        tally.Add(logits.cpu().data<float>().ToArray(), labels.cpu().data<long>().ToArray());
}
