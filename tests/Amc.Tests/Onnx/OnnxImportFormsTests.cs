using Amc.Graph;
using Amc.Onnx;
using Amc.Pruning;
using Amc.Torch;
using Onnx;
using Xunit.Abstractions;
using static Amc.Tests.Onnx.OnnxGraphBuilder;

namespace Amc.Tests.Onnx;

/// <summary>
/// Forms torchvision's and TensorFlow-style CNNs take in ONNX: SAME padding in every form,
/// non-square kernels, squeeze-and-excitation and gated activations, ceil-mode pooling, branches
/// joined by Concat, and shapes computed from constants. Each hand-built graph is imported and
/// checked against ONNX Runtime running the original, exported back, and pruned then exported.
/// </summary>
public class OnnxImportFormsTests(ITestOutputHelper output)
{
    /// <summary>
    /// The imported network computes what ONNX Runtime computes on the original graph; so does its
    /// export; and the network pruned to half of every prunable group computes in ONNX Runtime
    /// what it computes in TorchSharp.
    /// </summary>
    Network AssertImportMatchesOnnxRuntime(ModelProto onnx, string form)
    {
        var (net, weights) = OnnxImporter.Import(onnx, "forms");
        using var x = TestNetworks.Input(net.Input, batch: 2, seed: 21);
        var input = x.data<float>().ToArray();
        using var original = new OnnxRuntimeSession(onnx, intraOpThreads: 1);
        var expected = original.Run(input, 2);

        using var module = new GraphModule(net);
        module.LoadTensors(weights);
        module.eval();
        float diff = TestNetworks.MaxAbsDiff(expected, TestNetworks.Forward(module, x));
        using var exported = new OnnxRuntimeSession(OnnxExporter.Export(net, weights), intraOpThreads: 1);
        float roundTrip = TestNetworks.MaxAbsDiff(expected, exported.Run(input, 2));

        var graph = ChannelGraph.Build(net);
        Assert.NotEmpty(graph.Prunable);
        var half = NetworkPruner.ToWidths(net, graph, weights, Policy.OfWidths(graph.Groups.Select(g => g.Prunable ? Math.Max(1, g.Channels / 2) : g.Channels)));
        using var pruned = new GraphModule(half.Network);
        pruned.LoadTensors(half.Weights);
        pruned.eval();
        using var prunedOnnx = new OnnxRuntimeSession(OnnxExporter.Export(half.Network, half.Weights), intraOpThreads: 1);
        float prunedDiff = TestNetworks.MaxAbsDiff(TestNetworks.Forward(pruned, x), prunedOnnx.Run(input, 2));

        output.WriteLine($"{form}: import {diff:e2}, round trip {roundTrip:e2}, pruned {prunedDiff:e2}");
        Assert.True(diff < 1e-5, $"{form}: the imported network differs from ONNX Runtime by {diff}");
        Assert.True(roundTrip < 1e-5, $"{form}: the re-exported network differs from the original by {roundTrip}");
        Assert.True(prunedDiff < 1e-5, $"{form}: the pruned network differs in ONNX Runtime by {prunedDiff}");
        return net;
    }

    public static TheoryData<string> SamePaddingForms() => new() { "SAME_UPPER", "SAME_LOWER", "pads", "Pad node", "computed Pad node" };

