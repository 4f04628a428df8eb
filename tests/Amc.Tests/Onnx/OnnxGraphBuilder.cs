using Google.Protobuf;
using Onnx;
using Amc.Onnx;

namespace Amc.Tests.Onnx;

/// <summary>
/// Writes small ONNX graphs by hand, in forms other exporters produce and ours does not
/// (MatMul + Add, Gemm without transB, Reshape, Constant nodes, Clip attributes), so the importer
/// can be checked against ONNX Runtime on them.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    readonly GraphProto graph = new() { Name = "handmade" };
    readonly Random random = new(7);
    readonly int opset;

    public OnnxGraphBuilder(int opset, int c, int h, int w)
    {
        this.opset = opset;
        graph.Input.Add(Value("x", c, h, w));
    }

    /// <summary>Adds a node; returns its output value, named by position since node names may repeat.</summary>
    public string Node(string op, string name, string[] inputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add($"t{graph.Node.Count}");
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
        return node.Output[0];
    }

    /// <summary>A float initializer with values drawn from [offset - scale, offset + scale].</summary>
    public string Weight(string name, long[] dims, double scale = 0.3, double offset = 0)
    {
        long count = dims.Aggregate(1L, (a, b) => a * b);
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        var values = Enumerable.Range(0, (int)count).Select(_ => (float)(offset + scale * (2 * random.NextDouble() - 1))).ToArray();
        // Half the tensors in float_data, half in raw_data: the importer reads both.
        if (graph.Initializer.Count % 2 == 0) t.FloatData.AddRange(values);
        else t.RawData = ByteString.CopyFrom(values.SelectMany(BitConverter.GetBytes).ToArray());
        graph.Initializer.Add(t);
        return name;
    }

    public string Int64s(string name, params long[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        graph.Initializer.Add(t);
        return name;
    }

    /// <summary>An int64 scalar initializer (no dims), as a Gather index picking one entry.</summary>
    public string Scalar64(string name, long value)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Int64Data.Add(value);
        graph.Initializer.Add(t);
        return name;
    }

    /// <summary>A scalar produced by a Constant node, as PyTorch writes Clip bounds.</summary>
    public string Scalar(string name, float value)
    {
        var t = new TensorProto { DataType = (int)TensorProto.Types.DataType.Float };
        t.FloatData.Add(value);
        return Node("Constant", name, [], new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = t });
    }

    public ModelProto Build(string output, params long[] outputDims)
    {
        graph.Output.Add(Value(output, outputDims));
        var model = new ModelProto { IrVersion = 7, ProducerName = "test", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    static ValueInfoProto Value(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    public static AttributeProto Int(string name, long value) => OnnxProto.Int(name, value);

    public static AttributeProto Float(string name, float value) => OnnxProto.Float(name, value);

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Ints(string name, params long[] values) => OnnxProto.Ints(name, values);
}
