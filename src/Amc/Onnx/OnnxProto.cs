using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace Amc.Onnx;

/// <summary>The ONNX protobuf pieces the exporter and the latency table's one-layer models are built from.</summary>
internal static class OnnxProto
{
    /// <summary>A model of one graph at the exporter's opset, or at <paramref name="opset"/>.</summary>
    public static ModelProto Model(GraphProto graph, string producer, string producerVersion = "", int opset = OnnxExporter.Opset)
    {
        var model = new ModelProto
        {
            IrVersion = opset <= 13 ? 7 : 8, // the first IR versions that carry opsets 13 and 14-15
            ProducerName = producer,
            ProducerVersion = producerVersion,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    public static void Node(GraphProto graph, string op, string name, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
    }

    /// <summary>A tensor value (float unless said) with a symbolic batch dimension "N" in front of the given dims.</summary>
    public static ValueInfoProto Value(string name, long[] dims, TensorProto.Types.DataType type = TensorProto.Types.DataType.Float)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    /// <summary>A float vector value of fixed length (no batch dimension).</summary>
    public static ValueInfoProto Vector(string name, long length)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = length });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    public static TensorProto Initializer(string name, long[] dims, float[] data)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        // raw_data is little-endian by definition; float_data is the portable fallback.
        if (BitConverter.IsLittleEndian) t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan()));
        else t.FloatData.AddRange(data);
        return t;
    }

    public static TensorProto Int64Initializer(string name, long[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64, Dims = { values.Length } };
        t.Int64Data.AddRange(values);
        return t;
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }
}
