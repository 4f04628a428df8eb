using Amc.Graph;
using Amc.Tests.Data;
using Amc.Latency;
using Amc.Onnx;

namespace Amc.Tests.Latency;

public class LatencyTableTests(TinyLatencyTable tiny) : IClassFixture<TinyLatencyTable>
{
    [Fact]
    public void Every_conv_and_linear_layer_has_an_entry_for_every_reachable_width_pair()
    {
        var table = tiny.Table;
        var timed = tiny.Network.Layers.Where(l => l.Kind is LayerKind.Conv2d or LayerKind.Linear).Select(l => l.Name);
        Assert.Equal(timed, table.Layers.Select(l => l.Name));
        foreach (var layer in table.Layers)
        {
            // Widths straight from the groups: every layer here reads and writes a single group.
            var inGroup = tiny.Graph.Layout[layer.InputTensor].Single().Group;
            var outGroup = tiny.Graph.Layout[layer.Name].Single().Group;
            Assert.Equal(tiny.Reachable[inGroup], layer.InValues);
            Assert.Equal(tiny.Reachable[outGroup], layer.OutValues);
            Assert.Equal(layer.InValues, layer.InGrid); // few widths: no interpolation
            foreach (var i in layer.InValues)
                foreach (var o in layer.OutValues)
                    Assert.True(table.Entries.ContainsKey(layer.At(i, o)), $"{layer.Name}: no entry for {i} -> {o}");
        }
        // The stem reads the 1-channel input, which is never pruned.
        Assert.Equal([1], table.Layers[0].InValues);
        Assert.Contains(table.Layers, l => l.OutValues.Length > 1);
    }

    [Fact]
    public void Identical_ops_of_different_layers_are_timed_once()
    {
        var distinct = tiny.Table.Layers.SelectMany(l => l.GridOps()).Distinct().Count();
        Assert.True(distinct < tiny.Table.Layers.Sum(l => l.GridOps().Count()));
        Assert.Equal(distinct, tiny.Table.Entries.Count);
        Assert.Equal(distinct, tiny.Progress.Count);
        Assert.Equal(Enumerable.Range(1, distinct), tiny.Progress.Select(p => p.Done));
        Assert.All(tiny.Table.Entries.Values, ms => Assert.True(ms > 0));
    }

    [Fact]
    public void Folded_batch_norm_and_relu_are_part_of_the_op()
    {
        var ops = tiny.Table.Layers.ToDictionary(l => l.Name, l => l.Full);
        // conv -> bn -> relu: the ReLU fuses into the conv; the second conv of a block feeds the add.
        Assert.Contains(ops.Values, op => op.Activation == FusedActivation.Relu);
        Assert.Contains(ops.Values, op => op.Kind == LayerKind.Conv2d && op.Activation == FusedActivation.None);
        Assert.Equal(FusedActivation.None, ops[tiny.Network.Output.Name].Activation);
    }

    [Fact]
    public void Prediction_is_a_line_through_the_timed_full_and_smallest_networks()
    {
        var table = tiny.Table;
        var full = Policy.Full(tiny.Graph);
        var small = Policy.OfWidths(tiny.Reachable.Select(r => r[0]));
        Assert.Equal(table.WholeNetworkMs, table.PredictMs(full), 9);
        Assert.Equal(table.Layers.Sum(l => table.Entries[l.Full]), table.EntrySum(full), 9);
        double sum = table.Layers.Sum(l => table.Entries[l.At(Width(l.InputTensor, small), Width(l.Name, small))]);
        Assert.Equal(sum, table.EntrySum(small), 9);
        Assert.Equal(table.OverheadMs + table.Scale * sum, table.PredictMs(small), 9);
        // The smallest network is exact too, unless its timing is implausible (noise on a tiny net
        // on a busy machine): then the line goes through the origin and predictions stay positive.
        double slope = (table.WholeNetworkMs - table.SmallestNetworkMs) / (table.EntrySum(full) - sum);
        if (slope is >= 0.5 and <= 2) Assert.Equal(table.SmallestNetworkMs, table.PredictMs(small), 9);
        else Assert.Equal(0, table.OverheadMs, 9);
        Assert.True(table.PredictMs(small) > 0);
        Assert.Equal((long)Math.Round(table.PredictMs(small) * 1e6), table.PredictNanoseconds(small));
    }

