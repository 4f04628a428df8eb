namespace Amc.Pruning;

/// <summary>How a keep-ratio policy becomes a pruned network.</summary>
/// <param name="Round">Kept channels are rounded up to a multiple of this (1 = no rounding).</param>
/// <param name="Reconstruct">Refit consumer weights by least squares (AMC).</param>
/// <param name="RecalibrateBatchNorm">Re-estimate BN statistics on calibration images.</param>
/// <param name="Ridge">Relative ridge of the least squares (times the mean diagonal of the Gram matrix).</param>
public sealed record PruneOptions(
    int Round = 8,
    SelectionCriterion Criterion = SelectionCriterion.L1,
    bool Reconstruct = true,
    bool RecalibrateBatchNorm = true,
    double Ridge = 1e-4,
    int Seed = 0);
