using System.CommandLine;
using System.Text.Json;
using Amc.Files;
using Amc.Onnx;
using Amc.Quantization;
using Amc.Sessions;
using Spectre.Console;

namespace Amc.Cli.Commands;

/// <summary>
/// `amc quantize`: post-training static int8 quantization (<see cref="QuantizeSession"/>) of a
/// checkpoint or ONNX file into a QDQ ONNX model, with the report beside it: what ran in int8,
/// the calibrated ranges, accuracy before and after in ONNX Runtime and the speed-up measured
/// side by side.
/// </summary>
public static class QuantizeCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint to quantize" };
        var onnx = new Option<string?>("--onnx") { Description = "ONNX model to quantize: one the importer reads is exported as amc deploys it; any other opset-13+ classifier is quantized as its graph stands" };
        var output = new Option<string>("--out") { Description = "int8 ONNX file to write (QDQ form, opset 13); the report goes beside it (.quantization.json)", Required = true };
        var images = new Option<int>("--calibration-images") { Description = "Training images the activation ranges are calibrated on", DefaultValueFactory = _ => new QuantizationSettings().CalibrationImages }
            .In(OptionRange.AtLeast(1));
        var method = new Option<string>("--calibration") { Description = "minmax (never clips what calibration saw) or percentile (clips the outer --percentile tails)", DefaultValueFactory = _ => "minmax" };
        method.AcceptOnlyFromAmong("minmax", "percentile");
        var percentile = new Option<double>("--percentile") { Description = "With --calibration percentile: the upper percentile kept (the lower is 100 minus it)", DefaultValueFactory = _ => new QuantizationSettings().Percentile }
            .In(new OptionRange(50, 100, MinOpen: true));
        var floatNodes = new Option<string[]>("--float") { Description = "Conv/Gemm/MatMul nodes (ONNX node names = layer names) to keep in float", AllowMultipleArgumentsPerToken = true };
        var policy = new Option<string?>("--policy") { Description = "best-policy.json of `amc search --mixed-precision`: the layers of the groups it leaves in float stay float (the policy's widths are not applied: prune first)" };
        var all = new Option<bool>("--quantize-first-last") { Description = "Quantize the first and last layers too (kept in float by default)" };
        var reduceRange = new Option<bool>("--reduce-range") { Description = "7-bit weights, for x86 CPUs without VNNI whose int8 kernels can saturate" };
        var split = new Option<string>("--split") { Description = "Score on test or heldout images", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("test", "heldout");
        var mean = NormalisationOptions.Mean(", for a model that does not record it");
        var std = NormalisationOptions.Std();
        var repeats = new Option<int>("--repeats") { Description = "Timed runs per network and thread count (batch 1)", DefaultValueFactory = _ => 100 }.In(OptionRange.AtLeast(1));
        var cmd = new Command("quantize", "Post-training static int8 quantization to a QDQ ONNX model, with accuracy and measured speed-up")
        {
            checkpoint, onnx, output, images, method, percentile, floatNodes, policy, all, reduceRange, split, repeats, mean, std,
        };
        DataOptions.AddTo(cmd);
        cmd.SetAction(p =>
        {
            CommonOptions.Apply(p);
            if ((p.GetValue(checkpoint) is null) == (p.GetValue(onnx) is null)) throw new UsageException("give exactly one of --checkpoint FILE or --onnx FILE");
            string model = p.GetValue(checkpoint) ?? p.GetValue(onnx)!;
            if (p.GetValue(onnx) is not null && !model.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
                throw new UsageException($"--onnx {model}: the file name must end in .onnx");
            string outPath = p.GetValue(output)!;
            string reportPath = ReportPath(outPath);
            var outputs = CommandOutputs.Of(p);
            outputs.Declare([new("--out", outPath), new("the report (beside --out)", reportPath)],
                [new("--checkpoint", p.GetValue(checkpoint)), new("--onnx", p.GetValue(onnx)), new("--data", p.GetValue(DataOptions.Data)), new("--policy", p.GetValue(policy))]);
            int threads = p.GetValue(CommonOptions.Threads);
            var (m, s) = NormalisationOptions.Read(p, mean, std);
            var settings = new QuantizeSettings
            {
                Model = model,
                Data = DataOptions.Settings(p),
                Mean = m,
                Std = s,
                Quantization = new QuantizationSettings
                {
                    Method = p.GetValue(method) == "percentile" ? CalibrationMethod.Percentile : CalibrationMethod.MinMax,
                    Percentile = p.GetValue(percentile),
                    KeepFirstAndLast = !p.GetValue(all),
                    FloatNodes = p.GetValue(floatNodes) ?? [],
                    ReduceRange = p.GetValue(reduceRange),
                    CalibrationImages = p.GetValue(images),
                },
                Policy = p.GetValue(policy),
                HeldOut = p.GetValue(split) == "heldout",
                Seed = p.GetValue(CommonOptions.Seed),
                Repeats = p.GetValue(repeats),
                TimingThreads = threads > 1 ? [1, threads] : [1],
                Threads = threads,
            };
            var result = QuantizeSession.Run(settings, message => Console.Error.WriteLine(message));
            OnnxFile.Save(result.Quantized, outputs.Stage(outPath));
            var report = Report(result, settings, outPath);
            AtomicFile.WriteAllText(outputs.Stage(reportPath), JsonSerializer.Serialize(report, ResultJson.Options));
            if (p.GetValue(CommonOptions.Json)) Console.WriteLine(JsonSerializer.Serialize(report, ResultJson.Options));
            else Render(result, outPath, reportPath);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Where the report of an int8 model goes: beside it, model.int8.onnx → model.int8.quantization.json.</summary>
    internal static string ReportPath(string model) => Path.ChangeExtension(model, ".quantization.json");

    internal static object Report(QuantizeResult r, QuantizeSettings s, string outPath) => new
    {
        model = s.Model,
        output = outPath,
        calibration = new { method = s.Quantization.Method.ToString().ToLowerInvariant(), percentile = s.Quantization.Method == CalibrationMethod.Percentile ? s.Quantization.Percentile : (double?)null, images = r.CalibrationImages, seed = s.Seed },
        reduceRange = s.Quantization.ReduceRange,
        int8Nodes = r.Plan.Nodes,
        floatNodes = r.Plan.FloatNodes.Select(f => new { node = f.Node, reason = f.Reason }),
        scoredOn = r.ScoredOn,
        images = r.FloatScore.Count,
        @float = new { top1 = r.Labelled ? r.FloatScore.Top1 : (double?)null, top5 = r.Labelled ? r.FloatScore.Top5 : (double?)null, bytes = r.FloatBytes },
        int8 = new
        {
            top1 = r.Labelled ? r.QuantizedScore.Top1 : (double?)null, top5 = r.Labelled ? r.QuantizedScore.Top5 : (double?)null,
            agreement = r.QuantizedScore.Agreement, relativeError = r.QuantizedScore.RelativeError, bytes = r.QuantizedBytes,
        },
        timings = r.Timings.Select(t => new { threads = t.Threads, batch = 1, @float = t.Float, int8 = t.Quantized, speedup = t.Speedup }),
        ranges = r.Ranges.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new { value = kv.Key, min = kv.Value.Min, max = kv.Value.Max }),
    };

    static void Render(QuantizeResult r, string outPath, string reportPath)
    {
        var t = new Table().Border(TableBorder.Rounded)
            .Title($"int8: {r.Plan.Nodes.Count} of {r.Plan.Nodes.Count + r.Plan.FloatNodes.Count} conv/linear layers, {r.CalibrationImages} calibration images, scored on {r.FloatScore.Count} {r.ScoredOn} images");
        t.AddColumns(["network", "top-1", "agreement", "size", .. r.Timings.Select(x => $"ms, {x.Threads} thr.")]);
        string Top1(Amc.Training.Evaluation e) => r.Labelled ? Format.Percent(e.Top1) : "n/a";
        t.AddRow(["float", Top1(r.FloatScore), "", Format.Bytes(r.FloatBytes), .. r.Timings.Select(x => $"{x.Float.Median:F3}")]);
        t.AddRow(["int8", Top1(r.QuantizedScore), Format.Percent(r.QuantizedScore.Agreement ?? 0), Format.Bytes(r.QuantizedBytes),
            .. r.Timings.Select(x => $"{x.Quantized.Median:F3}")]);
        t.AddRow(["speed-up", "", "", "", .. r.Timings.Select(x => $"[bold]{x.Speedup:F2}x[/]")]);
        t.Caption("median of interleaved runs at batch 1; p10-p90 in the report");
        AnsiConsole.Write(t);
        foreach (var (node, reason) in r.Plan.FloatNodes) AnsiConsole.MarkupLine($"float: {Markup.Escape(node)} ({Markup.Escape(reason)})");
        AnsiConsole.MarkupLine($"[green]wrote[/] {Markup.Escape(outPath)} and {Markup.Escape(reportPath)}");
    }
}
