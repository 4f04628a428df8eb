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
        var sessions = new List<OnnxRuntimeSession>();
        try
        {
            var runs = new List<Action>();
            for (int n = 0; n < networks.Count; n++)
            {
                var (network, weights) = networks[n];
                var settings = quantization?[n];
                var model = settings is not null || int8 ? Int8Export.ForTiming(network, weights, settings) : OnnxExporter.Export(network, weights);
                var session = new OnnxRuntimeSession(model, threads);
                sessions.Add(session);
                var rng = new Random(0);
                var x = new float[network.Input.C * network.Input.H * network.Input.W];
                for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
                runs.Add(() => session.Run(x, 1));
            }
            return LatencyMeter.MeasureInterleaved(runs, warmup, repeats);
        }
        finally
        {
            foreach (var s in sessions) s.Dispose();
        }
    }
}
