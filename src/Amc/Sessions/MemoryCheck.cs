using Amc.Graph;
using Amc.Host;
using Amc.Training;

namespace Amc.Sessions;

/// <summary>
/// Refuses a job whose memory estimate exceeds the available memory (or a stated limit), before
/// it allocates: one message with the estimate, what is available and what to change, instead of
/// the OS killing the process halfway through. The one refusal of every command and session.
/// </summary>
public static class MemoryCheck
{
    public const string DefaultFix = "use a smaller network or input, or a machine with more memory";

    /// <param name="batchOption">The option that sets the estimate's batch (e.g. --batch-size): the fix then names the largest batch that fits.</param>
    /// <param name="fix">What to change otherwise, e.g. "use fewer --calibration-images".</param>
    public static void Ensure(MemoryEstimate estimate, string? batchOption = null, string? fix = null) =>
        Ensure(estimate, AvailableMemory.Bytes(), batchOption, fix);

    /// <param name="limit">What set <paramref name="available"/> when it is a stated budget rather than the free memory (e.g. "--max-memory").</param>
    public static void Ensure(MemoryEstimate estimate, long available, string? batchOption = null, string? fix = null, string? limit = null)
    {
        if (estimate.Fits(available)) return;
        int largest = estimate.LargestBatch(available);
        string advice = batchOption is not null && largest >= 1 && largest < estimate.Batch
            ? $"use {batchOption} {PowerOfTwoAtMost(largest)} or smaller"
            : fix ?? DefaultFix;
        throw new SettingsException($"{estimate.Describe(available, limit)}; {advice}");
    }

    /// <summary>The largest power of two not above <paramref name="n"/> (n at least 1): the batch sizes advice and automatic choices name.</summary>
    public static int PowerOfTwoAtMost(int n) => 1 << (31 - int.LeadingZeroCount(n));

    /// <summary>
    /// Evaluating a checkpoint with <paramref name="engine"/> at the batch it runs in: the checkpoint
    /// and module, plus the ONNX bytes and session for ONNX Runtime, which frees outputs as it goes.
    /// </summary>
    public static MemoryEstimate Evaluation(Network net, ScoringEngine engine) => engine == ScoringEngine.OnnxRuntime
        ? MemoryEstimate.Inference(net, Evaluator.BatchFor(net, keepsOutputs: false), "evaluating", weightCopies: 4, keepsOutputs: false)
        : MemoryEstimate.Inference(net, Evaluator.BatchFor(net), "evaluating", weightCopies: 2);
}
