using Amc.Data;
using Amc.Onnx;
using Amc.Torch;
using Amc.Training;

namespace Amc.Sessions;

/// <summary>
/// Accuracy of a module on images of a data set with the chosen engine (amc eval, and the
/// held-out and test evaluations of training). Both stream the images and score with the same
/// rule, so they agree up to float rounding; ONNX Runtime is the faster one here.
/// </summary>
public static class ModelEvaluation
{
    /// <param name="threads">ONNX Runtime threads (TorchSharp uses its own setting); 0 lets ONNX Runtime choose.</param>
    /// <param name="maxBatch">At most this many images at once; by default as many as the evaluator's activation budget allows.</param>
    public static Evaluation Evaluate(GraphModule model, Dataset data, int[] indices, ScoringEngine engine, int threads = 0, int? maxBatch = null) =>
        engine == ScoringEngine.OnnxRuntime
            ? OnnxEvaluator.Evaluate(model, data, indices, threads, maxBatch)
            : Evaluator.Evaluate(model, data, indices, maxBatch);

    /// <summary>
    /// ONNX models of one input run side by side on the same streamed images: each scored on the
    /// labels, and each after the first also against the first's outputs (top-1 agreement and
    /// relative error), so a compressed network is compared with its original on images without labels too.
    /// </summary>
    /// <param name="batch">The batch the memory budget allows one session: the sessions share it, as
    /// each keeps its own ONNX Runtime arena at the size of its largest batch (four sessions at one
    /// session's batch took a 224x224 MobileNetV2's scoring from 1.7 to 5.5 GB peak).</param>
    public static Evaluation[] AgainstFirst(IReadOnlyList<global::Onnx.ModelProto> models, Dataset data, int[] indices, int batch, int threads, Action<string>? progress = null)
    {
        batch = Math.Max(1, batch / models.Count);
        var sessions = new List<OnnxRuntimeSession>();
        try
        {
            foreach (var m in models) sessions.Add(new OnnxRuntimeSession(m, threads));
            var tallies = models.Select(_ => new ScoreTally()).ToArray();
            foreach (var b in PassProgress.Report(new BatchLoader(data, indices, batch, shuffle: false, augment: false, seed: 0, prefetch: 3), b => b.Count, indices.Length, "scoring", progress))
            {
                var reference = sessions[0].Run(b.Images, b.Count);
                tallies[0].Add(reference, b.Labels);
                for (int i = 1; i < sessions.Count; i++) tallies[i].Add(sessions[i].Run(b.Images, b.Count), b.Labels, reference);
            }
            return [.. tallies.Select(t => t.Result())];
        }
        finally
        {
            foreach (var s in sessions) s.Dispose();
        }
    }
}
