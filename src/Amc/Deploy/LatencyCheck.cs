using Amc.Graph;
using static TorchSharp.torch;

namespace Amc.Deploy;

/// <summary>One network to time end to end, with the table's prediction for it.</summary>
public sealed record LatencyCandidate(string Name, Network Network, IReadOnlyDictionary<string, Tensor> Weights, double PredictedMs);

/// <summary>
/// End-to-end check of a latency table: each network is exported as deployed (BN folded) and run
/// in ONNX Runtime at batch 1, all interleaved so machine drift hits them alike.
/// </summary>
public static class LatencyCheck
{
    public static IReadOnlyList<LatencyComparison> Measure(IReadOnlyList<LatencyCandidate> candidates, int threads, int warmup = 20, int repeats = 200)
    {
        var sessions = new List<OnnxRuntimeSession>();
        try
        {
            var runs = new List<Action>();
            foreach (var c in candidates)
            {
                var session = new OnnxRuntimeSession(OnnxExporter.Export(c.Network, c.Weights), threads);
                sessions.Add(session);
                var rng = new Random(0);
                var x = new float[c.Network.Input.C * c.Network.Input.H * c.Network.Input.W];
                for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
                runs.Add(() => session.Run(x, 1));
            }
            var measured = LatencyMeter.MeasureInterleaved(runs, warmup, repeats);
            return candidates.Select((c, i) => new LatencyComparison(c.Name, c.PredictedMs, measured[i])).ToList();
        }
        finally
        {
            foreach (var s in sessions) s.Dispose();
        }
    }
}