    int Width(string tensor, Policy policy) => tiny.Graph.Layout[tensor].Sum(s => policy.Width(s.Group) * s.Repeat);

    [Fact]
    public void Second_build_reads_the_cache_without_measuring_and_gives_identical_values()
    {
        Assert.False(tiny.Build.FromCache);
        Assert.True(File.Exists(tiny.Build.CachePath));
        Assert.StartsWith(tiny.Options.CacheDirectory!, tiny.Build.CachePath);
        var progress = new List<LatencyTableProgress>();
        var build = LatencyTableBuilder.Build(tiny.Network, tiny.Graph, tiny.Reachable, tiny.Options, progress.Add);
        var again = build.Table;
        Assert.True(build.FromCache);
        Assert.Equal(0, build.Measured);
        Assert.Empty(progress);
        Assert.Equal(tiny.Build.CachePath, build.CachePath);
        Assert.Equal(tiny.Table.Entries.OrderBy(e => e.Key.ToString()), again.Entries.OrderBy(e => e.Key.ToString()));
        Assert.Equal(tiny.Table.OverheadMs, again.OverheadMs);
        Assert.Equal(tiny.Table.Scale, again.Scale);
        var rng = new Random(3);
        for (int i = 0; i < 20; i++)
        {
            var w = Policy.OfWidths(tiny.Reachable.Select(r => r[rng.Next(r.Count)]).ToArray());
            Assert.Equal(tiny.Table.PredictNanoseconds(w), again.PredictNanoseconds(w));
        }
    }

    [Fact]
    public void Another_thread_count_or_network_is_another_cache_entry()
    {
        var key = tiny.Build.File.Key;
        Assert.NotEqual(key.Hash(), (key with { Threads = key.Threads + 1 }).Hash());
        Assert.NotEqual(key.Hash(), (key with { Layers = key.Layers.Skip(1).ToList() }).Hash());
        Assert.False(key.SameAs(key with { Cpu = "another cpu" }));
        Assert.Equal(Environment.ProcessorCount, key.Cores);
        Assert.Contains("onnxruntime", key.Runtime);
    }

    [Fact]
    public void A_damaged_cache_file_is_measured_again()
    {
        using var folder = new TempFolder();
        var options = tiny.Options with { CacheDirectory = folder.Path, Repeats = 1, Warmup = 0 };
        var first = LatencyTableBuilder.Build(tiny.Network, tiny.Graph, tiny.Reachable, options);
        File.WriteAllText(first.CachePath, "{ not json");
        var second = LatencyTableBuilder.Build(tiny.Network, tiny.Graph, tiny.Reachable, options);
        Assert.False(second.FromCache);
        Assert.True(LatencyTableBuilder.Build(tiny.Network, tiny.Graph, tiny.Reachable, options).FromCache);
    }

    [Fact]
    public void A_coarse_grid_measures_the_ends_and_interpolates_between()
    {
        using var folder = new TempFolder();
        var options = tiny.Options with { CacheDirectory = folder.Path, MaxValuesPerAxis = 2, Repeats = 1, Warmup = 0 };
        var table = LatencyTableBuilder.Build(tiny.Network, tiny.Graph, tiny.Reachable, options).Table;
        var wide = table.Layers.First(l => l.OutValues.Length > 2 && !l.Depthwise);
        Assert.Equal([wide.OutValues[0], wide.OutValues[^1]], wide.OutGrid);
        Assert.True(table.Entries.Count < tiny.Table.Entries.Count);
        // A width between grid points: the prediction moves linearly between the neighbours' entries.
        var full = Policy.Full(tiny.Graph);
        int group = tiny.Graph.Layout[wide.Name].Single().Group;
        int mid = wide.OutValues[1];
        double low = table.PredictMs(full.WithWidth(group, wide.OutValues[0]));
        double high = table.PredictMs(full.WithWidth(group, wide.OutValues[^1]));
        double t = (double)(mid - wide.OutValues[0]) / (wide.OutValues[^1] - wide.OutValues[0]);
        Assert.Equal(low + t * (high - low), table.PredictMs(full.WithWidth(group, mid)), 9);
    }