    /// <summary>
    /// A TensorFlow-style CNN at an even input: a stride-2 3x3 conv with SAME padding (one row and
    /// column of zeros, at the end or, for SAME_LOWER, the beginning) written five ways, a
    /// SAME max pool after a ReLU, and Inception's 1x3 and 3x1 convs.
    /// </summary>
    [Theory]
    [MemberData(nameof(SamePaddingForms))]
    public void Same_padding_in_every_form_matches_OnnxRuntime(string form)
    {
        var g = new OnnxGraphBuilder(13, 3, 8, 8);
        var (w1, b1) = (g.Weight("w1", [4, 3, 3, 3]), g.Weight("b1", [4]));
        AttributeProto[] conv = [Ints("kernel_shape", 3, 3), Ints("strides", 2, 2)];
        string Pad(string pads) => g.Node("Pad", "/pad/Pad", ["x", pads]);
        var x = form switch
        {
            "SAME_UPPER" or "SAME_LOWER" => g.Node("Conv", "conv1", ["x", w1, b1], [.. conv, String("auto_pad", form)]),
            "pads" => g.Node("Conv", "conv1", ["x", w1, b1], [.. conv, Ints("pads", 0, 0, 1, 1)]),
            "Pad node" => g.Node("Conv", "conv1", [Pad(g.Int64s("pads", 0, 0, 0, 0, 0, 0, 1, 1)), w1, b1], conv),
            _ => g.Node("Conv", "conv1", [Pad(g.Node("Concat", "pads", [g.Int64s("begin", 0, 0, 0, 0), g.Int64s("end", 0, 0, 1, 1)], Int("axis", 0))), w1, b1], conv),
        };
        x = g.Node("Relu", "relu", [x]);
        x = g.Node("MaxPool", "pool", [x], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), String("auto_pad", "SAME_UPPER"));
        x = g.Node("Conv", "conv1x3", [x, g.Weight("w2", [6, 4, 1, 3])], Ints("kernel_shape", 1, 3), Ints("pads", 0, 1, 0, 1));
        x = g.Node("Conv", "conv3x1", [x, g.Weight("w3", [6, 6, 3, 1])], Ints("pads", 1, 0, 1, 0));
        x = g.Node("GlobalAveragePool", "gap", [x]);
        x = g.Node("Flatten", "flatten", [x]);
        x = g.Node("Gemm", "fc", [x, g.Weight("w4", [5, 6]), g.Weight("b4", [5])], Int("transB", 1));

