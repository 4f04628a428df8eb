using Amc.Graph;
using Onnx;
using static Amc.Onnx.OnnxProto;
using Amc.Onnx;

namespace Amc.Latency;

/// <summary>
/// The one-layer ONNX model a <see cref="LatencyOp"/> is timed with, written the way
/// <see cref="OnnxExporter"/> writes that layer (same opset, symbolic batch, bias from a folded
/// BatchNorm), so ONNX Runtime picks the same kernel as in the whole network. The input is always
/// [N, C, H, W] because <see cref="OnnxRuntimeSession"/> runs image models; a linear layer reads
/// [N, F, 1, 1] through a Flatten, which is a free reshape.
/// </summary>
internal static class LatencyOpModel
{
    public static ModelProto Build(LatencyOp op)
    {
        var graph = new GraphProto { Name = op.ToString() };
        graph.Input.Add(Value(OnnxExporter.InputName, op.In, op.H, op.W));
        // Small non-zero weights: the values do not change a dense float kernel's time, but zeros
        // or huge values could reach special paths (denormals, infinities).
        var rng = new Random(1);
        string x = OnnxExporter.InputName, y = op.Activation == FusedActivation.None ? OnnxExporter.OutputName : "pre";
        if (op.Kind == LayerKind.Linear)
        {
            Add(graph, "Flatten", [x], "flat", Int("axis", 1));
            graph.Initializer.Add(Tensor("w", [op.Out, op.In], rng));
            graph.Initializer.Add(Tensor("b", [op.Out], rng));
            Add(graph, "Gemm", ["flat", "w", "b"], y, Int("transB", 1));
            graph.Output.Add(FlatValue(OnnxExporter.OutputName, op.Out));
        }
        else
        {
            graph.Initializer.Add(Tensor("w", [op.Out, op.In / op.Groups, op.Kernel, op.Kernel], rng));
            graph.Initializer.Add(Tensor("b", [op.Out], rng));
            Add(graph, "Conv", [x, "w", "b"], y,
                Ints("kernel_shape", op.Kernel, op.Kernel), Ints("strides", op.Stride, op.Stride),
                Ints("pads", op.Padding, op.Padding, op.Padding, op.Padding), Ints("dilations", op.Dilation, op.Dilation),
                Int("group", op.Groups));
            int oh = (op.H + 2 * op.Padding - op.Dilation * (op.Kernel - 1) - 1) / op.Stride + 1;
            int ow = (op.W + 2 * op.Padding - op.Dilation * (op.Kernel - 1) - 1) / op.Stride + 1;
            graph.Output.Add(Value(OnnxExporter.OutputName, op.Out, oh, ow));
        }
        switch (op.Activation)
        {
            case FusedActivation.Relu:
                Add(graph, "Relu", [y], OnnxExporter.OutputName);
                break;
            case FusedActivation.Relu6:
                graph.Initializer.Add(Scalar("lo", 0f));
                graph.Initializer.Add(Scalar("hi", 6f));
                Add(graph, "Clip", [y, "lo", "hi"], OnnxExporter.OutputName);
                break;
        }
        return Model(graph, "amc latency table");
    }

    static void Add(GraphProto graph, string op, string[] inputs, string output, params AttributeProto[] attributes) =>
        Node(graph, op, $"{op}_{graph.Node.Count}", inputs, output, attributes);

    static ValueInfoProto Value(string name, int c, int h, int w) => OnnxProto.Value(name, [c, h, w]);

    static ValueInfoProto FlatValue(string name, int features) => OnnxProto.Value(name, [features]);

    static TensorProto Tensor(string name, long[] dims, Random rng)
    {
        var data = new float[dims.Aggregate(1L, (a, b) => a * b)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() - 0.5) * 0.1f;
        return Initializer(name, dims, data);
    }

    static TensorProto Scalar(string name, float value) => Initializer(name, [], [value]);
}
