using System.Diagnostics;
using Amc.Graph;
using Amc.Pruning;
using Amc.Onnx;
using Amc.Torch;

namespace Amc.Latency;

/// <summary>
/// A per-layer latency lookup table measured on this machine with ONNX Runtime (AMC's "50 %
/// latency" result used one; peers.md §4 item 1). Every conv and linear layer gets a
/// micro-benchmark (<see cref="LatencyOp"/>) for each input / output width the action space can
/// reach. The sum of a pruned network's entries is then mapped to its latency by a line through
/// two networks timed end to end right after the entries: the full one and the one with every
/// group at its smallest reachable width. The intercept (<see cref="OverheadMs"/>) stands for what
/// the table does not time and does not shrink (the per-run cost of a session call, which every
/// one-layer entry also paid, so it is usually negative); the slope (<see cref="Scale"/>) for
/// what the micro-benchmarks get wrong in proportion: adds, pooling and unfused activations that
/// shrink with the widths, and small convs that run slower inside a network than alone, with
/// cold caches. With a slope of 1 (the model before the second point) the table predicted pruned
/// networks too fast, the smallest ones most (docs/BENCHMARKS.md, "Latency table" and
/// "Measurements behind design choices"). Predictions
/// are exact at both ends (at build time). Entries are
/// cached per machine, runtime and network.
/// </summary>
public sealed class LatencyTable
{
    readonly Dictionary<LatencyOp, double> entries;
    readonly IReadOnlyDictionary<string, IReadOnlyList<ChannelSegment>> layout;
    readonly double[][] grid; // per layer: Ms at InGrid[i] x OutGrid[o], row-major (depthwise: one row)

    public IReadOnlyList<LatencyTableLayer> Layers { get; }
    public IReadOnlyDictionary<LatencyOp, double> Entries => entries;
    /// <summary>Intercept of the map from the entries' sum to the network's latency (ms).</summary>
    public double OverheadMs { get; }
    /// <summary>Slope of that map: measured change of the whole network between its smallest and full
    /// widths over the change of its entries' sum, when that is within [0.5, 2]; otherwise the whole
    /// network over its entries' sum at full width (the line through the origin, no intercept).</summary>
    public double Scale { get; }
    public LatencyTableFile File { get; }
    public string CachePath { get; }
    /// <summary>Micro-benchmarks timed by this build: 0 when the table came from the cache.</summary>
    public int Measured { get; }
    public bool FromCache => Measured == 0;

    LatencyTable(IReadOnlyList<LatencyTableLayer> layers, ChannelGraph graph, LatencyTableFile file, string cachePath, int measured, int[] smallest)
    {
        Layers = layers;
        layout = graph.Layout;
        File = file;
        CachePath = cachePath;
        Measured = measured;
        entries = file.Entries.ToDictionary(e => e.Op, e => e.Ms);
        grid = layers.Select(l => l.GridOps().Select(op => entries[op]).ToArray()).ToArray();
        double fullSum = layers.Sum(l => entries[l.Full]);
        double slope = (file.WholeNetworkMs - file.SmallestNetworkMs) / (fullSum - EntrySum(smallest));
        // A slope far from 1 (or none: the smallest network timed no faster) says the two points
        // are noise, as on a tiny network on a busy machine; a line through them could then predict
        // negative times. Fall back to the line through the origin: positive and exact at full width.
        Scale = slope is >= 0.5 and <= 2 ? slope : file.WholeNetworkMs / fullSum;
        OverheadMs = file.WholeNetworkMs - Scale * fullSum;
    }

