namespace Amc.Training;

/// <summary>Top-1 and top-5 accuracy (fractions in 0..1) on Count images.</summary>
/// <param name="NonFinite">Images whose logits held NaN or Inf: each is a miss (see <see cref="ScoreTally"/>),
/// and a network with any is broken however its accuracy reads.</param>
public sealed record Evaluation(double Top1, double Top5, int Count, double Loss, int NonFinite = 0)
{
    public double Error => 1 - Top1;
}
