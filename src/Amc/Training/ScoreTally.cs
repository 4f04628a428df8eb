namespace Amc.Training;

/// <summary>
/// Top-1, top-5 and cross-entropy over rows of float logits: the one scoring rule of both
/// engines (TorchSharp and ONNX Runtime), so a search scores a network the same on either.
/// A class's rank is the number of logits strictly above the target's plus the equal ones at a
/// lower class index (ties go to the lowest index, as an argmax does): without that rule a network
/// whose logits are all equal (a zeroed classifier) would hit every image. A row holding NaN or
/// Inf has no meaningful ranking, so it is a miss for top-1 and top-5; it is counted, and its loss
/// is ln(classes), that of a uniform guess, so the mean loss stays finite.
/// </summary>
internal sealed class ScoreTally
{
    long top1, top5, n, nonFinite;
    double loss;

    /// <param name="logits">Row-major [labels.Length, classes].</param>
    public void Add(ReadOnlySpan<float> logits, ReadOnlySpan<long> labels)
    {
        if (labels.Length == 0) return;
        if (logits.Length % labels.Length != 0)
            throw new ArgumentException($"{logits.Length} logits do not split into {labels.Length} rows");
        int classes = logits.Length / labels.Length;
        for (int i = 0; i < labels.Length; i++)
        {
            var row = logits.Slice(i * classes, classes);
            int label = (int)labels[i];
            if (label < 0 || label >= classes)
                throw new ArgumentException($"label {labels[i]} is outside the network's {classes} classes");
            n++;
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

    static bool AllFinite(ReadOnlySpan<float> row)
    {
        foreach (var v in row)
            if (!float.IsFinite(v)) return false;
        return true;
    }

    public Evaluation Result() => n == 0
        ? new Evaluation(0, 0, 0, 0)
        : new Evaluation((double)top1 / n, (double)top5 / n, (int)n, loss / n, (int)nonFinite);
}