    /// <param name="reachable">Widths each channel group can take, by group id (a fixed group: its full width only).</param>
    public static LatencyTable Build(Network net, ChannelGraph graph, IReadOnlyList<IReadOnlyList<int>> reachable,
        LatencyTableOptions options, Action<LatencyTableProgress>? progress = null)
    {
        if (options.Warmup < 0 || options.Repeats < 1 || options.MaxValuesPerAxis < 2 || options.Threads < 0)
            throw new ArgumentException($"latency table options out of range: {options}");
        var layers = Analyze(net, graph, reachable, options.MaxValuesPerAxis);
        var key = new LatencyTableKey(
            LatencyTableKey.CpuModel(), Environment.ProcessorCount, LatencyTableKey.RuntimeVersion(), options.Threads,
            options.Warmup, options.Repeats, options.MaxValuesPerAxis,
            NetworkJson.Write(net with { Name = "" }),
            layers.Select(l => $"{l.Name}: {l.Full} in [{string.Join(",", l.InGrid)}] out [{string.Join(",", l.OutGrid)}]").ToList());
        string path = Path.Combine(options.ResolvedCacheDirectory, key.Hash() + ".json");
        if (options.UseCache && LatencyTableFile.TryLoad(path, key) is { } cached
            && layers.SelectMany(l => l.GridOps()).All(cached.Entries.Select(e => e.Op).ToHashSet().Contains))
            return new LatencyTable(layers, graph, cached, path, 0, Smallest(reachable));

        var clock = Stopwatch.StartNew();
        var ops = layers.SelectMany(l => l.GridOps()).Distinct().ToList();
        // Timed in a shuffled (seeded) order: the machine's slow drift then becomes noise spread
        // over all widths instead of a trend along one layer's width axis.
        new Random(12345).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ops));
        var measured = new List<LatencyTableEntry>(ops.Count);
        foreach (var op in ops)
        {
            double ms = Time(op, options);
            measured.Add(new LatencyTableEntry(op, ms));
            progress?.Invoke(new LatencyTableProgress(measured.Count, ops.Count, op, ms));
        }
        var (whole, smallestMs, sum) = EndToEnd(net, graph, Smallest(reachable), layers, options);
        var file = new LatencyTableFile(LatencyTableFile.CurrentVersion, key, measured, whole, smallestMs, sum, clock.Elapsed.TotalSeconds, DateTime.UtcNow);
        file.Save(path);
        return new LatencyTable(layers, graph, file, path, ops.Count, Smallest(reachable));
    }

    /// <summary>Predicted latency (ms) of the network with the given group widths.</summary>
    public double PredictMs(IReadOnlyList<int> widths) => OverheadMs + Scale * EntrySum(widths);

    /// <summary>Sum of the layers' (interpolated) entries at the given widths (ms).</summary>
    public double EntrySum(IReadOnlyList<int> widths)
    {
        double total = 0;
        // Summed in layer order, as in the constructor, so the full-width prediction is the
        // measured whole network up to one rounding.
        for (int i = 0; i < Layers.Count; i++)
        {
            var l = Layers[i];
            int inW = Width(l.InputTensor, widths);
            total += l.Depthwise ? Interpolate1(l.InGrid, grid[i], inW) : Interpolate2(l, grid[i], inW, Width(l.Name, widths));
        }
        return total;
    }

    /// <summary>
    /// The prediction in whole nanoseconds: the budget wall compares integers, and a rounded value
    /// keeps the wall's decisions exactly reproducible.
    /// </summary>
    public long PredictNanoseconds(IReadOnlyList<int> widths) => (long)Math.Round(PredictMs(widths) * 1e6);

    int Width(string tensor, IReadOnlyList<int> widths)
    {
        int total = 0;
        foreach (var s in layout[tensor]) total += widths[s.Group] * s.Repeat;
        return total;
    }

    static double Interpolate1(int[] xs, double[] ys, int x) => Interpolate(xs, x, i => ys[i]);

    static double Interpolate2(LatencyTableLayer l, double[] ms, int inW, int outW)
    {
        int n = l.OutGrid.Length;
        return Interpolate(l.InGrid, inW, i => Interpolate(l.OutGrid, outW, o => ms[i * n + o]));
    }

    /// <summary>Piecewise linear through (xs[i], y(i)); clamped outside the grid (widths below lbound cannot occur).</summary>
    static double Interpolate(int[] xs, int x, Func<int, double> y)
    {
        int k = Array.BinarySearch(xs, x);
        if (k >= 0) return y(k);
        k = ~k;
        if (k == 0) return y(0);
        if (k == xs.Length) return y(xs.Length - 1);
        double t = (double)(x - xs[k - 1]) / (xs[k] - xs[k - 1]);
        return y(k - 1) * (1 - t) + y(k) * t;
    }

    static double Time(LatencyOp op, LatencyTableOptions options)
    {
        using var session = new OnnxRuntimeSession(LatencyOpModel.Build(op), options.Threads);
        var x = Input(op.In * op.H * op.W);
        return LatencyMeter.Measure(() => session.Run(x, 1), options.Warmup, options.Repeats).Median;
    }

    static float[] Input(int size)
    {
        var rng = new Random(2);
        var x = new float[size];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        return x;
    }

    static int[] Smallest(IReadOnlyList<IReadOnlyList<int>> reachable) => reachable.Select(r => r[0]).ToArray();

    /// <summary>
    /// The layers' full-width ops timed again (their sum next to the table's entries shows how far
    /// the machine drifted while the table was measured), then the whole network and its smallest
    /// reachable version, exported as deployed (BN folded) and timed interleaved.
    /// </summary>
    static (double Whole, double Smallest, double Sum) EndToEnd(Network net, ChannelGraph graph, int[] smallest,
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
                var x = Input(g.Key.In * g.Key.H * g.Key.W);
                opRuns.Add(() => s.Run(x, 1));
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
        var networks = LatencyCheck.Time([(net, weights), (pruned.Network, pruned.Weights)], options.Threads, options.Warmup, Math.Max(options.Repeats, 100));
        return (networks[0].Median, networks[1].Median, sum);
    }

    /// <summary>The conv / linear layers with their reachable widths and measuring grids.</summary>
    public static IReadOnlyList<LatencyTableLayer> Analyze(Network net, ChannelGraph graph, IReadOnlyList<IReadOnlyList<int>> reachable, int maxValuesPerAxis)
    {
        var shapes = ShapeInference.Infer(net);
        var layers = new List<LatencyTableLayer>();
        foreach (var l in net.Layers)
        {
            if (l.Kind is not (LayerKind.Conv2d or LayerKind.Linear)) continue;
            // A LatencyOp is square; timing a 1x7 conv as 1x1 or 7x7 would be a wrong number, not an estimate.
            if (l.KernelWidth != l.KernelSize || l.PaddingWidth != l.PaddingValue)
                throw new InvalidNetworkException($"layer '{l.Name}' has a {l.KernelSize}x{l.KernelWidth} kernel with padding {l.PaddingValue}x{l.PaddingWidth}; latency tables time square convs only");
            var inShape = shapes[l.Inputs[0]];
            var outShape = shapes[l.Name];
            bool depthwise = ChannelGraph.IsDepthwise(l, inShape.C);
            var full = l.Kind == LayerKind.Linear
                ? new LatencyOp(LayerKind.Linear, inShape.C, outShape.C, 1, 1, 0, 1, 1, 1, 1, Activation(net, l))
                : new LatencyOp(LayerKind.Conv2d, inShape.C, outShape.C, l.KernelSize, l.StrideValue, l.PaddingValue, l.DilationValue,
                    l.GroupCount, inShape.H, inShape.W, Activation(net, l));
            // The full widths are always measured: the budget is a fraction of the original network,
            // even when --rbound < 1 keeps the search from reaching it.
            var ins = Reachable(graph.Layout[l.Inputs[0]], reachable).Append(inShape.C).Distinct().Order().ToArray();
            var outs = depthwise ? ins : Reachable(graph.Layout[l.Name], reachable).Append(outShape.C).Distinct().Order().ToArray();
            layers.Add(new LatencyTableLayer(l.Name, l.Inputs[0], full, depthwise, ins, outs, Grid(ins, maxValuesPerAxis), Grid(outs, maxValuesPerAxis)));
        }
        return layers;
    }

    /// <summary>
    /// The activation ORT fuses into this layer in the exported graph: the exporter folds a BN that
    /// is the conv's only reader, and ORT fuses a ReLU / Clip that is then the only reader.
    /// </summary>
    static FusedActivation Activation(Network net, Layer l)
    {
        if (l == net.Output) return FusedActivation.None;
        var readers = net.Consumers(l.Name).ToList();
        if (l.Kind == LayerKind.Conv2d && readers is [{ Kind: LayerKind.BatchNorm2d } bn] && bn != net.Output)
            readers = net.Consumers(bn.Name).ToList();
        return readers switch
        {
            [{ Kind: LayerKind.ReLU }] => FusedActivation.Relu,
            [{ Kind: LayerKind.ReLU6 }] => FusedActivation.Relu6,
            _ => FusedActivation.None,
        };
    }

    /// <summary>Every width a tensor can have: sums over its segments of a reachable group width times the repeat.</summary>
    static int[] Reachable(IReadOnlyList<ChannelSegment> segments, IReadOnlyList<IReadOnlyList<int>> reachable)
    {
        var sums = new HashSet<int> { 0 };
        foreach (var s in segments)
            sums = sums.SelectMany(a => reachable[s.Group].Select(w => a + w * s.Repeat)).ToHashSet();
        return sums.Order().ToArray();
    }

    /// <summary>All values, or <paramref name="max"/> of them evenly spread with both ends.</summary>
    static int[] Grid(int[] values, int max)
    {
        if (values.Length <= max) return values;
        return Enumerable.Range(0, max).Select(i => values[(int)Math.Round((double)i * (values.Length - 1) / (max - 1))]).Distinct().ToArray();
    }
}
