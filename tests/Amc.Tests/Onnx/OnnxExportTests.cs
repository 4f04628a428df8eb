using Amc.Graph;
using Onnx;
using Xunit.Abstractions;
using Amc.Onnx;

namespace Amc.Tests.Onnx;

public class OnnxExportTests(ITestOutputHelper output)
{
    const float Tolerance = 1e-4f;

    [Theory]
    [MemberData(nameof(TestNetworks.ModelsAndPruning), MemberType = typeof(TestNetworks))]
    public void OnnxRuntime_matches_TorchSharp(string model, bool narrowed)
    {
        var net = TestNetworks.Build(model, narrowed);
        using var module = TestNetworks.Randomized(net, seed: 1);
        using var x = TestNetworks.Input(net.Input, batch: 3, seed: 2);
        var expected = TestNetworks.Forward(module, x);
        var input = x.data<float>().ToArray();
        foreach (bool fold in new[] { true, false })
        {
            using var session = new OnnxRuntimeSession(OnnxExporter.Export(net, module.Tensors(), fold), intraOpThreads: 1);
            var actual = session.Run(input, batch: 3);
            float diff = TestNetworks.MaxAbsDiff(expected, actual);
            output.WriteLine($"{model}{(narrowed ? " narrowed" : "")} fold={fold}: max |logit| {expected.Max(Math.Abs):g3}, max abs diff {diff:e2}");
            Assert.True(diff < Tolerance, $"{model} (narrowed={narrowed}, fold={fold}): max abs diff {diff}");
        }
    }

    /// <summary>
    /// Every layer kind and the export's special cases: a conv with bias folded into its BN, a
    /// conv read twice (its BN must stay), a three-input add, padded average pooling, grouped and
    /// dilated convs, a linear without bias and a Dropout as the very last layer.
    /// </summary>
    internal static Network AllKinds()
    {
        var b = new NetworkBuilder("all-kinds", new TensorShape(3, 16, 16));
        var x = b.ReLU6("act1", b.BN("bn1", b.Conv("conv1", Network.InputName, 8, 3, 1, 1, bias: true)));
        var c2 = b.Conv("conv2", x, 8, 3, 1, 1);
        var b2 = b.BN("bn2", c2);
        var dw = b.Depthwise("dw", x, 8, 3, 1, 1);
        x = b.ReLU("relu", b.Sum("sum", b2, c2, dw));
        x = b.Concat("cat", b.MaxPool("maxpool", x, 3, 2, 1), b.AvgPool("avgpool", x, 3, 2, 1));
        x = b.Conv("grouped", x, 16, 3, 1, 2, groups: 4, dilation: 2);
        x = b.Flatten("flatten", b.GlobalAvgPool("gap", x));
        x = b.ReLU("fc1.relu", b.Linear("fc1", x, 12, bias: false));
        x = b.Linear("fc2", b.Dropout("drop1", x, 0.5), 10);
        b.Dropout("drop2", x, 0.3);
        return b.Build();
    }

    [Fact]
    public void Every_layer_kind_matches_TorchSharp()
    {
        var net = AllKinds();
        using var module = TestNetworks.Randomized(net, seed: 3);
        using var x = TestNetworks.Input(net.Input, batch: 4, seed: 4);
        var expected = TestNetworks.Forward(module, x);
        foreach (bool fold in new[] { true, false })
        {
            var onnx = OnnxExporter.Export(net, module.Tensors(), fold);
            var ops = onnx.Graph.Node.Select(n => n.OpType).ToList();
            // bn1 folds into conv1; bn2 stays because conv2 is also read by the add.
            Assert.Equal(fold ? 1 : 2, ops.Count(o => o == "BatchNormalization"));
            Assert.Equal(2, ops.Count(o => o == "Add"));
            Assert.Equal("Identity", onnx.Graph.Node[^1].OpType);
            using var session = new OnnxRuntimeSession(onnx, intraOpThreads: 1);
            float diff = TestNetworks.MaxAbsDiff(expected, session.Run(x.data<float>().ToArray(), 4));
            output.WriteLine($"all-kinds fold={fold}: max abs diff {diff:e2}");
            Assert.True(diff < Tolerance, $"fold={fold}: max abs diff {diff}");
        }
    }

    [Fact]
    public void Graph_has_a_symbolic_batch_and_named_input_and_output()
    {
        var net = TestNetworks.Build("resnet20");
        using var module = TestNetworks.Randomized(net, seed: 5);
        var onnx = OnnxExporter.Export(net, module.Tensors());
        Assert.Equal(13, onnx.OpsetImport.Single().Version);
        var input = onnx.Graph.Input.Single();
        Assert.Equal("input", input.Name);
        Assert.Equal(["N", "3", "32", "32"], input.Type.TensorType.Shape.Dim.Select(d => d.DimParam != "" ? d.DimParam : d.DimValue.ToString()));
        Assert.Equal("logits", onnx.Graph.Output.Single().Name);
        Assert.DoesNotContain(onnx.Graph.Node, n => n.OpType == "BatchNormalization");
        Assert.Contains(onnx.Graph.Node, n => n.Name == "layer1.0.conv1" && n.OpType == "Conv");

        using var session = new OnnxRuntimeSession(onnx, intraOpThreads: 1);
        foreach (int batch in new[] { 1, 4 })
        {
            using var x = TestNetworks.Input(net.Input, batch, seed: 6);
            Assert.Equal(batch * 10, session.Run(x.data<float>().ToArray(), batch).Length);
        }
        Assert.Throws<ArgumentException>(() => session.Run(new float[10], 1));
    }

    [Fact]
    public void Saves_atomically_and_runs_from_the_file()
    {
        var dir = Directory.CreateTempSubdirectory("amc-onnx-");
        try
        {
            var net = TestNetworks.Build("mobilenet", narrowed: true);
            using var module = TestNetworks.Randomized(net, seed: 7);
            var path = Path.Combine(dir.FullName, "model.onnx");
            OnnxExporter.Save(path, net, module.Tensors());
            Assert.Equal(["model.onnx"], Directory.GetFiles(dir.FullName).Select(Path.GetFileName));

            using var x = TestNetworks.Input(net.Input, 2, seed: 8);
            using var session = OnnxRuntimeSession.FromFile(path, intraOpThreads: 1);
            float diff = TestNetworks.MaxAbsDiff(TestNetworks.Forward(module, x), session.Run(x.data<float>().ToArray(), 2));
            Assert.True(diff < Tolerance, $"max abs diff {diff}");
            Assert.Equal(OnnxExporter.Export(net, module.Tensors()), OnnxFile.Load(path));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Missing_or_misshapen_weights_are_refused()
    {
        var net = TestNetworks.Build("resnet20");
        using var module = TestNetworks.Randomized(net, seed: 9);
        var weights = module.Tensors();
        weights.Remove("fc.bias");
        Assert.Contains("fc.bias", Assert.Throws<ArgumentException>(() => OnnxExporter.Export(net, weights)).Message);
        using var wrong = TorchSharp.torch.zeros(3, 3);
        weights["fc.bias"] = wrong;
        Assert.Contains("shape", Assert.Throws<ArgumentException>(() => OnnxExporter.Export(net, weights)).Message);
    }
}
