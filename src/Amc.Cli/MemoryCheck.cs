using Amc.Graph;
using Amc.Host;

namespace Amc.Cli;

/// <summary>
/// Refuses a command whose memory estimate exceeds the available memory, before it allocates:
/// one line with the estimate, what is available and what to change, instead of the OS killing
/// the process halfway through.
/// </summary>
public static class MemoryCheck
{
    /// <summary>Evaluator.Evaluate's batch (train, finetune, eval).</summary>
    public const int EvaluationBatch = 256;

    /// <summary>The batch prune and search score held-out and test images in (their TensorBatches).</summary>
    public const int ScoringBatch = Amc.Sessions.PruningMemory.ScoringBatch;

    /// <param name="batchOption">The option that sets the estimate's batch (e.g. --batch-size): the fix then names the largest batch that fits.</param>
    /// <param name="fix">What to change otherwise, e.g. "use fewer --calibration-images".</param>
    public static void Ensure(MemoryEstimate estimate, string? batchOption = null, string? fix = null) =>
        Ensure(estimate, AvailableMemory.Bytes(), batchOption, fix);

    public static void Ensure(MemoryEstimate estimate, long available, string? batchOption = null, string? fix = null)
    {
        if (estimate.Fits(available)) return;
        int largest = estimate.LargestBatch(available);
        string advice = batchOption is not null && largest >= 1 && largest < estimate.Batch
            ? $"use {batchOption} {1 << (31 - int.LeadingZeroCount(largest))} or smaller"
            : fix ?? "use a smaller network or input, or a machine with more memory";
        throw new UsageException($"{estimate.Describe(available)}; {advice}");
    }
}