    [Fact]
    public void One_layer_models_run_with_the_layers_shapes()
    {
        var linear = tiny.Table.Layers.Single(l => l.Full.Kind == LayerKind.Linear).Full;
        var conv = tiny.Table.Layers[1].Full;
        foreach (var op in new[] { linear, conv, conv with { Activation = FusedActivation.Relu6 } })
        {
            using var session = new OnnxRuntimeSession(LatencyOpModel.Build(op), 1);
            var y = session.Run(new float[op.In * op.H * op.W], 1);
            int outSize = op.Kind == LayerKind.Linear ? op.Out : op.Out * ((op.H + 2 * op.Padding - op.Kernel) / op.Stride + 1) * ((op.W + 2 * op.Padding - op.Kernel) / op.Stride + 1);
            Assert.Equal(outSize, y.Length);
        }
    }
    [Fact]
    public void An_int8_op_is_one_integer_kernel_with_uint8_in_and_out()
    {
        var conv = tiny.Table.Layers[1].Full with { Int8 = true };
        var linear = tiny.Table.Layers.Single(l => l.Full.Kind == LayerKind.Linear).Full with { Int8 = true };
        foreach (var (op, kernel) in new[] { (conv, "QLinearConv"), (conv with { Activation = FusedActivation.Relu6 }, "QLinearConv"), (conv with { Activation = FusedActivation.None }, "QLinearConv"), (linear, "QGemm") })
        {
            string path = Path.Combine(Path.GetTempPath(), $"amc-int8-op-{Guid.NewGuid():N}.onnx");
            try
            {
                using (var options = OnnxRuntimeSession.Options(1))
                {
                    options.OptimizedModelFilePath = path;
                    using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(LatencyOpModel.Build(op)), options);
                }
                var ops = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Node.Select(n => n.OpType).ToList();
                Assert.Contains(kernel, ops);
                Assert.DoesNotContain("Conv", ops);
                Assert.DoesNotContain("QuantizeLinear", ops);
            }
            finally { File.Delete(path); }
            using var s = new OnnxRuntimeSession(LatencyOpModel.Build(op), 1);
            s.RunBytes(new byte[op.In * op.H * op.W], 1);
        }
        Assert.EndsWith(" int8", conv.ToString());
    }

    [Fact]
    public void An_int8_table_times_every_layer_but_the_first_and_last_as_int8_and_has_its_own_key()
    {
        using var folder = new TempFolder();
        var options = tiny.Options with { CacheDirectory = folder.Path, Int8 = true };
        var build = LatencyTableBuilder.Build(tiny.Network, tiny.Graph, tiny.Reachable, options);
        var layers = build.Table.Layers;
        Assert.False(layers[0].Full.Int8);
        Assert.False(layers[^1].Full.Int8);
        Assert.All(layers.Skip(1).SkipLast(1), l => Assert.True(l.Full.Int8, l.Name));
        Assert.NotEqual(tiny.Build.File.Key.Hash(), build.File.Key.Hash());
        // A float table's key is written as before int8 existed: cached tables keep their names.
        Assert.DoesNotContain("int8", System.Text.Json.JsonSerializer.Serialize(tiny.Build.File.Key, LatencyTableFile.Json), StringComparison.OrdinalIgnoreCase);
        Assert.True(LatencyTableBuilder.Build(tiny.Network, tiny.Graph, tiny.Reachable, options).FromCache);
    }
}
