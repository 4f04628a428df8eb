using Google.Protobuf;
using Onnx;

namespace Amc.Tests.Robustness;

/// <summary>
/// Structural damage to an ONNX model that still parses as protobuf, so it reaches the
/// importer's checks: odd attribute values and types, nodes without inputs or outputs, 64-bit
/// dims, initializers whose size disagrees with their dims, Constant nodes without a value.
/// </summary>
static class OnnxMutations
{
    static readonly long[] OddInts = [0, -1, -3, 4294967324L, 1L << 40, long.MaxValue, long.MinValue, 7];
    static readonly string[] Ops = ["Conv", "Gemm", "Constant", "Identity", "Reshape", "Flatten", "Concat", "Add", "MaxPool", "Pad", "Clip", "NotAnOp"];

    public static (byte[] Bytes, string What) Apply(byte[] valid, Mutator m)
    {
        var model = ModelProto.Parser.ParseFrom(valid);
        var g = model.Graph;
        string what;
        var node = g.Node[m.Next(g.Node.Count)];
        switch (m.Next(10))
        {
            case 0:
                node.Output.Clear();
                what = $"node {node.Name} without outputs";
                break;
            case 1:
                node.Input.Clear();
                what = $"node {node.Name} without inputs";
                break;
            case 2:
                node.OpType = Ops[m.Next(Ops.Length)];
                what = $"node {node.Name} op set to {node.OpType}";
                break;
            case 3 when node.Attribute.Count > 0:
            {
                var a = node.Attribute[m.Next(node.Attribute.Count)];
                long v = OddInts[m.Next(OddInts.Length)];
                if (a.Ints.Count > 0) a.Ints[m.Next(a.Ints.Count)] = v;
                else a.I = v;
                what = $"node {node.Name} attribute {a.Name} value {v}";
                break;
            }
            case 4 when node.Attribute.Count > 0:
            {
                var a = node.Attribute[m.Next(node.Attribute.Count)];
                a.Type = (AttributeProto.Types.AttributeType)m.Next(15);
                what = $"node {node.Name} attribute {a.Name} type {a.Type}";
                break;
            }
            case 5:
            {
                var input = g.Input[0].Type.TensorType.Shape.Dim;
                int d = m.Next(input.Count);
                long v = OddInts[m.Next(OddInts.Length)];
                input[d] = new TensorShapeProto.Types.Dimension { DimValue = v };
                what = $"input dim {d} = {v}";
                break;
            }
            case 6 when g.Initializer.Count > 0:
            {
                var t = g.Initializer[m.Next(g.Initializer.Count)];
                if (t.Dims.Count > 0 && m.Next(2) == 0)
                {
                    long v = OddInts[m.Next(OddInts.Length)];
                    t.Dims[m.Next(t.Dims.Count)] = v;
                    what = $"initializer {t.Name} dim = {v}";
                }
                else
                {
                    t.DataType = m.Next(17);
                    what = $"initializer {t.Name} data type {t.DataType}";
                }
                break;
            }
            case 7:
            {
                var c = new NodeProto { OpType = "Constant", Name = "odd_constant" };
                c.Output.Add(node.Input.Count > 0 ? node.Input[0] : "odd");
                switch (m.Next(4))
                {
                    case 0: break;
                    case 1: c.Attribute.Add(new AttributeProto { Name = "value_floats", Type = AttributeProto.Types.AttributeType.Floats, Floats = { 1f, 2f } }); break;
                    case 2: c.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Int, I = 3 }); break;
                    default: c.Attribute.Add(new AttributeProto { Name = "sparse_value", Type = AttributeProto.Types.AttributeType.SparseTensor }); break;
                }
                g.Node.Insert(m.Next(g.Node.Count + 1), c);
                what = $"Constant node variant feeding {c.Output[0]}";
                break;
            }
            case 8:
                g.Node.Remove(node);
                what = $"node {node.Name} removed";
                break;
            default:
            {
                var copy = node.Clone();
                g.Node.Insert(m.Next(g.Node.Count + 1), copy);
                what = $"node {node.Name} duplicated";
                break;
            }
        }
        return (model.ToByteArray(), what);
    }
}
