using System.Text;

/// <summary>The results file: how the numbers were taken, then one table row per workload.</summary>
static class ResultsReport
{
    static readonly string[] Backends = ["TorchSharp", "ONNX Runtime", "PyTorch"];

    public static string Markdown(IReadOnlyList<ResultRow> rows, RunInfo run)
    {
        var md = new StringBuilder();
        md.AppendLine("# Throughput: TorchSharp, ONNX Runtime and PyTorch");
        md.AppendLine();
        if (run.Quick)
            md.AppendLine("> **Quick check run (`--quick`)**: few, short repeats to check the program works. Not a measurement.\n");
        if (run.LoadBefore is double load && load > 0.5)
            md.AppendLine($"> **Busy machine**: the 1-minute load average was {load:F2} before the run started, so other work shared the cores. Re-run on a quiet machine.\n");
        if (run.Configuration != "Release")
            md.AppendLine($"> **{run.Configuration} build**: run with `-c Release`.\n");
        if (run.PyTorch?.Contains("/blas/libblas") == true)
            md.AppendLine("> **PyTorch uses the reference BLAS**: `apt-get install libopenblas0`, or its numbers are far too low.\n");
        md.AppendLine($"- Date: {run.Started:yyyy-MM-dd HH:mm} UTC");
        md.AppendLine($"- Machine: {Machine.Describe()}");
        md.AppendLine($"- 1-minute load average before the run: {(run.LoadBefore is double l ? l.ToString("F2") : "unknown")}");
        md.AppendLine($"- Command (from the repository root): `{run.Command}`");
        md.AppendLine($"- Threads: {run.Threads} (libtorch `set_num_threads`, ONNX Runtime intra-op threads with spinning off as in `OnnxRuntimeSession`, PyTorch `torch.set_num_threads`)");
        md.AppendLine($"- TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}, ONNX Runtime {typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version}, "
            + (run.PyTorch is not null ? $"PyTorch {run.PyTorch}" : $"no PyTorch: {run.NoPyTorchReason}"));
        md.AppendLine($"- Method: each backend warms up for {run.Settings.WarmupSeconds} s, then {run.Settings.Repeats} timed repeats of about {run.Settings.RepeatSeconds} s each, "
            + "taken round-robin across backends so load changes hit all alike. Cells: median images/s (min–max over the repeats). "
            + "A train step is forward, cross-entropy, backward and an SGD step (momentum 0.9, weight decay 5e-4) on one fixed random batch: no data loading. "
            + "Inference is a forward pass in eval mode without gradients. Ratios compare medians.");
        md.AppendLine();
        md.AppendLine("| model | input | workload | TorchSharp | ONNX Runtime | PyTorch | TorchSharp / PyTorch | ONNX Runtime / PyTorch | ONNX Runtime / TorchSharp |");
        md.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            string Cell(string b) => r.Results.TryGetValue(b, out var t) ? t.Cell : "–";
            string Ratio(string a, string b) => r.Results.TryGetValue(a, out var x) && r.Results.TryGetValue(b, out var y) ? $"{x.Median / y.Median:F2}" : "–";
            md.AppendLine($"| {r.Workload.Model} | {r.Workload.Input} | {r.Workload.Name} | {string.Join(" | ", Backends.Select(Cell))} | "
                + $"{Ratio("TorchSharp", "PyTorch")} | {Ratio("ONNX Runtime", "PyTorch")} | {Ratio("ONNX Runtime", "TorchSharp")} |");
        }
        md.AppendLine();
        md.AppendLine("Same network everywhere:");
        md.AppendLine();
        foreach (var g in rows.GroupBy(r => (r.Workload.Model, r.Workload.Input)))
        {
            var r = g.First();
            string pytorch = g.Select(x => x.PyTorchParams).FirstOrDefault(p => p is not null) is long p
                ? p == r.Params ? $"PyTorch has the same {p} parameters" : $"**PyTorch has {p} parameters, ours {r.Params}**"
                : "no PyTorch";
            md.AppendLine($"- {g.Key.Model} {g.Key.Input}: {r.Params} parameters; {pytorch}; ONNX Runtime logits within {r.OnnxMaxDifference:0.0e0} of TorchSharp's (largest |logit| {r.LargestLogit:F2})");
        }
        return md.ToString();
    }
}
