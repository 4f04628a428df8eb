using Amc.Data;
using Amc.Graph;
using Amc.Torch;
using Amc.Training;
using static TorchSharp.torch;

namespace Amc.Onnx;

/// <summary>
/// Accuracy of a network run by ONNX Runtime instead of TorchSharp: exports it in memory, opens a
/// session and scores the same batches. For small CNNs ORT is faster than TorchSharp here
/// (docs/BENCHMARKS.md, "Training and inference throughput" and
/// "Measurements behind design choices"), which more than pays for the export and session creation when a search scores thousands of images.
/// Scored by <see cref="ScoreTally"/>, as the TorchSharp evaluator is.
/// </summary>
public sealed class OnnxEvaluator(TensorBatches batches)
{
    readonly List<(float[] Images, long[] Labels, int Count, float[]? Reference)> arrays =
        batches.Batches.Select((b, i) => (b.Images.data<float>().ToArray(), b.Labels.data<long>().ToArray(), (int)b.Labels.shape[0], batches.Reference?[i])).ToList();

    public Evaluation Evaluate(Network net, IReadOnlyDictionary<string, Tensor> weights, int threads) => Evaluate(net, weights, threads, out _);

    /// <param name="exportSeconds">Of the call's time, the export and session creation.</param>
    public Evaluation Evaluate(Network net, IReadOnlyDictionary<string, Tensor> weights, int threads, out double exportSeconds)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var model = OnnxExporter.Export(net, weights);
        exportSeconds = clock.Elapsed.TotalSeconds;
        return Evaluate(model, threads);
    }

    /// <summary>An ONNX model as it is (e.g. an int8 one) on the batches.</summary>
    public Evaluation Evaluate(global::Onnx.ModelProto model, int threads)
    {
        using var session = new OnnxRuntimeSession(model, threads);
        var tally = new ScoreTally();
        foreach (var (images, labels, count, reference) in arrays)
            tally.Add(session.Run(images, count), labels, reference);
        return tally.Result();
    }

    /// <summary>The network's outputs on each batch, row-major: a reference for <see cref="TensorBatches.CompareWith"/>.</summary>
    public IReadOnlyList<float[]> Outputs(Network net, IReadOnlyDictionary<string, Tensor> weights, int threads)
    {
        using var session = new OnnxRuntimeSession(OnnxExporter.Export(net, weights), threads);
        return arrays.Select(a => session.Run(a.Images, a.Count)).ToList();
    }

    /// <summary>
    /// The module's current weights (BN statistics included) exported in memory and run on the
    /// images streamed from <paramref name="data"/>: one decoded batch at a time, so the memory does
    /// not grow with the number of images. ONNX Runtime frees each output once read, so its batch
    /// is sized by <see cref="MemoryEstimate.StreamingBytesPerImage"/>.
    /// </summary>
    /// <param name="threads">ONNX Runtime threads; 0 lets it choose (one per core).</param>
    public static Evaluation Evaluate(GraphModule model, Dataset data, int[] indices, int threads, int? maxBatch = null)
    {
        using var session = new OnnxRuntimeSession(OnnxExporter.Export(model.Network, model.Tensors()), threads);
        var tally = new ScoreTally();
        int batchSize = Evaluator.BatchFor(model.Network, keepsOutputs: false);
        if (maxBatch is int most) batchSize = Math.Clamp(most, 1, batchSize);
        // Only ONNX Runtime runs here, so decoding can go on beside it (see BatchLoader on TorchSharp).
        foreach (var batch in new BatchLoader(data, indices, batchSize, shuffle: false, augment: false, seed: 0, prefetch: 3))
            tally.Add(session.Run(batch.Images, batch.Count), batch.Labels);
        // Each batch is a large-object-heap array (150 MB at 250 images of 224x224) that the GC
        // leaves in place until its budget runs out: over the passes at a search's end (the
        // original, three baselines, the best) they held 1.4 GB of the peak.
        GC.Collect();
        return tally.Result();
    }
}
