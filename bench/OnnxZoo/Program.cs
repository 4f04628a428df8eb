using System.Text;
using System.Text.Json;
using Amc.Graph;
using Amc.Onnx;
using Amc.Latency;
using Amc.Pruning;
using Amc.Torch;
using Onnx;
using static TorchSharp.torch;

// The ONNX import benchmark: every file export_torchvision.py wrote is imported, its MACs set
// against torchvision's published number, its TorchSharp module and its re-export in ONNX Runtime
// run against the original file in ONNX Runtime on the same input, then pruned to half of every prunable group and exported again; the
// opset-13 files are also timed before and after pruning (ONNX Runtime, batch 1, one thread). Writes onnx-zoo.md and onnx-zoo.csv.
//
//   dotnet run -c Release --project bench/OnnxZoo -- /tmp/onnx-zoo bench/results/onnx-zoo
var zoo = args.Length > 0 ? args[0] : "/tmp/onnx-zoo";
var outDir = args.Length > 1 ? args[1] : "bench/results/onnx-zoo";
Directory.CreateDirectory(outDir);
var rows = new List<string[]>();
string[] header = ["model", "opset", "import", "MACs", "published MACs", "MACs / published", "file in ORT vs PyTorch", "TorchSharp vs file", "re-export vs file", "prune 0.5 + export", "MACs after", "ORT ms", "ORT ms pruned", "speed-up"];

foreach (var file in Directory.GetFiles(zoo, "*.onnx").Order())
{
    var stem = Path.GetFileNameWithoutExtension(file);
    var model = stem[..stem.LastIndexOf("-opset", StringComparison.Ordinal)];
    var opset = stem[(stem.LastIndexOf("-opset", StringComparison.Ordinal) + 6)..];
    using var sidecar = JsonDocument.Parse(File.ReadAllText(Path.Combine(zoo, model + ".json")));
    long published = sidecar.RootElement.GetProperty("published_macs").GetInt64();
    var torchLogits = sidecar.RootElement.GetProperty("logits").EnumerateArray().Select(v => v.GetSingle()).ToArray();
    var bytes = File.ReadAllBytes(Path.Combine(zoo, model + ".input.bin"));
    var input = new float[bytes.Length / 4];
    Buffer.BlockCopy(bytes, 0, input, 0, bytes.Length);

    var row = new List<string> { model, opset };
    using var original = OnnxRuntimeSession.FromFile(file, intraOpThreads: 1);
    var reference = original.Run(input, 1);
    string vsTorch = $"{RelativeError(torchLogits, reference):e1}";
    Network net;
    Dictionary<string, Tensor> weights;
    try
    {
        (net, weights) = OnnxImporter.Load(file);
    }
    catch (Exception e) when (e is UnsupportedModelException or InvalidNetworkException)
    {
        var message = e.Message[(e.Message.IndexOf(": ", StringComparison.Ordinal) + 2)..];
        row.Add("refused: " + (message.Length > 150 ? message[..150] + "..." : message));
        row.AddRange(["", $"{published / 1e9:F2} G", "", vsTorch, "", "", "", "", "", "", ""]);
        rows.Add([.. row]);
        Console.WriteLine(string.Join(" | ", row));
        continue;
    }
    long macs = CostModel.Of(net).Macs;
    row.AddRange(["ok", $"{macs / 1e9:F3} G", $"{published / 1e9:F2} G", $"{(double)macs / published:F3}", vsTorch]);

    using (var module = new GraphModule(net))
    {
        module.LoadTensors(weights);
        module.eval();
        using var _ = no_grad();
        using var x = tensor(input, [1, net.Input.C, net.Input.H, net.Input.W]);
        using var y = module.forward(x);
        double error = RelativeError(reference, y.data<float>().ToArray());
        row.Add($"{error:e1}{(error <= 1e-4 ? "" : " (over 1e-4)")}");
    }
    var exported = OnnxExporter.Export(net, weights);
    using (var back = new OnnxRuntimeSession(exported, intraOpThreads: 1))
    {
        double error = RelativeError(reference, back.Run(input, 1));
        row.Add($"{error:e1}{(error <= 1e-4 ? "" : " (over 1e-4)")}");
    }

    string pruneResult, macsAfter = "", ms = "", msPruned = "", speedUp = "";
    ModelProto? pruned = null;
    try
    {
        var graph = ChannelGraph.Build(net);
        // Half of every prunable group as `amc prune --uniform 0.5 --round 1` keeps it (whole groups of a grouped conv).
        var widths = PruningPolicy.Uniform(graph, 0.5).Resolve(graph, 1);
        var half = NetworkPruner.ToWidths(net, graph, weights, widths);
        pruned = OnnxExporter.Export(half.Network, half.Weights);
        using var s = new OnnxRuntimeSession(pruned, intraOpThreads: 1);
        var y = s.Run(input, 1);
        pruneResult = y.All(float.IsFinite) ? $"ok ({graph.Prunable.Count()}/{graph.Groups.Count} groups)" : "non-finite output";
        macsAfter = $"{CostModel.Of(half.Network).Macs / 1e9:F3} G";
    }
    catch (Exception e)
    {
        pruneResult = "failed: " + e.Message;
    }
    if (opset == "13" && pruned is not null)
    {
        // Interleaved, as amc bench times: load from other processes slows both alike.
        using var full = new OnnxRuntimeSession(exported, intraOpThreads: 1);
        using var half = new OnnxRuntimeSession(pruned, intraOpThreads: 1);
        var stats = LatencyMeter.MeasureInterleaved([() => full.Run(input, 1), () => half.Run(input, 1)], warmup: 3, repeats: 20);
        (ms, msPruned, speedUp) = ($"{stats[0].Median:F1}", $"{stats[1].Median:F1}", $"{stats[0].Median / stats[1].Median:F2}x");
    }
    row.AddRange([pruneResult, macsAfter, ms, msPruned, speedUp]);
    rows.Add([.. row]);
    Console.WriteLine(string.Join(" | ", row));
}

var md = new StringBuilder();
md.AppendLine($"| {string.Join(" | ", header)} |");
md.AppendLine($"|{string.Concat(header.Select(_ => "---|"))}");
foreach (var r in rows) md.AppendLine($"| {string.Join(" | ", r.Select(c => c.Replace("|", "/")))} |");
File.WriteAllText(Path.Combine(outDir, "onnx-zoo.md"), md.ToString());
File.WriteAllLines(Path.Combine(outDir, "onnx-zoo.csv"),
    rows.Prepend(header).Select(r => string.Join(",", r.Select(c => "\"" + c.Replace("\"", "\"\"") + "\""))));

// Largest difference relative to the largest reference value: logits of random weights are small
// and near zero in places, where an element-wise relative error says nothing.
static double RelativeError(float[] expected, float[] actual)
{
    double scale = expected.Max(v => Math.Abs((double)v));
    return expected.Zip(actual).Max(p => Math.Abs((double)p.First - p.Second)) / scale;
}
