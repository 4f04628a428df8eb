namespace Amc.Training;

/// <summary>Top-1 and top-5 accuracy (fractions in 0..1) on Count images.</summary>
public sealed record Evaluation(double Top1, double Top5, int Count, double Loss)
{
    public double Error => 1 - Top1;
}
