using Amc.Graph;
using Amc.Torch;
using Amc.Training;

namespace Amc.Sessions;

/// <summary>
/// The memory estimate of a prune or search (weights, scoring batch, Gram matrices, image tensors)
/// and the fix its refusal names; <see cref="MemoryCheck"/> refuses.
/// </summary>
public static class PruningMemory
{
    /// <summary>The batch prune and search score held-out and test images in.</summary>
    public const int ScoringBatch = 250;

    /// <summary>
    /// The original network scored at the scoring batch (or the slice of it TorchSharp runs at once) with four copies of its weights alive
    /// (checkpoint, original module, candidate weights, candidate module or ONNX session), the Gram
    /// matrices when reconstructing, and the image tensors made up front (calibration, held-out,
    /// and <paramref name="laterImages"/> made later while those are alive: test or confirmation images).
    /// Every forward pass of a prune or search releases each activation after its last reader
    /// (TorchSharp's <see cref="Torch.GraphModule.ForwardReleasing(TorchSharp.torch.Tensor, Action{Layer})"/>,
    /// ONNX Runtime's buffer reuse), so the activations counted are the streaming ones: the input
    /// and the two largest outputs per image.
    /// </summary>
    public static void Ensure(Checkpoint ck, OpenedData data, int calibrationImages, bool reconstruct, string task, long laterImages)
    {
        long images = Math.Min(calibrationImages, data.Split.Train.Length) + data.Split.HeldOut.Length + laterImages;
        // TorchSharp evaluates the scoring batches in slices that fit its activation budget, releasing
        // each activation after its last reader; ONNX Runtime frees its outputs once read.
        int batch = Math.Min(ScoringBatch, Evaluator.BatchFor(ck.Network));
        var estimate = MemoryEstimate.Inference(ck.Network, batch, task, weightCopies: 4, keepsOutputs: false).WithImages(ck.Network, images);
        if (reconstruct) estimate = estimate.WithGrams(ck.Network);
        string fix = estimate.Grams > estimate.Data && estimate.Grams > estimate.Activations
            ? "the least-squares Gram matrices are the largest part: " + (task == "pruning" ? "drop --reconstruct, or " : "") + "use a machine with more memory"
            : estimate.Data > estimate.Activations
                ? "use fewer --calibration-images or a smaller --heldout"
                : "use a smaller network or input, or a machine with more memory";
        Ensure(estimate, fix);
    }

    public static void Ensure(MemoryEstimate estimate, string fix = MemoryCheck.DefaultFix) => MemoryCheck.Ensure(estimate, fix: fix);
}