        var net = AssertImportMatchesOnnxRuntime(g.Build(x, 5), form);
        // conv1 4x3x3x3 at 4x4, the 1x3 and 3x1 convs at 2x2, the classifier
        Assert.Equal(4 * 3 * 9 * 16 + 6 * 4 * 3 * 4 + 6 * 6 * 3 * 4 + 6 * 5, CostModel.Of(net).Macs);
        Assert.Equal((1, 3), (net["conv1x3"].KernelSize, net["conv1x3"].KernelWidth));
        Assert.Equal((0, 1), (net["conv1x3"].PaddingValue, net["conv1x3"].PaddingWidth));
        // The uneven sides are a Pad layer in front; SAME_LOWER pads the beginning.
        var pads = net.Layers.Where(l => l.Kind == LayerKind.Pad).Select(l => string.Join(",", l.Pads!)).ToList();
        Assert.Equal([form == "SAME_LOWER" ? "1,1,0,0" : "0,0,1,1", "0,0,1,1"], pads);
    }

    /// <summary>
    /// The stem of a ResNet-18 another framework wrote: a 7x7 stride-2 conv with pads [3, 3, 2, 2]
    /// (one more row and column of zeros before than after), BatchNormalization with spatial=1 at
    /// opset 8, the pooling squeezed to a vector (Squeeze's axes an attribute at opset 8, ReduceMean's
    /// an input at opset 21).
    /// </summary>
    [Theory]
    [InlineData(8)]
    [InlineData(21)]
    public void Another_frameworks_uneven_stem_matches_OnnxRuntime(int opset)
    {
        var g = new OnnxGraphBuilder(opset, 3, 16, 16);
        var x = g.Node("Conv", "conv1", ["x", g.Weight("w1", [8, 3, 7, 7], 0.1)], Ints("kernel_shape", 7, 7), Ints("strides", 2, 2), Ints("pads", 3, 3, 2, 2));
        AttributeProto[] spatial = opset < 9 ? [Int("spatial", 1)] : [];
        x = g.Node("BatchNormalization", "bn1", [x, g.Weight("gamma", [8], 0.5, 1), g.Weight("beta", [8]), g.Weight("mean", [8]), g.Weight("var", [8], 0.4, 1)], spatial);
        x = g.Node("Relu", "relu", [x]);
        x = g.Node("MaxPool", "maxpool", [x], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1));
        x = g.Node("Conv", "conv2", [x, g.Weight("w2", [6, 8, 3, 3])], Ints("pads", 1, 1, 1, 1));
        x = opset < 13
            ? g.Node("Squeeze", "squeeze", [g.Node("GlobalAveragePool", "pool", [x])], Ints("axes", 2, 3))
            : g.Node("ReduceMean", "pool", [x, g.Int64s("axes", -1, -2)], Int("keepdims", 0));
        x = g.Node("Gemm", "fc", [x, g.Weight("w3", [5, 6]), g.Weight("b3", [5])], Int("transB", 1));

        var net = AssertImportMatchesOnnxRuntime(g.Build(x, 5), $"opset {opset}");
        Assert.Equal([3, 3, 2, 2], net["conv1.pad"].Pads);
        Assert.Equal(0, net["conv1"].PaddingValue);
        Assert.Equal(8 * 3 * 49 * 64 + 6 * 8 * 9 * 16 + 6 * 5, CostModel.Of(net).Macs);
    }

    /// <summary>
    /// Least squares refits the 3x1 conv reading the pruned output of the 1x3 one from its input
    /// patches (3x1 of them, not 3x3): on the calibration images it comes closer to the original
    /// output than the sliced weights.
    /// </summary>
    [Fact]
    public void Reconstruction_reads_the_patches_of_non_square_kernels()
    {
        var g = new OnnxGraphBuilder(13, 3, 8, 8);
        var x = g.Node("Conv", "conv1", ["x", g.Weight("w1", [4, 3, 3, 3])], Ints("pads", 1, 1, 1, 1));
        x = g.Node("Conv", "conv1x3", [x, g.Weight("w2", [6, 4, 1, 3])], Ints("pads", 0, 1, 0, 1));
        x = g.Node("Conv", "conv3x1", [x, g.Weight("w3", [5, 6, 3, 1])], Ints("pads", 1, 0, 1, 0));
        var (net, weights) = OnnxImporter.Import(g.Build(x, 5, 8, 8));
        using var original = new GraphModule(net);
        original.LoadTensors(weights);
        using var images = TestNetworks.Input(net.Input, batch: 32, seed: 22);
        var pruner = new ChannelPruner(net, weights, [images], batchNormImages: 1000, pointsPerImage: 16);
        var channels = Policy.Full(pruner.Graph).WithWidth(pruner.Graph["conv1x3"].Id, 3);

        using var expected = original.ForwardAll(images)["conv3x1"];
        double Error(bool reconstruct)
        {
            var options = new PruneOptions(Round: 1, Reconstruct: reconstruct, RecalibrateBatchNorm: false);
            using var module = pruner.ToModule(pruner.Prune(channels, options), options);
            using var actual = module.ForwardAll(images)["conv3x1"];
            return (actual - expected).Squared().mean().item<float>();
        }
        double sliced = Error(false), refit = Error(true);
        output.WriteLine($"output error: sliced {sliced:e3}, least squares {refit:e3}");
        Assert.True(refit < 0.8 * sliced, $"least squares {refit} is not below slicing {sliced}");
    }

    public static TheoryData<int> Opsets() => new() { 11, 13, 17 };

    /// <summary>
    /// MobileNetV3 / EfficientNet blocks: hardswish as x * HardSigmoid(x) (PyTorch before opset
    /// 14) and as the HardSwish op, squeeze-and-excitation (GlobalAveragePool, two 1x1 convs, a
    /// Sigmoid gate, Mul with the block), SiLU as x * Sigmoid(x), ReduceMean as the pooling, and
    /// a Gemm with alpha and beta.
    /// </summary>
    [Theory]
    [MemberData(nameof(Opsets))]
    public void Squeeze_and_excitation_and_gated_activations_match_OnnxRuntime(int opset)
    {
        var g = new OnnxGraphBuilder(opset, 3, 6, 6);
        var x = g.Node("Conv", "/features/features.0/Conv", ["x", g.Weight("w0", [8, 3, 3, 3])], Ints("pads", 1, 1, 1, 1));
        var gate = g.Node("HardSigmoid", "/features/features.0/act/HardSigmoid", [x], Float("alpha", 1f / 6), Float("beta", 0.5f));
        x = g.Node("Mul", "/features/features.0/act/Mul", [x, gate]);
        var s = g.Node("GlobalAveragePool", "/se/avgpool/GlobalAveragePool", [x]);
        s = g.Node("Conv", "/se/fc1/Conv", [s, g.Weight("wse1", [4, 8, 1, 1]), g.Weight("bse1", [4])]);
        s = g.Node("Relu", "/se/relu/Relu", [s]);
        s = g.Node("Conv", "/se/fc2/Conv", [s, g.Weight("wse2", [8, 4, 1, 1]), g.Weight("bse2", [8])]);
        s = g.Node("Sigmoid", "/se/gate/Sigmoid", [s]);
        x = g.Node("Mul", "/se/Mul", [s, x]);
        x = g.Node("Mul", "/silu/Mul", [x, g.Node("Sigmoid", "/silu/Sigmoid", [x])]);
        if (opset >= 14) x = g.Node("HardSwish", "/hardswish/HardSwish", [x]);
        x = g.Node("Conv", "/project/Conv", [x, g.Weight("w1", [6, 8, 1, 1])]);
        // keepdims both ways: a [N, C] vector, or a [N, C, 1, 1] map flattened after
        x = opset == 13
            ? g.Node("ReduceMean", "/pool/ReduceMean", [x], Ints("axes", 2, 3), Int("keepdims", 0))
            : g.Node("Flatten", "/flatten/Flatten", [g.Node("ReduceMean", "/pool/ReduceMean", [x], Ints("axes", -1, -2))]);
        x = g.Node("Gemm", "/fc/Gemm", [x, g.Weight("w2", [5, 6]), g.Weight("b2", [5])], Int("transB", 1), Float("alpha", 0.5f), Float("beta", 2f));

        var onnx = g.Build(x, 5);
        var net = AssertImportMatchesOnnxRuntime(onnx, $"opset {opset}");
        Assert.Equal(LayerKind.HardSwish, net["features.0.act"].Kind);
        Assert.Equal(LayerKind.SiLU, net["silu"].Kind);
        Assert.Equal(LayerKind.Mul, net["se"].Kind);
        Assert.Equal(opset >= 14 ? 1 : 0, net.Layers.Count(l => l.Name == "hardswish"));
        Assert.Equal(opset == 13 ? [LayerKind.GlobalAvgPool, LayerKind.Flatten] : [LayerKind.GlobalAvgPool],
            net.Layers.Where(l => l.Name.StartsWith("pool")).Select(l => l.Kind));
        // The gate's channels are the block's: one group, produced by the block's conv and the SE's second conv.
        var block = ChannelGraph.Build(net)["features.0"];
        Assert.Equal(["features.0", "se.fc2"], block.Producers);
        Assert.Equal(["se.fc1", "project"], block.Consumers);
        Assert.True(block.Prunable);

        // AMC's pruning of that group, least squares and BN statistics included, gives a network that runs.
        var (_, weights) = OnnxImporter.Import(onnx);
        using var images = TestNetworks.Input(net.Input, batch: 8, seed: 23);
        var pruner = new ChannelPruner(net, weights, [images], batchNormImages: 1000, pointsPerImage: 8);
        var options = new PruneOptions(Round: 1);
        using var module = pruner.ToModule(pruner.Prune(Policy.Full(pruner.Graph).WithWidth(block.Id, 4), options), options);
        module.eval();
        Assert.All(TestNetworks.Forward(module, images), v => Assert.True(float.IsFinite(v)));
    }

    /// <summary>
    /// GoogLeNet / SqueezeNet forms: a weight shared through an Identity (PyTorch's exporter
    /// deduplicates equal initializers), two branches joined by Concat, a ceil-mode MaxPool, and
    /// x.view(x.size(0), -1) written as Shape, Gather, Unsqueeze, Concat and Reshape (Unsqueeze's
    /// axes an attribute before opset 13, an input from it on).
    /// </summary>
    [Theory]
    [InlineData(11)]
    [InlineData(13)]
    public void Ceil_mode_branches_and_computed_flatten_match_OnnxRuntime(int opset)
    {
        var g = new OnnxGraphBuilder(opset, 3, 8, 8);
        var w = g.Weight("w", [4, 3, 1, 1]);
        var a = g.Node("Conv", "/branch1/Conv", ["x", w]);
        var b = g.Node("Conv", "/branch2/Conv", ["x", g.Node("Identity", "/Identity", [w])]);
        var x = g.Node("Concat", "/Concat", [a, g.Node("Relu", "/branch2/Relu", [b])], Int("axis", 1));
        x = g.Node("MaxPool", "/pool/MaxPool", [x], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Int("ceil_mode", 1));
        var batch = g.Node("Gather", "/Gather", [g.Node("Shape", "/Shape", [x]), g.Scalar64("zero", 0)], Int("axis", 0));
        batch = opset < 13 ? g.Node("Unsqueeze", "/Unsqueeze", [batch], Ints("axes", 0)) : g.Node("Unsqueeze", "/Unsqueeze", [batch, g.Int64s("axes", 0)]);
        var target = g.Node("Concat", "/Concat_1", [batch, g.Int64s("rest", -1)], Int("axis", 0));
        x = g.Node("Reshape", "/Reshape", [x, target]);
        x = g.Node("Gemm", "/fc/Gemm", [x, g.Weight("w2", [5, 8 * 4 * 4]), g.Weight("b2", [5])], Int("transB", 1));

        var net = AssertImportMatchesOnnxRuntime(g.Build(x, 5), $"ceil mode, opset {opset}");
        Assert.True(net["pool"].CeilMode);
        Assert.Equal(new TensorShape(8, 4, 4), ShapeInference.Infer(net)["pool"]); // floor would give 3x3
        Assert.Equal(LayerKind.Flatten, net["Reshape"].Kind);
    }

    /// <summary>LeakyRelu with its slope, PRelu with a slope per channel ([C, 1, 1], sliced when pruned) and a single one.</summary>
    [Fact]
    public void Leaky_and_parametric_relus_match_OnnxRuntime()
    {
        var g = new OnnxGraphBuilder(13, 3, 6, 6);
        var x = g.Node("Conv", "conv1", ["x", g.Weight("w1", [8, 3, 3, 3])], Ints("pads", 1, 1, 1, 1));
        x = g.Node("LeakyRelu", "leaky", [x], Float("alpha", 0.2f));
        x = g.Node("Conv", "conv2", [x, g.Weight("w2", [6, 8, 3, 3])]);
        x = g.Node("PRelu", "prelu", [x, g.Weight("slope", [6, 1, 1], 0.2, 0.25)]);
        x = g.Node("Flatten", "flatten", [g.Node("GlobalAveragePool", "gap", [x])]);
        x = g.Node("Gemm", "fc", [x, g.Weight("w3", [5, 6]), g.Weight("b3", [5])], Int("transB", 1));
        x = g.Node("PRelu", "prelu1", [x, g.Weight("one", [1], 0.1, 0.25)]);
        x = g.Node("Gemm", "head", [x, g.Weight("w4", [4, 5]), g.Weight("b4", [4])], Int("transB", 1));

        var net = AssertImportMatchesOnnxRuntime(g.Build(x, 4), "leaky and parametric");
        Assert.Equal(0.2, net["leaky"].Slope);
        Assert.Equal(["prelu"], ChannelGraph.Build(net)["conv2"].PassThrough);
        Assert.Equal(6 + 5, CostModel.Of(net).Layers.Where(l => l.Kind == LayerKind.PReLU).Sum(l => l.Params));
    }

    /// <summary>
    /// Ceil mode with padding, where PyTorch drops a last window that would start in the right
    /// padding (4 + 2 padded, windows of 2 every 3: two, not three): ONNX Runtime agrees.
    /// </summary>
    [Fact]
    public void Ceil_mode_drops_a_window_starting_in_the_padding_as_OnnxRuntime_does()
    {
        var g = new OnnxGraphBuilder(13, 2, 4, 4);
        var x = g.Node("Conv", "conv", ["x", g.Weight("w", [4, 2, 1, 1])]);
        x = g.Node("MaxPool", "pool", [x], Ints("kernel_shape", 2, 2), Ints("strides", 3, 3), Ints("pads", 1, 1, 1, 1), Int("ceil_mode", 1));
        x = g.Node("Conv", "head", [x, g.Weight("w2", [3, 4, 1, 1])]);
        var net = AssertImportMatchesOnnxRuntime(g.Build(x, 3, 2, 2), "ceil mode with padding");
        Assert.Equal(new TensorShape(4, 2, 2), ShapeInference.Infer(net)["pool"]);
    }

    public static TheoryData<string, string, string> Refusals() => new()
    {
        // form, node named, words the message must hold
        { "hardsigmoid", "gate", "alpha=0.2" },
        { "maxpool", "pool", "never negative" },
        { "shuffle", "shuffle", "flattening reshapes" },
        { "transpose", "permute", "op Transpose is not supported" },
        { "reducemean", "mean", "axes [1]" },
        { "avgpool ceil", "pool", "ceil_mode=1" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Forms_without_an_exact_equivalent_are_refused_naming_op_and_node(string form, string node, string words)
    {
        var g = new OnnxGraphBuilder(13, 4, 6, 6);
        var x = g.Node("Conv", "conv", ["x", g.Weight("w", [4, 4, 1, 1])]);
        x = form switch
        {
            "hardsigmoid" => g.Node("HardSigmoid", node, [x]),
            // a conv's output may be negative: zeros are not -inf for it
            "maxpool" => g.Node("MaxPool", node, [x], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2), Ints("pads", 0, 0, 1, 1)),
            // ShuffleNet's channel shuffle: [N, groups, C / groups, H, W]
            "shuffle" => g.Node("Reshape", node, [x, g.Int64s("shape", 0, 2, 2, 6, 6)]),
            "transpose" => g.Node("Transpose", node, [x], Ints("perm", 0, 2, 3, 1)),
            "reducemean" => g.Node("ReduceMean", node, [x], Ints("axes", 1)),
            _ => g.Node("AveragePool", node, [x], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Int("ceil_mode", 1)),
        };
        var e = Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Import(g.Build(x, 4, 3, 3)));
        output.WriteLine(e.Message);
        Assert.Contains($"'{node}'", e.Message);
        Assert.Contains(words, e.Message);
    }

    /// <summary>A backbone without a classifier: the network's output is a feature map.</summary>
    [Fact]
    public void A_network_ending_in_a_feature_map_imports_and_prunes()
    {
        var g = new OnnxGraphBuilder(13, 3, 6, 6);
        var x = g.Node("Conv", "conv1", ["x", g.Weight("w1", [8, 3, 3, 3])], Ints("pads", 1, 1, 1, 1));
        x = g.Node("Relu", "relu", [x]);
        x = g.Node("Conv", "conv2", [x, g.Weight("w2", [4, 8, 3, 3])], Ints("pads", 1, 1, 1, 1));
        var net = AssertImportMatchesOnnxRuntime(g.Build(x, 4, 6, 6), "feature map");
        Assert.False(ShapeInference.Infer(net)[net.Output.Name].Flat);
    }
}
