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
        if (op.Int8) return BuildInt8(op);
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

    /// <summary>
    /// The integer kernel ONNX Runtime fuses the QDQ form of the op into, uint8 in and uint8 out as
    /// between two int8 layers: DequantizeLinear of the input, of the int8 weights (one scale per
    /// output channel) and of the int32 bias, the Conv or Gemm, and a QuantizeLinear whose zero
    /// point 0 does what a following ReLU or ReLU6 did (<see cref="Quantization.QdqQuantizer"/> folds them so).
    /// </summary>
    static ModelProto BuildInt8(LatencyOp op)
    {
        const TensorProto.Types.DataType U8 = TensorProto.Types.DataType.Uint8, I8 = TensorProto.Types.DataType.Int8, I32 = TensorProto.Types.DataType.Int32;
        var graph = new GraphProto { Name = op.ToString() };
        graph.Input.Add(OnnxProto.Value(OnnxExporter.InputName, [op.In, op.H, op.W], U8));
        var rng = new Random(1);
        const float inScale = 1f / 255, weightScale = 0.01f;
        graph.Initializer.Add(Scalar("in/scale", inScale));
        graph.Initializer.Add(Bytes("in/zero", U8, [], [0]));
        graph.Initializer.Add(Scalar("out/scale", 0.05f));
        graph.Initializer.Add(Bytes("out/zero", U8, [], [op.Activation == FusedActivation.None ? (byte)128 : (byte)0]));
        long[] weightDims = op.Kind == LayerKind.Linear ? [op.Out, op.In] : [op.Out, op.In / op.Groups, op.Kernel, op.Kernel];
        var weights = new byte[weightDims.Aggregate(1L, (a, b) => a * b)];
        for (int i = 0; i < weights.Length; i++) weights[i] = (byte)(sbyte)rng.Next(-64, 65);
        graph.Initializer.Add(Bytes("w/q", I8, weightDims, weights));
        graph.Initializer.Add(Initializer("w/scale", [op.Out], [.. Enumerable.Repeat(weightScale, op.Out)]));
        graph.Initializer.Add(Bytes("w/zero", I8, [op.Out], new byte[op.Out]));
        var bias = Enumerable.Range(0, op.Out).Select(_ => rng.Next(-1000, 1000)).ToArray();
        graph.Initializer.Add(Bytes("b/q", I32, [op.Out], System.Runtime.InteropServices.MemoryMarshal.AsBytes(bias.AsSpan()).ToArray()));
        graph.Initializer.Add(Initializer("b/scale", [op.Out], [.. Enumerable.Repeat(inScale * weightScale, op.Out)]));
        graph.Initializer.Add(Bytes("b/zero", I32, [op.Out], new byte[4 * op.Out]));
        Add(graph, "DequantizeLinear", ["w/q", "w/scale", "w/zero"], "w", Int("axis", 0));
        Add(graph, "DequantizeLinear", ["b/q", "b/scale", "b/zero"], "b", Int("axis", 0));

        if (op.Kind == LayerKind.Linear)
        {
            Add(graph, "Flatten", [OnnxExporter.InputName], "flat", Int("axis", 1));
            Add(graph, "DequantizeLinear", ["flat", "in/scale", "in/zero"], "x");
            Add(graph, "Gemm", ["x", "w", "b"], "y", Int("transB", 1));
            Add(graph, "QuantizeLinear", ["y", "out/scale", "out/zero"], OnnxExporter.OutputName);
            graph.Output.Add(OnnxProto.Value(OnnxExporter.OutputName, [op.Out], U8));
        }
        else
        {
            Add(graph, "DequantizeLinear", [OnnxExporter.InputName, "in/scale", "in/zero"], "x");
            Add(graph, "Conv", ["x", "w", "b"], "y",
                Ints("kernel_shape", op.Kernel, op.Kernel), Ints("strides", op.Stride, op.Stride),
                Ints("pads", op.Padding, op.Padding, op.Padding, op.Padding), Ints("dilations", op.Dilation, op.Dilation),
                Int("group", op.Groups));
            Add(graph, "QuantizeLinear", ["y", "out/scale", "out/zero"], OnnxExporter.OutputName);
            int oh = (op.H + 2 * op.Padding - op.Dilation * (op.Kernel - 1) - 1) / op.Stride + 1;
            int ow = (op.W + 2 * op.Padding - op.Dilation * (op.Kernel - 1) - 1) / op.Stride + 1;
            graph.Output.Add(OnnxProto.Value(OnnxExporter.OutputName, [op.Out, oh, ow], U8));
        }
        return Model(graph, "amc latency table");
    }

    static TensorProto Bytes(string name, TensorProto.Types.DataType type, long[] dims, byte[] data)
    {
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = Google.Protobuf.ByteString.CopyFrom(data) };
        t.Dims.AddRange(dims);
        return t;
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
