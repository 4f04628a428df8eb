namespace Amc.Training;

/// <summary>
/// Top-1, top-5 and cross-entropy over rows of float logits: the one scoring rule of both
/// engines (TorchSharp and ONNX Runtime), so a search scores a network the same on either.
/// A class's rank is the number of logits strictly above the target's plus the equal ones at a
/// lower class index (ties go to the lowest index, as an argmax does): without that rule a network
/// whose logits are all equal (a zeroed classifier) would hit every image. A row holding NaN or
/// Inf has no meaningful ranking, so it is a miss for top-1 and top-5; it is counted, and its loss
/// is ln(classes), that of a uniform guess, so the mean loss stays finite.
/// Given reference outputs (the unpruned network's on the same images) it also measures how far
/// the network is from them: top-1 agreement (the same argmax rule on both rows; a row with NaN or
/// Inf on either side disagrees) and the relative error ||Y - Y0||_F / ||Y0||_F over the whole set. The error is taken
/// over the set, not averaged per image, because a per-image ratio divides by each image's own
/// norm, which can be near zero for one image (a feature map after ReLU) and then dominates the mean.
/// A row with NaN or Inf on either side makes the error undefined, so it is null (<see cref="Evaluation.RelativeError"/>):
/// leaving such rows out would score a network whose every output is NaN as a perfect 0. So is
/// the error against an all-zero reference, unless the outputs are all zero as well.
/// </summary>
internal sealed class ScoreTally
{
    long top1, top5, n, nonFinite, nonFiniteCompared, agree;
    double loss, squaredError, squaredReference;
    bool referenced;

    /// <param name="logits">Row-major [labels.Length, classes].</param>
    /// <param name="reference">Empty, or the reference network's outputs on the same images, shaped as <paramref name="logits"/>.</param>
    public void Add(ReadOnlySpan<float> logits, ReadOnlySpan<long> labels, ReadOnlySpan<float> reference = default)
    {
        if (labels.Length == 0) return;
        if (logits.Length % labels.Length != 0)
            throw new ArgumentException($"{logits.Length} logits do not split into {labels.Length} rows");
        if (!reference.IsEmpty && reference.Length != logits.Length)
            throw new ArgumentException($"{reference.Length} reference outputs for {logits.Length} outputs: the networks' outputs differ in shape");
        if (!reference.IsEmpty) referenced = true;
        int classes = logits.Length / labels.Length;
        for (int i = 0; i < labels.Length; i++)
        {
            var row = logits.Slice(i * classes, classes);
            int label = (int)labels[i];
            if (label < 0 || label >= classes)
                throw new ArgumentException($"label {labels[i]} is outside the network's {classes} classes");
            n++;
            if (!reference.IsEmpty) Compare(row, reference.Slice(i * classes, classes));
            if (!AllFinite(row))
            {
                nonFinite++;
                loss += Math.Log(classes);
                continue;
            }
            float target = row[label];
            int rank = 0;
            double max = double.NegativeInfinity;
            for (int c = 0; c < classes; c++)
            {
                if (row[c] > target || (row[c] == target && c < label)) rank++;
                max = Math.Max(max, row[c]);
            }
            double sum = 0;
            foreach (var v in row) sum += Math.Exp(v - max);
            loss += Math.Log(sum) + max - target;
            if (rank == 0) top1++;
            if (rank < 5) top5++;
        }
    }

    void Compare(ReadOnlySpan<float> row, ReadOnlySpan<float> reference)
    {
        if (!AllFinite(row) || !AllFinite(reference))
        {
            nonFiniteCompared++;
            return;
        }
        if (ArgMax(row) == ArgMax(reference)) agree++;
        for (int c = 0; c < row.Length; c++)
        {
            double d = (double)row[c] - reference[c];
            squaredError += d * d;
            squaredReference += (double)reference[c] * reference[c];
        }
    }

    /// <summary>The first index of the largest value, as an argmax gives it (and the top-1 rule above).</summary>
    static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int c = 1; c < row.Length; c++)
            if (row[c] > row[best]) best = c;
        return best;
    }

    /// <summary>
    /// The relative error: null when any compared output was NaN or Inf, and when the reference is
    /// all zero and the outputs are not (no ratio to give; infinity would not survive JSON either).
    /// </summary>
    double? RelativeError() => nonFiniteCompared > 0 ? null : squaredReference > 0 ? Math.Sqrt(squaredError / squaredReference)
        : squaredError == 0 ? 0 : null;

    static bool AllFinite(ReadOnlySpan<float> row)
    {
        foreach (var v in row)
            if (!float.IsFinite(v)) return false;
        return true;
    }

    public Evaluation Result() => n == 0
        ? new Evaluation(0, 0, 0, 0)
        : new Evaluation((double)top1 / n, (double)top5 / n, (int)n, loss / n, (int)nonFinite,
            referenced ? (double)agree / n : null, referenced ? RelativeError() : null);
}
