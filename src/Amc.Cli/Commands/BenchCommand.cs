using Amc.Sessions;
using Amc.Files;
using System.CommandLine;
using System.Text.Json;
using Amc.Graph;
using Spectre.Console;
using static TorchSharp.torch;
using Amc.Latency;
using Amc.Onnx;
using Amc.Torch;

namespace Amc.Cli.Commands;

/// <summary>
/// `amc bench`: inference latency in ONNX Runtime and TorchSharp (warm-up, repeats, median and
/// spread). With --baseline, both networks are timed interleaved in the same run and the speed-up
/// is the ratio of medians. An ONNX file the importer refuses is still timed by --engine ort,
/// as the file is (its MACs are then unknown).
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint to time" };
        var onnx = new Option<string?>("--onnx") { Description = "ONNX model to time" };
        var baseline = new Option<string?>("--baseline") { Description = "Another checkpoint or .onnx to time side by side (speed-up = baseline / this)" };
        var batch = new Option<int>("--batch") { Description = "Batch size", DefaultValueFactory = _ => 1 }.In(OptionRange.AtLeast(1));
        var repeats = new Option<int>("--repeats") { Description = "Timed runs per network and engine", DefaultValueFactory = _ => 200 }.In(OptionRange.AtLeast(1));
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs first", DefaultValueFactory = _ => 20 }.In(OptionRange.AtLeast(0));
        var engine = new Option<string>("--engine") { Description = "ort, torch or both", DefaultValueFactory = _ => "both" };
        engine.AcceptOnlyFromAmong("ort", "torch", "both");
        var cmd = new Command("bench", "Measure inference latency (ONNX Runtime and TorchSharp)") { checkpoint, onnx, baseline, batch, repeats, warmup, engine };
        cmd.SetAction(p =>
        {
            CommonOptions.Apply(p);
            if ((p.GetValue(checkpoint) is null) == (p.GetValue(onnx) is null)) throw new UsageException("give exactly one of --checkpoint FILE or --onnx FILE");
            int b = p.GetValue(batch), n = p.GetValue(repeats);
            int threads = p.GetValue(CommonOptions.Threads);
            string mode = p.GetValue(engine)!;
            var nets = new List<Timed> { Open(p.GetValue(checkpoint) ?? p.GetValue(onnx)!, mode) };
            if (p.GetValue(baseline) is string other) nets.Add(Open(other, mode));
            if (nets.Count == 2 && nets[0].Input != nets[1].Input) throw new UsageException($"the baseline takes {nets[1].Input} inputs, the network {nets[0].Input}");
            // Each network: its weights, a module or ONNX session, and a forward pass at the batch; the input is also copied to an array.
            foreach (var net in nets.Select(t => t.Net).OfType<Network>())
                MemoryCheck.Ensure(MemoryEstimate.Inference(net, b, "benchmarking", weightCopies: 3, keepsOutputs: mode != "ort").WithInputCopy(net), "--batch");

            var input = nets[0].Input;
            var gen = new TorchSharp.torch.Generator((ulong)p.GetValue(CommonOptions.Seed));
            using var x = randn([b, input.C, input.H, input.W], generator: gen);
            var xs = x.data<float>().ToArray();
            var rows = new List<object>();
            var table = new Table().Border(TableBorder.Rounded).Title($"latency, batch {b}, {threads} thread(s), {n} repeats");
            table.AddColumns("engine", "network", "MACs", "median ms", "p10-p90 ms", "speed-up vs baseline");
            foreach (var eng in new[] { "ort", "torch" }.Where(e => mode == "both" || mode == e))
            {
                var runners = new List<Action>();
                var disposables = new List<IDisposable>();
                foreach (var (_, _, net, weights, file) in nets)
                {
                    if (eng == "ort")
                    {
                        var session = net is null ? Session(file!, threads) : new OnnxRuntimeSession(OnnxExporter.Export(net, weights!), threads);
                        disposables.Add(session);
                        runners.Add(() => session.Run(xs, b));
                    }
                    else
                    {
                        var module = new GraphModule(net!);
                        module.LoadTensors(weights!);
                        module.eval();
                        disposables.Add(module);
                        runners.Add(() => { using var _ = no_grad(); using var s = NewDisposeScope(); module.call(x); });
                    }
                }
                var lat = LatencyMeter.MeasureInterleaved(runners, p.GetValue(warmup), n);
                for (int i = 0; i < nets.Count; i++)
                {
                    double? speedup = nets.Count == 2 && i == 0 ? lat[1].Median / lat[0].Median : null;
                    long? macs = nets[i].Net is { } net ? CostModel.Of(net).Macs : null;
                    rows.Add(new { engine = eng, network = nets[i].Name, role = i == 0 ? "network" : "baseline", macs, latency = lat[i], speedup });
                    table.AddRow(eng, Markup.Escape(nets[i].Name) + (i == 1 ? " (baseline)" : ""), macs is long m ? Format.Count(m) : "n/a", $"{lat[i].Median:F3}", $"{lat[i].P10:F3}-{lat[i].P90:F3}", speedup is double s ? $"{s:F2}x" : "");
                }
                foreach (var d in disposables) d.Dispose();
            }
            if (p.GetValue(CommonOptions.Json)) Console.WriteLine(JsonSerializer.Serialize(new { batch = b, threads, repeats = n, results = rows }, ResultJson.Options));
            else AnsiConsole.Write(table);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>A network to time: its description and weights, or only its ONNX file when the importer refuses it.</summary>
    sealed record Timed(string Name, TensorShape Input, Network? Net, Dictionary<string, Tensor>? Weights, byte[]? File);

    static Timed Open(string path, string engine)
    {
        if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(path)) throw new UsageException($"{path}: file not found");
            try
            {
                var (net, w) = OnnxImporter.Load(path);
                return new(Path.GetFileName(path), net.Input, net, w, null);
            }
            catch (UnsupportedModelException e) when (engine == "ort")
            {
                // ONNX Runtime runs ops the description cannot hold; only TorchSharp needs the import.
                var file = File.ReadAllBytes(path);
                using var probe = Session(file, 1, path);
                Console.Error.WriteLine($"note: {e.Message}; timing the file as it is in ONNX Runtime (MACs unknown)");
                return new(Path.GetFileName(path), new TensorShape(probe.SampleShape[0], probe.SampleShape[1], probe.SampleShape[2]), null, null, file);
            }
        }
        var ck = Checkpoint.Load(path);
        return new(Path.GetFileName(path), ck.Network.Input, ck.Network, ck.Weights, null);
    }

    /// <summary>A session of a file the importer refused; one ONNX Runtime refuses too is bad input.</summary>
    static OnnxRuntimeSession Session(byte[] file, int threads, string path = "the ONNX file")
    {
        try
        {
            return new OnnxRuntimeSession(file, threads);
        }
        catch (Exception e) when (e is ArgumentException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            throw new UsageException($"{path}: ONNX Runtime cannot run it either: {e.Message}");
        }
    }
}
