using System.Diagnostics;
using Amc.Graph;
using Amc.Onnx;
using Amc.Pruning;
using Amc.Quantization;
using Amc.Torch;

namespace Amc.Latency;

/// <summary>
/// Measures a network's <see cref="LatencyTable"/> on this machine with ONNX Runtime, or reads it
/// from the cache: analyses the network into ops, looks the table up by its key (machine, runtime,
/// protocol, network), and on a miss times every op, then the whole network at full and at its
/// smallest reachable widths, and writes the cache file.
/// </summary>
public static class LatencyTableBuilder
{
    /// <param name="reachable">Widths each channel group can take, by group id (a fixed group: its full width only).</param>
    public static LatencyTableBuild Build(Network net, ChannelGraph graph, IReadOnlyList<IReadOnlyList<int>> reachable,
        LatencyTableOptions options, Action<LatencyTableProgress>? progress = null)
    {
        if (options.Warmup < 0 || options.Repeats < 1 || options.MaxValuesPerAxis < 2 || options.Threads < 0)
            throw new ArgumentException($"latency table options out of range: {options}");
        var layers = LatencyTableAnalysis.Analyze(net, graph, reachable, options.MaxValuesPerAxis, options.Int8);
        var key = LatencyTableKey.For(net, layers, options);
        string path = Path.Combine(options.ResolvedCacheDirectory, key.Hash() + ".json");
        var smallest = Policy.OfWidths(reachable.Select(r => r[0]));
        var ops = layers.SelectMany(l => l.GridOps()).Distinct().ToList();
        int measured = 0;
        var file = options.UseCache ? LatencyTableFile.TryLoad(path, key) : null;
        bool changed = false;
        if (file is null || !ops.All(file.Entries.Select(e => e.Op).ToHashSet().Contains))
        {
            file = Measure(net, graph, smallest, layers, ops, key, options, progress);
            measured = ops.Count;
            changed = true;
        }
        if (options.Int8 && file.Probes is null)
        {
            file = file with { Probes = MeasureProbes(net, graph, layers, options) };
            changed = true;
        }
        if (changed) file.Save(path);
        var table = new LatencyTable(layers, graph.Layout, file.Entries, smallest, file.WholeNetworkMs, file.SmallestNetworkMs)
        {
            Probes = file.Probes,
        };
        return new LatencyTableBuild(table, file, path, measured);
    }

    static LatencyTableFile Measure(Network net, ChannelGraph graph, Policy smallest, IReadOnlyList<LatencyTableLayer> layers,
        List<LatencyOp> ops, LatencyTableKey key, LatencyTableOptions options, Action<LatencyTableProgress>? progress)
    {
        var clock = Stopwatch.StartNew();
        // Timed in a shuffled (seeded) order: the machine's slow drift then becomes noise spread
        // over all widths instead of a trend along one layer's width axis.
        var order = ops.ToList();
        new Random(12345).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(order));
        var entries = new List<LatencyTableEntry>(order.Count);
        foreach (var op in order)
        {
            double ms = Time(op, options);
            entries.Add(new LatencyTableEntry(op, ms));
            progress?.Invoke(new LatencyTableProgress(entries.Count, order.Count, op, ms));
        }
        var (whole, smallestMs, sum) = EndToEnd(net, graph, smallest, layers, options);
        return new LatencyTableFile(LatencyTableFile.CurrentVersion, key, entries, whole, smallestMs, sum, clock.Elapsed.TotalSeconds, DateTime.UtcNow);
    }

    /// <summary>
    /// The all-int8 network and, for up to four groups spread over the network, the same network
    /// with that group alone in float, all at full width, timed interleaved (<see cref="MixedPrecisionProbes"/>).
    /// </summary>
    static MixedPrecisionProbes MeasureProbes(Network net, ChannelGraph graph, IReadOnlyList<LatencyTableLayer> layers, LatencyTableOptions options)
    {
        var groups = layers.Where(l => l.Full.Int8).Select(l => LayerPrecision.Group(graph, l.Name)).OfType<int>().Distinct().ToList();
        var probed = groups.Count <= 4 ? groups : Enumerable.Range(0, 4).Select(i => groups[i * (groups.Count - 1) / 3]).Distinct().ToList();
        var all = Policy.Full(graph).WithInt8(graph.Prunable.Select(g => g.Id));
        var policies = probed.Select(g => all.WithInt8(g, false)).Prepend(all).ToList();
        using var module = new GraphModule(net);
        var weights = module.Tensors();
        var times = LatencyCheck.Time(policies.Select(_ => (net, (IReadOnlyDictionary<string, TorchSharp.torch.Tensor>)weights)).ToList(),
            options.Threads, options.Warmup, Math.Max(options.Repeats, 100), quantization: policies.Select(p => QuantizationSettings.ForMixedPolicy(net, graph, p)).ToList());
        return new MixedPrecisionProbes(times[0].Median, probed.Select((g, i) => new FloatGroupProbe(g, times[i + 1].Median)).ToList());
    }

    static double Time(LatencyOp op, LatencyTableOptions options)
    {
        using var session = new OnnxRuntimeSession(LatencyOpModel.Build(op), options.Threads);
        return LatencyMeter.Measure(Runner(session, op), options.Warmup, options.Repeats).Median;
    }

    /// <summary>One run of an op's model at batch 1: float input, or uint8 for an int8 op.</summary>
    static Action Runner(OnnxRuntimeSession session, LatencyOp op)
    {
        var x = Input(op.In * op.H * op.W);
        if (!op.Int8) return () => session.Run(x, 1);
        var bytes = x.Select(v => (byte)(v * 255)).ToArray();
        return () => session.RunBytes(bytes, 1);
    }

    static float[] Input(int size)
    {
        var rng = new Random(2);
        var x = new float[size];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        return x;
    }

    /// <summary>
    /// The layers' full-width ops timed again (their sum next to the table's entries shows how far
    /// the machine drifted while the table was measured), then the whole network and its smallest
    /// reachable version, exported as deployed (BN folded) and timed interleaved.
    /// </summary>
    static (double Whole, double Smallest, double Sum) EndToEnd(Network net, ChannelGraph graph, Policy smallest,
        IReadOnlyList<LatencyTableLayer> layers, LatencyTableOptions options)
    {
        var counts = layers.GroupBy(l => l.Full).ToList();
        var sessions = new List<OnnxRuntimeSession>();
        LatencyStats[] ops;
        try
        {
            var opRuns = new List<Action>();
            foreach (var g in counts)
            {
                var s = new OnnxRuntimeSession(LatencyOpModel.Build(g.Key), options.Threads);
                sessions.Add(s);
                opRuns.Add(Runner(s, g.Key));
            }
            ops = LatencyMeter.MeasureInterleaved(opRuns, options.Warmup, options.Repeats);
        }
        finally
        {
            foreach (var s in sessions) s.Dispose();
        }
        double sum = 0;
        for (int i = 0; i < counts.Count; i++) sum += ops[i].Median * counts[i].Count();

        // The two networks apart from the ops: interleaved with dozens of one-op sessions, a
        // network whose weights outgrow the caches (MobileNet's) ran slower than it
        // does when deployed, alone.
        using var module = new GraphModule(net);
        var weights = module.Tensors();
        var pruned = NetworkPruner.ToWidths(net, graph, weights, smallest);
        var networks = LatencyCheck.Time([(net, weights), (pruned.Network, pruned.Weights)], options.Threads, options.Warmup, Math.Max(options.Repeats, 100), options.Int8);
        return (networks[0].Median, networks[1].Median, sum);
    }
}
