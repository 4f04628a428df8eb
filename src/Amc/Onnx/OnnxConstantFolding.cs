using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Amc.Onnx;

/// <summary>
/// The part of the importer that computes at import time what exporters compute in the graph
/// from constants only: a weight shared through an Identity (PyTorch deduplicates equal
/// initializers), and the target shape of a flatten from Shape, Gather, Unsqueeze and Concat.
/// </summary>
public static partial class OnnxImporter
{
    sealed partial class Reader
    {
        static readonly HashSet<string> FoldableOps = ["Identity", "Gather", "Unsqueeze", "Squeeze", "Concat"];

        /// <summary>
        /// Computes a node whose inputs are all constants into a constant. Only what exporters
        /// compute shapes and shared weights with: Identity, and Gather, Unsqueeze, Squeeze and
        /// Concat of int64 vectors. Returns false when an input is the network's data.
        /// </summary>
        bool Fold(NodeProto n)
        {
            var inputs = n.Input.Where(i => i != "").ToList();
            if (inputs.Count == 0 || !inputs.All(constants.ContainsKey)) return false;
            var t = constants[inputs[0]];
            TensorProto result;
            switch (n.OpType)
            {
                case "Identity":
                    Allow(n);
                    result = new TensorProto(t);
                    break;
                case "Unsqueeze" or "Squeeze":
                {
                    // Both only change the dims; the values stay as they are stored.
                    Allow(n, "axes");
                    var axes = opset < 13 ? Ints(n, "axes") : Const(n, 1) is { } a ? Int64s(n, a) : null;
                    var dims = t.Dims.ToList();
                    if (n.OpType == "Squeeze")
                    {
                        var drop = axes?.Select(x => x < 0 ? x + dims.Count : x).ToHashSet() ?? [.. Enumerable.Range(0, dims.Count).Where(i => dims[i] == 1).Select(i => (long)i)];
                        if (drop.Any(i => i < 0 || i >= dims.Count || dims[(int)i] != 1)) throw Unsupported(n, $"axes [{string.Join(", ", axes ?? [])}] of a constant of shape [{string.Join(", ", dims)}]; only axes of size 1 can be squeezed");
                        dims = [.. dims.Where((_, i) => !drop.Contains(i))];
                    }
                    else
                    {
                        if (axes is null) throw Unsupported(n, "the axes are missing");
                        int rank = dims.Count + axes.Length;
                        foreach (var x in axes.Select(x => x < 0 ? x + rank : x).Order())
                            if (x >= 0 && x <= dims.Count) dims.Insert((int)x, 1);
                            else throw Unsupported(n, $"axis {x} is outside a result of rank {rank}");
                    }
                    result = new TensorProto(t);
                    result.Dims.Clear();
                    result.Dims.AddRange(dims);
                    break;
                }
                case "Gather":
                {
                    Allow(n, "axis");
                    if (t.Dims.Count != 1 || Int(n, "axis", 0) != 0) throw Unsupported(n, "gathers from a constant that is not a vector; only picking entries of a shape is supported");
                    var values = Int64s(n, t);
                    var index = constants[inputs[1]];
                    var picked = Int64s(n, index).Select(i => i < 0 ? i + values.Length : i)
                        .Select(i => i >= 0 && i < values.Length ? values[i] : throw Unsupported(n, $"index {i} is outside a vector of {values.Length}")).ToArray();
                    result = new TensorProto { DataType = (int)DataType.Int64, Dims = { index.Dims }, Int64Data = { picked } };
                    break;
                }
                default: // Concat
                {
                    Allow(n, "axis");
                    var parts = inputs.Select(i => constants[i]).ToList();
                    if (parts.Any(p => p.Dims.Count != 1) || Int(n, "axis", 0) is not (0 or -1))
                        throw Unsupported(n, "concatenates constants that are not vectors; only joining shapes is supported");
                    var values = parts.SelectMany(p => Int64s(n, p)).ToArray();
                    result = new TensorProto { DataType = (int)DataType.Int64, Dims = { values.Length }, Int64Data = { values } };
                    break;
                }
            }
            result.Name = n.Output[0];
            constants[n.Output[0]] = result;
            return true;
        }

        /// <summary>
        /// The shape of a tensor as a constant: [N, C, H, W] of a map, [N, C] of a vector, with 0
        /// for the batch, which a Reshape (allowzero=0) reads as "as in the input". How PyTorch
        /// writes x.view(x.size(0), -1) under a dynamic batch.
        /// </summary>
        void Shape(NodeProto n)
        {
            Allow(n, "start", "end");
            long[] dims;
            if (Const(n, 0) is { } t) dims = [.. t.Dims];
            else
            {
                var shape = ShapeNow(n, Value(n, 0));
                dims = shape.Flat ? [0, shape.C] : [0, shape.C, shape.H, shape.W];
            }
            int Clamp(long i) => (int)Math.Clamp(i < 0 ? i + dims.Length : i, 0, dims.Length);
            int start = Clamp(Int(n, "start", 0)), end = Clamp(Int(n, "end", dims.Length));
            var slice = dims[start..Math.Max(start, end)];
            constants[n.Output[0]] = new TensorProto { Name = n.Output[0], DataType = (int)DataType.Int64, Dims = { slice.Length }, Int64Data = { slice } };
        }
    }
}
