using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using Amc.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace Amc.Onnx;

/// <summary>
/// A fine-grained sparse network as an ONNX file whose size reflects its zeros: every float
/// initializer that is smaller stored sparse becomes a SparseTensorProto in graph.sparse_initializer
/// (the non-zero values as float32, their flat positions as int64 indices, which protobuf writes as
/// varints of 1 to 3 bytes for a conv's weights), so a weight pays off once a little under half of it
/// is zero. ONNX Runtime turns sparse initializers back into dense tensors when it loads the model:
/// the file and the download shrink, the memory and the compute at run time do not.
/// </summary>
public static class OnnxSparseWeights
{
    /// <summary>Moves the initializers that are smaller sparse to sparse initializers; returns how many it moved.</summary>
    public static int Sparsify(ModelProto model)
    {
        var graph = model.Graph;
        int moved = 0;
        foreach (var t in graph.Initializer.ToList())
        {
            if (t.DataType != (int)TensorProto.Types.DataType.Float || t.DataLocation == TensorProto.Types.DataLocation.External) continue;
            var values = Floats(t);
            var nonZero = new List<long>();
            long indexBytes = 0;
            for (int i = 0; i < values.Length; i++)
                if (values[i] != 0)
                {
                    nonZero.Add(i);
                    indexBytes += CodedOutputStream.ComputeInt64Size(i);
                }
            if (4L * nonZero.Count + indexBytes >= 4L * values.Length) continue;
            var kept = nonZero.Select(i => values[i]).ToArray();
            var sparse = new SparseTensorProto
            {
                Values = new TensorProto { Name = t.Name, DataType = (int)TensorProto.Types.DataType.Float, Dims = { nonZero.Count }, RawData = Raw(kept) },
                Indices = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64, Dims = { nonZero.Count } },
            };
            sparse.Indices.Int64Data.AddRange(nonZero);
            sparse.Dims.AddRange(t.Dims);
            graph.Initializer.Remove(t);
            graph.SparseInitializer.Add(sparse);
            moved++;
        }
        return moved;
    }

    /// <summary>The bytes of the model as a file.</summary>
    public static long Bytes(ModelProto model) => model.CalculateSize();

    /// <summary>The size of the ONNX file `amc export --onnx --sparse` writes for these weights (BN folded; its few bytes of preprocessing metadata aside).</summary>
    public static long SparseFileBytes(Network net, IReadOnlyDictionary<string, Tensor> weights)
    {
        var model = OnnxExporter.Export(net, weights);
        Sparsify(model);
        return Bytes(model);
    }

    static float[] Floats(TensorProto t) =>
        t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : t.FloatData.ToArray();

    static ByteString Raw(float[] values)
    {
        if (BitConverter.IsLittleEndian) return ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        // raw_data is little-endian by definition.
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return ByteString.CopyFrom(bytes);
    }
}
