using Amc.Graph;

namespace Amc.Sessions;

/// <summary>The batch a training run uses, and why, when it is not the one asked for.</summary>
/// <param name="Note">Set when the default batch was lowered to fit: what it would have needed and the limit.</param>
public sealed record BatchChoice(int Batch, string? Note);

/// <summary>
/// The peak memory of a training run, estimated from the network before it allocates and
/// calibrated against measured peaks, and the batch that keeps it within a budget: a batch the
/// user gave is refused (with the batch to use) when it does not fit; the default is lowered to
/// the largest power of two that fits, so `amc train --model resnet50` on 224x224 images runs
/// instead of being killed by the OS.
/// </summary>
public static class TrainingMemory
{
    public const int DefaultBatch = 128;

    /// <summary>The memory a run may take unless a budget is stated (and the free memory allows as much).</summary>
    public const long DefaultBudget = 6L << 30;

    /// <summary>The option that states the budget, named in notes and refusals.</summary>
    public const string BudgetOption = "--max-memory";

    // Peak resident memory of `amc train` on ResNet-50 and MobileNetV2 at 224x224, batches 8 to 64
    // (bench/Memory224, docs/BENCHMARKS.md "Peak memory of every command at 224x224"), fitted as
    // runtime + weights x (4 counted + extra copies) + factor x counted activations; the fit is
    // within a few percent at small batches and above the measurement at large ones. The extra
    // copies are measured, not attributed (checkpoint bytes written each epoch, the evaluation's
    // ONNX export and session, libtorch's own buffers all scale with the weights).
    const double ActivationFactor = 1.1;
    const long RuntimeBytes = 650L << 20;
    const int ExtraWeightCopies = 8;

    // Batches of images in flight in the training loader: the one being trained on and the next,
    // made on the same thread (BatchLoader makes no batches ahead for TorchSharp), each a float
    // array of the batch.
    const int LoaderBatches = 2;

    /// <summary>
    /// The calibrated peak of a training run of <paramref name="net"/> at <paramref name="batch"/>;
    /// with a distillation <paramref name="teacher"/>, plus its weights and the activations of its
    /// forward pass on the same batch (held until the batch is done; not calibrated on its own).
    /// With <paramref name="batchNormImages"/> (BN statistics re-estimated after each epoch), at
    /// least the memory of that pass: the sample's image tensors, and a forward pass in batches of
    /// <see cref="CalibrationSettings.BatchSize"/> that frees outputs as it goes but holds the
    /// input and, around each BN in training mode, up to four tensors of the largest output's size
    /// (the conv output, the normalised copy, the activation and TorchSharp's temporaries; four
    /// matched the peaks measured at batch 8 on MobileNetV2-224, full and pruned). The
    /// calibration was fitted on runs of large batches, where that pass hid under the steps'
    /// activations; at small batches it is the peak (docs/BENCHMARKS.md, "Training memory at
    /// small batches").
    /// </summary>
    public static MemoryEstimate Estimate(Network net, int batch, Network? teacher = null, int batchNormImages = 0)
    {
        long inputBytes = net.Input.Elements * MemoryEstimate.FloatBytes;
        var student = MemoryEstimate.Training(net, batch).Calibrated(ActivationFactor, RuntimeBytes + ExtraWeightCopies * MemoryEstimate.ParameterBytes(net));
        student = student with { ActivationsPerImage = student.ActivationsPerImage + LoaderBatches * inputBytes };
        if (batchNormImages > 0)
        {
            long largest = ShapeInference.Infer(net).Values.Max(s => s.Elements) * MemoryEstimate.FloatBytes;
            long pass = (long)(Math.Min(batchNormImages, CalibrationSettings.BatchSize) * (inputBytes + 4 * largest) * ActivationFactor);
            student = student with { Phase = batchNormImages * inputBytes + pass, PhaseName = "BN re-estimation between epochs" };
        }
        if (teacher is null) return student;
        var forward = MemoryEstimate.Inference(teacher, batch, "distilling from").Calibrated(ActivationFactor, 0);
        return student with { Weights = student.Weights + forward.Weights, ActivationsPerImage = student.ActivationsPerImage + forward.ActivationsPerImage };
    }

    /// <summary>
    /// The batch to train at. <paramref name="requested"/> (the user's --batch-size) is kept when it
    /// fits and refused with the estimate and the batch to use otherwise; without one, the default
    /// is lowered to the largest power of two that fits. A batch is never larger than the training
    /// images, as the trainer's is not.
    /// </summary>
    /// <param name="budget">Bytes the run may take (<see cref="Budget"/>).</param>
    /// <param name="limit">What set the budget, for messages: <see cref="BudgetOption"/>, or null for the free memory.</param>
    /// <param name="teacher">The distillation teacher, whose forward pass shares the memory.</param>
    /// <param name="batchNormImages">Images BN statistics are re-estimated on after each epoch (0: none).</param>
    public static BatchChoice Choose(Network net, int? requested, int trainImages, long budget, string? limit, Network? teacher = null, int batchNormImages = 0)
    {
        int cap = Math.Max(1, trainImages);
        if (requested is int asked)
        {
            MemoryCheck.Ensure(Estimate(net, Math.Min(asked, cap), teacher, batchNormImages), budget, "--batch-size", limit: limit,
                fix: limit is null ? null : $"raise {BudgetOption}, or use a smaller network or input");
            return new BatchChoice(asked, null);
        }
        var full = Estimate(net, Math.Min(DefaultBatch, cap), teacher, batchNormImages);
        if (full.Fits(budget)) return new BatchChoice(DefaultBatch, null);
        int largest = full.LargestBatch(budget);
        if (largest < 1) MemoryCheck.Ensure(Estimate(net, 1, teacher, batchNormImages), budget, limit: limit);
        int batch = MemoryCheck.PowerOfTwoAtMost(largest);
        string bound = limit is null ? $"the {MemoryEstimate.Bytes(budget)} available" : $"the {MemoryEstimate.Bytes(budget)} {limit} allows";
        return new BatchChoice(batch, $"--batch-size {batch}: the default {DefaultBatch} would need about {MemoryEstimate.Bytes(full.Total)}, more than {bound}; give --batch-size (and {BudgetOption}) to choose");
    }

    /// <summary>
    /// The budget and what set it: <paramref name="stated"/> bytes (--max-memory) or <see cref="DefaultBudget"/>,
    /// but no more than <paramref name="available"/>, in which case the limit is the free memory (null).
    /// </summary>
    public static (long Bytes, string? Limit) Budget(long? stated, long available)
    {
        long wanted = stated ?? DefaultBudget;
        return wanted <= available ? (wanted, BudgetOption) : (available, null);
    }
}
