using Amc.Graph;
using Amc.Onnx;
using Amc.Torch;

namespace Amc.Tests.Graph;

/// <summary>
/// The check list for adding a layer kind (docs/ARCHITECTURE.md): every <see cref="LayerKind"/>
/// must have its rule in <see cref="LayerRules"/>, a TorchSharp module in <see cref="GraphModule"/>,
/// an ONNX node in <see cref="OnnxExporter"/> and come back from <see cref="OnnxImporter"/>. A new
/// kind fails here first, at the step still missing.
/// </summary>
public class LayerKindCoverageTests
{
    public static TheoryData<LayerKind> Kinds() => new(Enum.GetValues<LayerKind>());

    /// <summary>A conv, the kind under test, then global pooling and a Linear to logits.</summary>
    static Network Minimal(LayerKind kind)
    {
        var b = new NetworkBuilder($"only-{kind}", new TensorShape(3, 8, 8));
        var x = b.Conv("conv", Network.InputName, 4, 3, 1, 1);
        x = kind switch
        {
            LayerKind.Conv2d => b.Conv("k", x, 6, 3, 1, 1, bias: true),
            LayerKind.BatchNorm2d => b.BN("k", x),
            LayerKind.ReLU => b.ReLU("k", x),
            LayerKind.ReLU6 => b.ReLU6("k", x),
            LayerKind.MaxPool => b.MaxPool("k", x, 3, 2, 1),
            LayerKind.AvgPool => b.AvgPool("k", x, 3, 2, 1),
            LayerKind.GlobalAvgPool => b.GlobalAvgPool("k", x),
            LayerKind.Flatten => b.Flatten("k", x),
            LayerKind.Linear => b.Linear("k", b.Flatten("flat", b.GlobalAvgPool("pool", x)), 6),
            LayerKind.Add => b.Sum("k", x, b.ReLU("relu", x)),
            LayerKind.Concat => b.Concat("k", x, b.ReLU("relu", x)),
            LayerKind.Dropout => b.Dropout("k", x, 0.5),
            LayerKind.Sigmoid or LayerKind.HardSigmoid or LayerKind.HardSwish or LayerKind.SiLU or LayerKind.PReLU =>
                b.Add(new Layer { Name = "k", Kind = kind, Inputs = [x] }),
            // squeeze-and-excitation: the block scaled by a gate computed from its pooled channels
            LayerKind.Mul => b.Add(new Layer { Name = "k", Kind = kind, Inputs = [x, b.Add(new Layer { Name = "gate", Kind = LayerKind.Sigmoid, Inputs = [b.Conv("se", b.GlobalAvgPool("squeeze", x), 4, 1, bias: true)] })] }),
            LayerKind.LeakyReLU => b.Add(new Layer { Name = "k", Kind = kind, Inputs = [x], Slope = 0.2 }),
            LayerKind.Pad => b.Add(new Layer { Name = "k", Kind = kind, Inputs = [x], Pads = [1, 0, 2, 1] }),
            _ => throw new Xunit.Sdk.XunitException($"LayerKind.{kind} has no minimal network: add one to {nameof(LayerKindCoverageTests)}.{nameof(Minimal)}"),
        };
        if (!ShapeInference.Infer(b.Build())[x].Flat) x = b.Flatten("flatten", b.GlobalAvgPool("gap", x));
        b.Linear("fc", x, 5);
        return b.Build();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_kind_has_a_rule_a_module_and_an_ONNX_round_trip(LayerKind kind)
    {
        Assert.True(LayerRules.Table.ContainsKey(kind), $"LayerRules.Table has no entry for {kind}");
        var net = Minimal(kind);

        // Graph: the table's entries agree with each other on the full-width network.
        var cost = CostModel.Of(net);
        var graph = ChannelGraph.Build(net);
        var widthCost = new GroupWidthCost(net, graph);
        Assert.Equal((cost.Macs, cost.Params), widthCost.Of(widthCost.Full()));
        long specParams = ParameterShapes.Of(net).Where(s => !s.Param.StartsWith("running_")).Sum(s => s.Shape.Aggregate(1L, (a, d) => a * d));
        Assert.Equal(cost.Params, specParams);

        // Runtime: GraphModule builds the kind and runs it.
        using var module = TestNetworks.Randomized(net, seed: 1);
        module.eval(); // Dropout is the identity, as in the exported model
        using var x = TestNetworks.Input(net.Input, batch: 2, seed: 2);
        var expected = TestNetworks.Forward(module, x);
        Assert.Equal(2 * 5, expected.Length);

        // ONNX: the exporter emits it, the importer reads it back as the same kind and costs.
        var (imported, weights) = OnnxImporter.Import(OnnxExporter.Export(net, module.Tensors(), foldBatchNorm: false));
        if (kind != LayerKind.Dropout) // inference identity: the exporter writes no node for it
            Assert.Contains(imported.Layers, l => l.Kind == kind && l.Name == "k");
        var importedCost = CostModel.Of(imported);
        Assert.Equal((cost.Macs, cost.Params), (importedCost.Macs, importedCost.Params));
        using var back = new GraphModule(imported);
        back.LoadTensors(weights);
        back.eval();
        var actual = TestNetworks.Forward(back, x);
        Assert.True(TestNetworks.MaxAbsDiff(expected, actual) < 1e-4f, $"{kind}: the imported network computes something else");
    }
}
