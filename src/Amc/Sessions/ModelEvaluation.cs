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
}
