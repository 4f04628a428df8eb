using Amc.Graph;
using static TorchSharp.torch;
using Amc.Onnx;
using Amc.Quantization;

namespace Amc.Latency;

/// <summary>One network to time end to end, with the table's prediction for it; with
/// <paramref name="Int8"/>, timed as the int8 network those settings make of it (a mixed-precision policy).</summary>
public sealed record LatencyCandidate(string Name, Network Network, IReadOnlyDictionary<string, Tensor> Weights, double PredictedMs,
    QuantizationSettings? Int8 = null);

/// <summary>
/// End-to-end check of a latency table: each network is exported as deployed (BN folded) and run
/// in ONNX Runtime at batch 1, all interleaved so machine drift hits them alike.
/// </summary>
public static class LatencyCheck
{
    /// <param name="int8">Time each network quantized as `amc quantize` deploys it (<see cref="Int8Export.ForTiming"/>).</param>
    public static IReadOnlyList<LatencyComparison> Measure(IReadOnlyList<LatencyCandidate> candidates, int threads, int warmup = 20, int repeats = 200, bool int8 = false)
    {
        var measured = Time(candidates.Select(c => (c.Network, c.Weights)).ToList(), threads, warmup, repeats, int8, candidates.Select(c => c.Int8).ToList());
        return candidates.Select((c, i) => new LatencyComparison(c.Name, c.PredictedMs, measured[i])).ToList();
    }

    /// <summary>Each network exported as deployed and timed at batch 1, interleaved with the others.</summary>
    /// <param name="quantization">Per network: the settings to time it quantized with, or null (then <paramref name="int8"/> decides).</param>
    public static LatencyStats[] Time(IReadOnlyList<(Network Network, IReadOnlyDictionary<string, Tensor> Weights)> networks, int threads, int warmup, int repeats, bool int8 = false,
        IReadOnlyList<QuantizationSettings?>? quantization = null)
    {
        var models = networks.Select((n, i) => quantization?[i] is not null || int8
            ? Int8Export.ForTiming(n.Network, n.Weights, quantization?[i])
            : OnnxExporter.Export(n.Network, n.Weights)).ToList();
        return Time(models, networks[0].Network.Input, threads, warmup, repeats);
    }

    /// <summary>ONNX models of one input shape timed at batch 1, interleaved, on the same seeded input.</summary>
    public static LatencyStats[] Time(IReadOnlyList<global::Onnx.ModelProto> models, TensorShape input, int threads, int warmup, int repeats, int seed = 0)
    {
        var sessions = new List<OnnxRuntimeSession>();
        try
        {
            var rng = new Random(seed);
            var x = new float[input.Elements];
            for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
            foreach (var model in models) sessions.Add(new OnnxRuntimeSession(model, threads));
            return LatencyMeter.MeasureInterleaved(sessions.Select(s => (Action)(() => s.Run(x, 1))).ToList(), warmup, repeats);
        }
        finally
        {
            foreach (var s in sessions) s.Dispose();
        }
    }
}
