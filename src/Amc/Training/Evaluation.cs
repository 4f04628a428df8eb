namespace Amc.Training;

/// <summary>Top-1 and top-5 accuracy (fractions in 0..1) on Count images.</summary>
/// <param name="NonFinite">Images whose logits held NaN or Inf: each is a miss (see <see cref="ScoreTally"/>),
/// and a network with any is broken however its accuracy reads.</param>
/// <param name="Agreement">With reference outputs (those of the unpruned network): the fraction of images
/// whose top-1 class is the reference's top-1 class. Null without a reference.</param>
/// <param name="RelativeError">With reference outputs: ||Y - Y0||_F / ||Y0||_F over the whole image set
/// (<see cref="ScoreTally"/>). Null without a reference, and null when any output was NaN or Inf
/// (<see cref="NonFinite"/> images): the error is then undefined, not the error of the finite rows;
/// null too when the reference outputs are all zero and these are not.</param>
public sealed record Evaluation(double Top1, double Top5, int Count, double Loss, int NonFinite = 0,
    double? Agreement = null, double? RelativeError = null)
{
    public double Error => 1 - Top1;

    /// <summary>The relative error as a person reads it: four decimals, or why it is undefined.</summary>
    public string DescribeRelativeError() => RelativeError is double e ? e.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)
        : NonFinite > 0 ? "undefined (NaN or Inf outputs)" : "undefined (the reference outputs hold NaN or Inf, or are all zero)";
}
