using Amc.Graph;
using static TorchSharp.torch;
using Amc.Onnx;
using Amc.Quantization;

namespace Amc.Latency;

/// <summary>One network to time end to end, with the table's prediction for it.</summary>
public sealed record LatencyCandidate(string Name, Network Network, IReadOnlyDictionary<string, Tensor> Weights, double PredictedMs);

/// <summary>
/// End-to-end check of a latency table: each network is exported as deployed (BN folded) and run
/// in ONNX Runtime at batch 1, all interleaved so machine drift hits them alike.
/// </summary>
public static class LatencyCheck
{
    /// <param name="int8">Time each network quantized as `amc quantize` deploys it (<see cref="Int8Export.ForTiming"/>).</param>
    public static IReadOnlyList<LatencyComparison> Measure(IReadOnlyList<LatencyCandidate> candidates, int threads, int warmup = 20, int repeats = 200, bool int8 = false)
    {
        var measured = Time(candidates.Select(c => (c.Network, c.Weights)).ToList(), threads, warmup, repeats, int8);
        return candidates.Select((c, i) => new LatencyComparison(c.Name, c.PredictedMs, measured[i])).ToList();
    }

    /// <summary>Each network exported as deployed and timed at batch 1, interleaved with the others.</summary>
    public static LatencyStats[] Time(IReadOnlyList<(Network Network, IReadOnlyDictionary<string, Tensor> Weights)> networks, int threads, int warmup, int repeats, bool int8 = false)
    {
        var sessions = new List<OnnxRuntimeSession>();
        try
        {
            var runs = new List<Action>();
            foreach (var (network, weights) in networks)
            {
                var session = new OnnxRuntimeSession(int8 ? Int8Export.ForTiming(network, weights) : OnnxExporter.Export(network, weights), threads);
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
