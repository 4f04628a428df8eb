using Amc.Graph;
using Amc.Onnx;
using Amc.Quantization;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Xunit.Abstractions;

namespace Amc.Tests.Quantization;

public class QdqQuantizerTests(ITestOutputHelper output)
{
    /// <summary>A randomized zoo network exported with BN folded, and seeded random calibration batches.</summary>
    static (ModelProto Model, Network Net, List<(float[], int)> Batches) Exported(string model, int seed = 1)
    {
        var net = TestNetworks.Build(model);
        using var module = TestNetworks.Randomized(net, seed);
        var proto = OnnxExporter.Export(net, module.Tensors());
        var batches = Enumerable.Range(0, 4).Select(i =>
        {
            using var x = TestNetworks.Input(net.Input, 8, seed * 100 + i);
            return (x.data<float>().ToArray(), 8);
        }).ToList();
        return (proto, net, batches);
    }

    static ModelProto Quantize(ModelProto model, List<(float[], int)> batches, QuantizationSettings settings, out QdqPlan plan)
    {
        plan = QdqQuantizer.Plan(model, settings);
        var ranges = ActivationCalibration.Calibrate(model, plan.CalibratedValues, () => batches, settings, threads: 1);
        return QdqQuantizer.Apply(model, plan, ranges, settings);
    }

    /// <summary>The op types of the graph ONNX Runtime actually runs, after its optimizations (QDQ fusion among them).</summary>
    static List<string> OptimizedOps(ModelProto model)
    {
        string path = Path.Combine(Path.GetTempPath(), $"amc-optimized-{Guid.NewGuid():N}.onnx");
        try
        {
            using (var options = OnnxRuntimeSession.Options(1))
            {
                options.OptimizedModelFilePath = path;
                using var session = new InferenceSession(model.ToByteArray(), options);
            }
            return [.. ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Node.Select(n => n.OpType)];
        }
        finally { File.Delete(path); }
    }

