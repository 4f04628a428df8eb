using System.Globalization;
using System.Text;
using Amc.Latency;

namespace Amc.Reports;

/// <summary>
/// One network along `amc compress`'s way: its top-1 (null on images without labels), its top-1
/// agreement with the original (null for the original), cost and ONNX file size.
/// </summary>
public sealed record CompressionStep(string Network, double? Top1, double? Agreement, long Macs, long Params, long OnnxBytes);

/// <summary>
/// The original, the pruned float network (fine-tuned) and the final one, timed interleaved at
/// batch 1 at one thread count: the speed-up split into what pruning and what int8 gave.
/// </summary>
public sealed record CompressionTiming(int Threads, LatencyStats Original, LatencyStats Pruned, LatencyStats Final)
{
    public double Pruning => Original.Median / Pruned.Median;
    public double Int8 => Pruned.Median / Final.Median;
    public double Total => Original.Median / Final.Median;
}

/// <summary>
/// What `amc compress` did to a network: the joint search's budget, each step's accuracy and
/// cost, the measured speed-ups, and the layers left in int8 and in float. Written as
/// compress.json and, by <see cref="ToMarkdown"/>, report.md.
/// </summary>
/// <param name="Steps">original, pruned (least squares, before fine-tuning), fine-tuned (float), final (int8 where the policy says).</param>
public sealed record CompressionReport(
    string Checkpoint,
    double TargetLatency,
    int Episodes,
    int FinetuneEpochs,
    bool Distilled,
    IReadOnlyList<CompressionStep> Steps,
    IReadOnlyList<CompressionTiming> Timings,
    IReadOnlyList<string> Int8Layers,
    IReadOnlyList<string> FloatLayers,
    string ScoredOn,
    int Images,
    TimeSpan Elapsed)
{
    public string ToMarkdown()
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        var original = Steps[0];
        sb.AppendLine($"# amc compress: {Path.GetFileName(Checkpoint)}").AppendLine();
        sb.AppendLine(string.Format(ci, "Joint search (channels and int8 / float per group) under {0:P0} of the float network's latency, {1} episodes; " +
            "the best policy pruned with least squares, fine-tuned {2} epoch(s){3}, then quantized to int8 where the policy says. This run took {4} (a resumed run counts only its own steps).",
            TargetLatency, Episodes, FinetuneEpochs, Distilled ? " by distillation from the original" : "", Format(Elapsed))).AppendLine();
        sb.AppendLine($"Scored in ONNX Runtime on {Images} {(ScoredOn == "test" ? "test" : "held-out")} images; agreement = top-1 agreement with the original's outputs (no labels needed).").AppendLine();
        sb.AppendLine($"| network | top-1 | against the original | agreement | MACs | params | ONNX file |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var s in Steps)
            sb.AppendLine(string.Format(ci, "| {0} | {1} | {2} | {3} | {4:N0} ({5:F1} %) | {6:N0} ({7:F1} %) | {8:F2} MB |",
                s.Network, s.Top1 is double t ? $"{100 * t:F2} %" : "n/a",
                s == original || s.Top1 is null || original.Top1 is null ? "" : $"{100 * (s.Top1 - original.Top1):+0.00;-0.00} points",
                s.Agreement is double a ? $"{100 * a:F2} %" : "",
                s.Macs, 100.0 * s.Macs / original.Macs, s.Params, 100.0 * s.Params / original.Params, s.OnnxBytes / 1e6));
        sb.AppendLine();
        sb.AppendLine("Latency in ONNX Runtime at batch 1, the three networks timed interleaved (median, p10–p90 in ms):").AppendLine();
        sb.AppendLine("| threads | original | pruned (float) | final | speed-up | from pruning | from int8 |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var t in Timings)
            sb.AppendLine(string.Format(ci, "| {0} | {1} | {2} | {3} | **{4:F2}x** | {5:F2}x | {6:F2}x |",
                t.Threads, Ms(t.Original), Ms(t.Pruned), Ms(t.Final), t.Total, t.Pruning, t.Int8));
        sb.AppendLine();
        sb.AppendLine("The speed-up is the product of the two factors: pruning is the original against the pruned float network, " +
            "int8 the pruned float network against the final one.").AppendLine();
        sb.AppendLine($"Int8 layers ({Int8Layers.Count}): {string.Join(", ", Int8Layers)}").AppendLine();
        sb.AppendLine($"Float layers ({FloatLayers.Count}): {(FloatLayers.Count == 0 ? "none" : string.Join(", ", FloatLayers))}").AppendLine();
        sb.AppendLine("Files: `search/` (the search: summary.md, plots, best-policy.json), `pruned.amc`, `tuned.amc` (float), `tuned.onnx`, " +
            "`model.int8.onnx` (the network to deploy) and its `model.int8.quantization.json`.");
        return sb.ToString();
    }

    static string Ms(LatencyStats s) => string.Format(CultureInfo.InvariantCulture, "{0:F3} ({1:F3}–{2:F3})", s.Median, s.P10, s.P90);

    static string Format(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours} h {t.Minutes} min" : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes} min {t.Seconds} s" : $"{t.TotalSeconds:F0} s";
}
