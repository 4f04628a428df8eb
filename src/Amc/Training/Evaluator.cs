using Amc.Data;
using Amc.Runtime;
using static TorchSharp.torch;

namespace Amc.Training;

/// <summary>Accuracy of a module on a subset of a data set, in eval mode, without gradients.</summary>
public static class Evaluator
{
    public static Evaluation Evaluate(GraphModule model, Dataset data, int[] indices, int batchSize = 256)
    {
        var tally = new Tally();
        model.eval();
        using var _ = no_grad();
        foreach (var batch in new BatchLoader(data, indices, batchSize, shuffle: false, augment: false, seed: 0))
        {
            using var scope = NewDisposeScope();
            var (x, y) = batch.ToTensors();
            tally.Add(model.call(x), y);
        }
        return tally.Result();
    }

    public static Evaluation Evaluate(GraphModule model, TensorBatches batches)
    {
        var tally = new Tally();
        model.eval();
        using var _ = no_grad();
        foreach (var (x, y) in batches.Batches)
        {
            using var scope = NewDisposeScope();
            tally.Add(model.call(x), y);
        }
        return tally.Result();
    }

    sealed class Tally
    {
        long top1, top5, n;
        double loss;

        public void Add(Tensor logits, Tensor labels)
        {
            loss += nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).item<float>();
            int k = (int)Math.Min(5, logits.shape[1]);
            var hits = logits.topk(k, dim: 1).indexes.eq(labels.unsqueeze(1));
            top1 += hits[.., 0].sum().item<long>();
            top5 += hits.any(1).sum().item<long>();
            n += labels.shape[0];
        }

        public Evaluation Result() => n == 0 ? new Evaluation(0, 0, 0, 0) : new Evaluation((double)top1 / n, (double)top5 / n, (int)n, loss / n);
    }
}
