using Amc.Graph;
using Onnx;
using Xunit.Abstractions;
using static TorchSharp.torch;
using static Amc.Tests.Onnx.OnnxGraphBuilder;
using Amc.Onnx;
using Amc.Torch;

namespace Amc.Tests.Onnx;

public class OnnxImportTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(TestNetworks.ModelsAndPruning), MemberType = typeof(TestNetworks))]
    public void Import_of_export_gives_the_description_and_outputs_back(string model, bool narrowed)
    {
        var net = TestNetworks.Build(model, narrowed);
        using var module = TestNetworks.Randomized(net, seed: 11);
        using var x = TestNetworks.Input(net.Input, batch: 2, seed: 12);
        var expected = TestNetworks.Forward(module, x);

        void AssertOutputs(Network back, Dictionary<string, Tensor> weights, string form, double tolerance)
        {
            using var imported = new GraphModule(back);
            imported.LoadTensors(weights);
            imported.eval();
            float diff = TestNetworks.MaxAbsDiff(expected, TestNetworks.Forward(imported, x));
            output.WriteLine($"{model}{(narrowed ? " narrowed" : "")} {form}: max abs diff {diff:e2}");
            Assert.True(diff < tolerance, $"{form}: max abs diff {diff}");
        }

        // Unfolded, the graph holds every layer but Dropout: the description comes back as it was.
        var (back, weights) = OnnxImporter.Import(OnnxExporter.Export(net, module.Tensors(), foldBatchNorm: false));
        Assert.Equal(NetworkJson.Write(WithoutDropout(net)), NetworkJson.Write(back));
        AssertOutputs(back, weights, "unfolded", 1e-5);

        // Folded, every BN has become its conv's bias.
        (back, weights) = OnnxImporter.Import(OnnxExporter.Export(net, module.Tensors()));
        Assert.DoesNotContain(back.Layers, l => l.Kind == LayerKind.BatchNorm2d);
        AssertOutputs(back, weights, "folded", 1e-4);
    }

    /// <summary>The description with each Dropout removed and its readers reading its input.</summary>
    static Network WithoutDropout(Network net)
    {
        var source = net.Layers.Where(l => l.Kind == LayerKind.Dropout).ToDictionary(l => l.Name, l => l.Input);
        string Resolve(string name) => source.TryGetValue(name, out var s) ? Resolve(s) : name;
        return net.WithLayers(net.Layers.Where(l => l.Kind != LayerKind.Dropout)
            .Select(l => l with { Inputs = l.Inputs.Select(Resolve).ToList() }).ToList());
    }

    [Fact]
    public void Every_layer_kind_survives_the_round_trip()
    {
        var net = OnnxExportTests.AllKinds();
        using var module = TestNetworks.Randomized(net, seed: 13);
        using var x = TestNetworks.Input(net.Input, batch: 3, seed: 14);
        var (back, weights) = OnnxImporter.Import(OnnxExporter.Export(net, module.Tensors()));
        using var imported = new GraphModule(back);
        imported.LoadTensors(weights);
        imported.eval();
        float diff = TestNetworks.MaxAbsDiff(TestNetworks.Forward(module, x), TestNetworks.Forward(imported, x));
        Assert.True(diff < 1e-4, $"max abs diff {diff}");
        Assert.Equal("fc2", back.Output.Name);
    }

    /// <summary>
    /// Forms other exporters write: PyTorch's scoped node names, zero Pad nodes before a Conv and
    /// an AveragePool, Clip bounds from Cast Constant nodes (attributes before opset 11),
    /// BatchNormalization with its own epsilon, Identity, Reshape [0, -1], MatMul + Add, Dropout,
    /// Gemm with transB=0, and empty and clashing node names.
    /// </summary>
    static ModelProto OtherExportersModel(int opset)
    {
        var g = new OnnxGraphBuilder(opset, 3, 8, 8);
        string Pad(string name, string x) => opset < 11
            ? g.Node("Pad", name, [x], Ints("pads", 0, 0, 1, 1, 0, 0, 1, 1), String("mode", "constant"))
            : g.Node("Pad", name, [x, g.Int64s(name + ".pads", 0, 0, 1, 1, 0, 0, 1, 1)], String("mode", "constant"));
        var x = Pad("/features/features.0/Pad", "x");
        x = g.Node("Conv", "/features/features.0/Conv", [x, g.Weight("w1", [6, 3, 3, 3]), g.Weight("b1", [6])],
            Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1), Ints("strides", 1, 1));
        x = g.Node("BatchNormalization", "input",
            [x, g.Weight("gamma", [6], 0.5, 1), g.Weight("beta", [6]), g.Weight("mean", [6]), g.Weight("var", [6], 0.4, 1)],
            Float("epsilon", 1e-3f));
        x = opset < 11
            ? g.Node("Clip", "", [x], Float("min", 0), Float("max", 6))
            : g.Node("Clip", "", [x, g.Node("Cast", "lo", [g.Scalar("zero", 0)], Int("to", 1)), g.Node("Cast", "hi", [g.Scalar("six", 6)], Int("to", 1))]);
        x = g.Node("AveragePool", "/pool/AveragePool", [Pad("/pool/Pad", x)],
            Ints("kernel_shape", 2, 2), Ints("strides", 2, 2), Ints("pads", 0, 0, 0, 0), Int("count_include_pad", 0));
        x = g.Node("Identity", "same", [x]);
        x = g.Node("Reshape", "/pool/", [x, g.Int64s("shape", 0, -1)]);
        x = g.Node("MatMul", "fc", [x, g.Weight("w2", [6 * 6 * 6, 7], 0.1)]);
        x = g.Node("Add", "fc.add", [x, g.Weight("b2", [7])]);
        x = g.Node("Dropout", "drop", [x]);
        x = g.Node("Relu", "relu", [x]);
        x = g.Node("Gemm", "head", [x, g.Weight("w3", [7, 4]), g.Weight("b3", [1, 4])], Int("transB", 0));
        return g.Build(x, 4);
    }

    [Theory]
    [InlineData(13)]
    [InlineData(10)]
    public void Other_exporters_forms_match_OnnxRuntime(int opset)
    {
        var onnx = OtherExportersModel(opset);
        var (net, weights) = OnnxImporter.Import(onnx, "other");
        // An unnamed node is named by its op and position (the opset-13 graph has Constant and Cast nodes first).
        string clip = opset < 11 ? "clip3" : "clip7";
        Assert.Equal(
            ["features.0", "input_1", clip, "pool", "pool_1", "fc", "relu", "head"],
            net.Layers.Select(l => l.Name));
        Assert.Equal(LayerKind.ReLU6, net[clip].Kind);
        Assert.Equal(2, net["features.0"].PaddingValue);
        Assert.Equal(1, net["pool"].PaddingValue);
        Assert.True(net["fc"].HasBias);

        using var module = new GraphModule(net);
        module.LoadTensors(weights);
        module.eval();
        using var x = TestNetworks.Input(net.Input, batch: 3, seed: 15);
        using var session = new OnnxRuntimeSession(onnx, intraOpThreads: 1);
        float diff = TestNetworks.MaxAbsDiff(session.Run(x.data<float>().ToArray(), 3), TestNetworks.Forward(module, x));
        output.WriteLine($"hand-written opset {opset}: max abs diff {diff:e2}");
        Assert.True(diff < 1e-5, $"max abs diff {diff}");
    }

    public static TheoryData<string, string, string> Refusals() => new()
    {
        // mutation of an exported ResNet-50, node, words the message must hold
        { "op", "layer1.0.relu1", "Tanh" },
        { "auto_pad", "layer2.0.conv2", "SAME_UPPER with explicit pads" },
        { "strides", "layer1.0.conv2", "equal values" },
        { "concat", "layer1.0.add", "axis=2" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Unsupported_models_are_refused_naming_op_and_node(string mutation, string node, string words)
    {
        var net = TestNetworks.Build("resnet50");
        using var module = TestNetworks.Randomized(net, seed: 16);
        var onnx = OnnxExporter.Export(net, module.Tensors());
        var n = onnx.Graph.Node.Single(n => n.Name == node);
        switch (mutation)
        {
            case "op":
                n.OpType = "Tanh";
                break;
            case "auto_pad":
                n.Attribute.Add(String("auto_pad", "SAME_UPPER"));
                break;
            case "strides":
                SetInts(n, "strides", 1, 2);
                break;
            case "concat":
                n.OpType = "Concat";
                n.Attribute.Add(Int("axis", 2));
                break;
        }
        var e = Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Import(onnx));
        output.WriteLine(e.Message);
        Assert.Contains($"'{node}'", e.Message);
        Assert.Contains(n.OpType, e.Message);
        Assert.Contains(words, e.Message);
        Assert.Contains("supported", e.Message);
    }

    static void SetInts(NodeProto n, string name, params long[] values)
    {
        var a = n.Attribute.Single(a => a.Name == name);
        a.Ints.Clear();
        a.Ints.AddRange(values);
    }

    [Fact]
    public void Unsupported_op_lists_what_is_supported()
    {
        var g = new OnnxGraphBuilder(13, 1, 4, 4);
        var x = g.Node("Conv", "conv", ["x", g.Weight("w", [2, 1, 1, 1])]);
        x = g.Node("Softmax", "probabilities", [x]);
        var e = Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Import(g.Build(x, 2, 4, 4)));
        Assert.Contains("'probabilities'", e.Message);
        Assert.Contains("Softmax", e.Message);
        Assert.Contains(OnnxImporter.SupportedOps, e.Message);
    }

    [Fact]
    public void Clip_other_than_relu6_is_refused()
    {
        var g = new OnnxGraphBuilder(13, 1, 4, 4);
        var x = g.Node("Clip", "clip4", ["x", g.Scalar("lo", 0), g.Scalar("hi", 4)]);
        var e = Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Import(g.Build(x, 1, 4, 4)));
        Assert.Contains("'clip4'", e.Message);
        Assert.Contains("Clip(0, 4)", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_onnx_is_refused()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "this is not a protobuf message, just some text\n");
            var e = Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Load(path));
            Assert.Contains("not an ONNX model", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
