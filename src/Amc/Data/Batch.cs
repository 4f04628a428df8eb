using Amc.Graph;
using TorchSharp;

namespace Amc.Data;

/// <summary>
/// One batch as plain arrays: Count normalised images in N x C x H x W float32 order and their
/// labels. Plain arrays, not tensors, because a batch is made on the loader's background thread
/// and TorchSharp's dispose scopes are per thread: a tensor created there would escape the
/// consumer's scope.
/// </summary>
public sealed record Batch(float[] Images, long[] Labels, int Count, TensorShape Shape)
{
    /// <summary>
    /// Copies the batch into new tensors (images [N,C,H,W] float32, labels [N] int64) on the
    /// calling thread, so they join that thread's current dispose scope.
    /// </summary>
    public (torch.Tensor Images, torch.Tensor Labels) ToTensors()
        => (torch.tensor(Images, [Count, Shape.C, Shape.H, Shape.W]), torch.tensor(Labels, [Count]));
}