    static double RelativeError(float[] reference, float[] actual)
    {
        double num = 0, den = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            num += Math.Pow(actual[i] - reference[i], 2);
            den += Math.Pow(reference[i], 2);
        }
        return Math.Sqrt(num / den);
    }

    [Theory]
    [InlineData("resnet20")]
    [InlineData("mobilenetv2")]
    [InlineData("vgg16-cifar")]
    [InlineData("mobilenet")]
    public void The_int8_network_runs_fused_and_stays_close_to_the_float_one(string model)
    {
        var (proto, net, batches) = Exported(model);
        var quantized = Quantize(proto, batches, new QuantizationSettings(), out var plan);

        using var f = new OnnxRuntimeSession(proto, 1);
        using var q = new OnnxRuntimeSession(quantized, 1);
        using var x = TestNetworks.Input(net.Input, 8, seed: 77);
        var input = x.data<float>().ToArray();
        var (reference, actual) = (f.Run(input, 8), q.Run(input, 8));
        double error = RelativeError(reference, actual);
        var ops = OptimizedOps(quantized);
        output.WriteLine($"{model}: {plan.Nodes.Count} int8 nodes, relative error {error:F4}; optimized ops: " +
            string.Join(", ", ops.GroupBy(o => o).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} x{g.Count()}")));

        // Random weights are harder than trained ones: nothing makes a channel's range resemble its
        // neighbours', and MobileNet's depthwise convs compound that over 13 blocks.
        Assert.True(error < (model == "mobilenet" ? 0.25 : 0.1), $"{model}: the int8 outputs differ from the float ones by {error:P1} (relative)");
        // Every quantized conv became one integer kernel: no float Conv is left but the two kept in float.
        int convs = ops.Count(o => o == "QLinearConv");
        int quantizedConvs = plan.Nodes.Count(n => proto.Graph.Node.First(m => m.Name == n).OpType == "Conv");
        Assert.Equal(quantizedConvs, convs);
    }

    [Fact]
    public void The_first_and_last_layers_stay_float_unless_asked_and_named_nodes_stay_float()
    {
        var (proto, _, _) = Exported("resnet20");
        var candidates = proto.Graph.Node.Where(n => n.OpType is "Conv" or "Gemm").Select(n => n.Name).ToList();
        var plan = QdqQuantizer.Plan(proto, new QuantizationSettings());
        Assert.Equal(candidates.Skip(1).SkipLast(1), plan.Nodes);
        Assert.Equal([candidates[0], candidates[^1]], plan.FloatNodes.Select(f => f.Node));

        var all = QdqQuantizer.Plan(proto, new QuantizationSettings { KeepFirstAndLast = false, FloatNodes = [candidates[3]] });
        Assert.Equal(candidates.Where(c => c != candidates[3]), all.Nodes);
        Assert.Contains(all.FloatNodes, f => f.Node == candidates[3] && f.Reason.Contains("asked"));
    }

    [Fact]
    public void An_unknown_float_node_is_refused_naming_the_nodes_there_are()
    {
        var (proto, _, _) = Exported("resnet20");
        var e = Assert.Throws<ArgumentException>(() => QdqQuantizer.Plan(proto, new QuantizationSettings { FloatNodes = ["nope"] }));
        Assert.Contains("'nope'", e.Message);
        Assert.Contains(proto.Graph.Node.First(n => n.OpType == "Conv").Name, e.Message);
    }

    [Fact]
    public void A_relu_after_a_quantized_conv_is_folded_into_its_quantize_node()
    {
        var (proto, _, batches) = Exported("vgg16-cifar");
        var quantized = Quantize(proto, batches, new QuantizationSettings(), out var plan);
        Assert.NotEmpty(plan.FoldedActivations);
        var producers = quantized.Graph.Node.SelectMany(n => n.Output.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n);
        foreach (var (convOutput, relu) in plan.FoldedActivations)
        {
            Assert.DoesNotContain(quantized.Graph.Node, n => n.Output.Contains(relu));
            var q = quantized.Graph.Node.Single(n => n.OpType == "QuantizeLinear" && n.Input[0] == convOutput);
            // Zero point 0: the uint8 Q clips below zero exactly as the ReLU did.
            var zero = quantized.Graph.Initializer.Single(i => i.Name == q.Input[2]);
            Assert.Equal(0, zero.RawData[0]);
            Assert.Equal("Conv", producers[convOutput].OpType);
        }
        // A MaxPool reads and writes with one scale, so ONNX Runtime runs it on the uint8 values.
        var pool = proto.Graph.Node.First(n => n.OpType == "MaxPool");
        Assert.Equal(plan.Values[pool.Input[0]], plan.Values[pool.Output[0]]);
    }

    [Fact]
    public void Quantizing_is_deterministic()
    {
        var (proto, _, batches) = Exported("mobilenetv2");
        var a = Quantize(proto, batches, new QuantizationSettings { Method = CalibrationMethod.Percentile }, out _);
        var b = Quantize(proto, batches, new QuantizationSettings { Method = CalibrationMethod.Percentile }, out _);
        Assert.Equal(a.ToByteArray(), b.ToByteArray());
    }

    [Fact]
    public void Weights_are_int8_per_output_channel_with_the_largest_magnitude_at_127()
    {
        var (proto, _, batches) = Exported("resnet20");
        var quantized = Quantize(proto, batches, new QuantizationSettings(), out var plan);
        string node = plan.Nodes[0];
        var conv = proto.Graph.Node.First(n => n.Name == node);
        var weight = proto.Graph.Initializer.First(i => i.Name == conv.Input[1]);
        var w = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(weight.RawData.Span).ToArray();
        var q = quantized.Graph.Initializer.First(i => i.Name == $"{node}/weight/quantized");
        var s = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(quantized.Graph.Initializer.First(i => i.Name == $"{node}/weight/scale").RawData.Span).ToArray();
        Assert.Equal((int)TensorProto.Types.DataType.Int8, q.DataType);
        Assert.Equal(weight.Dims[0], s.Length);
        var values = q.RawData.ToByteArray().Select(b => (sbyte)b).ToArray();
        int perChannel = w.Length / s.Length;
        for (int c = 0; c < s.Length; c++)
        {
            var channel = Enumerable.Range(c * perChannel, perChannel);
            Assert.Equal(127, channel.Max(i => Math.Abs((int)values[i])));
            Assert.All(channel, i => Assert.True(Math.Abs(values[i] * s[c] - w[i]) <= s[c] / 2 + 1e-7, $"weight {i}"));
        }
        // The float weight is gone from the file: only int8 is stored.
        Assert.DoesNotContain(quantized.Graph.Initializer, i => i.Name == conv.Input[1]);
        Assert.True(quantized.CalculateSize() < proto.CalculateSize() / 2);
    }

    [Fact]
    public void Reduced_range_weights_stay_within_63()
    {
        var (proto, _, batches) = Exported("resnet20");
        var quantized = Quantize(proto, batches, new QuantizationSettings { ReduceRange = true }, out var plan);
        var q = quantized.Graph.Initializer.First(i => i.Name == $"{plan.Nodes[0]}/weight/quantized");
        Assert.Equal(63, q.RawData.ToByteArray().Max(b => Math.Abs((int)(sbyte)b)));
    }

    [Theory]
    [InlineData(0f, 2.55f, 0.01f, 0)]
    [InlineData(-1f, 1f, 2f / 255, 128)]
    [InlineData(0.5f, 2.55f, 0.01f, 0)] // widened to hold 0
    [InlineData(-2.55f, -1f, 0.01f, 255)]
    [InlineData(0f, 0f, 1f, 0)]
    public void Activation_scale_and_zero_point_cover_the_range_and_zero(float min, float max, float scale, int zero)
    {
        var (s, z) = QdqQuantizer.ActivationParams((min, max));
        Assert.Equal(scale, s, 1e-6f);
        Assert.Equal(zero, z);
    }

    [Fact]
    public void A_range_that_is_not_finite_is_refused()
    {
        Assert.Throws<ArgumentException>(() => QdqQuantizer.ActivationParams((0, float.PositiveInfinity)));
    }

    [Fact]
    public void Percentiles_drop_the_tails_but_never_narrow_past_them()
    {
        // 10,000 values in the first 100 bins, one outlier in the last: 99.99 % drops the outlier.
        var h = new long[ActivationCalibration.Bins];
        for (int i = 0; i < 100; i++) h[i] = 100;
        h[^1] = 1;
        var (lo, hi) = ActivationCalibration.Percentiles(h, 0, 2048, 99.99);
        Assert.Equal(0, lo);
        Assert.Equal(100, hi);
        // 100 % keeps everything.
        Assert.Equal((0f, 2048f), ActivationCalibration.Percentiles(h, 0, 2048, 100));
    }

    [Fact]
    public void A_model_before_opset_13_is_refused()
    {
        var (proto, _, _) = Exported("resnet20");
        var old = new ModelProto(proto);
        old.OpsetImport.Clear();
        old.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 11 });
        var e = Assert.Throws<ArgumentException>(() => QdqQuantizer.Plan(old, new QuantizationSettings()));
        Assert.Contains("opset 11", e.Message);
    }
}
