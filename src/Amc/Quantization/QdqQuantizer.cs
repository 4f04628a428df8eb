using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using static Amc.Onnx.OnnxProto;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Amc.Quantization;

/// <summary>
/// Rewrites a float ONNX graph into the QDQ form ONNX Runtime fuses into its int8 kernels
/// (QLinearConv, QGemm, QLinearMatMul): each quantized node reads its input through a
/// QuantizeLinear / DequantizeLinear pair, its weight as int8 through a DequantizeLinear (one
/// scale per output channel), its bias as int32 at the input scale times the weight scale, and
/// its output gets a pair too, so the node and its neighbours become one integer kernel. Works on
/// the graph, not on the network description: any opset-13+ graph of these ops is quantized as it is.
/// </summary>
public static class QdqQuantizer
{
    /// <summary>The first opset whose DequantizeLinear takes an axis (one scale per channel).</summary>
    public const int MinimumOpset = 13;

    /// <summary>Ops whose output values lie within their input's: the output shares the input's scale.</summary>
    static readonly HashSet<string> RangePreserving = ["MaxPool", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity"];

    /// <summary>Which nodes run in int8 and which values are quantized (<see cref="QdqPlan"/>).</summary>
    public static QdqPlan Plan(ModelProto model, QuantizationSettings settings)
    {
        CheckOpset(model);
        var g = model.Graph;
        var constants = g.Initializer.ToDictionary(i => i.Name);
        var producers = new Dictionary<string, NodeProto>();
        var consumers = new Dictionary<string, List<NodeProto>>();
        foreach (var n in g.Node)
        {
            foreach (var o in n.Output) producers[o] = n;
            foreach (var i in n.Input.Where(i => i != ""))
                (consumers.TryGetValue(i, out var list) ? list : consumers[i] = []).Add(n);
        }
        var graphOutputs = g.Output.Select(o => o.Name).ToHashSet();

        var candidates = g.Node.Where(n => n.OpType is "Conv" or "Gemm" or "MatMul").ToList();
        if (candidates.Select(c => c.Name).Distinct().Count() != candidates.Count || candidates.Any(c => c.Name == ""))
            throw new ArgumentException("every Conv, Gemm and MatMul node needs a name of its own (the quantizer names what it adds after them)");
        var unknown = settings.FloatNodes.Where(name => candidates.All(c => c.Name != name)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"no Conv, Gemm or MatMul node named {string.Join(", ", unknown.Select(u => $"'{u}'"))}; " +
                $"the graph's are: {string.Join(", ", candidates.Select(c => c.Name).Take(40))}{(candidates.Count > 40 ? ", ..." : "")}");

        var nodes = new List<string>();
        var floatNodes = new List<(string, string)>();
        var quantizable = candidates.Where(n => WhyNot(n, constants) is null).ToList();
        foreach (var n in candidates)
        {
            string? reason = WhyNot(n, constants);
            if (reason is null && settings.KeepFirstAndLast && n == quantizable[0]) reason = "the first quantizable node (kept in float by default)";
            if (reason is null && settings.KeepFirstAndLast && n == quantizable[^1]) reason = "the last quantizable node (kept in float by default)";
            if (reason is null && settings.FloatNodes.Contains(n.Name)) reason = "asked to stay in float";
            if (reason is null) nodes.Add(n.Name);
            else floatNodes.Add((n.Name, reason));
        }

        var values = new Dictionary<string, string>();
        var folded = new Dictionary<string, string>();
        void Mark(string v)
        {
            if (values.ContainsKey(v) || constants.ContainsKey(v)) return;
            if (producers.TryGetValue(v, out var p) && RangePreserving.Contains(p.OpType) && !constants.ContainsKey(p.Input[0]))
            {
                Mark(p.Input[0]);
                values[v] = values[p.Input[0]];
            }
            else values[v] = v;
        }
        foreach (var n in g.Node.Where(n => nodes.Contains(n.Name)))
        {
            Mark(n.Input[0]);
            string y = n.Output[0];
            if (!graphOutputs.Contains(y) && consumers.TryGetValue(y, out var readers) && readers is [var act]
                && FoldsIntoQuantize(act, constants) && !graphOutputs.Contains(act.Output[0]))
            {
                folded[y] = act.Output[0];
                values[act.Output[0]] = act.Output[0];
            }
            else Mark(y);
        }
        return new QdqPlan(nodes, floatNodes, values, folded);
    }

    /// <summary>
    /// The QDQ graph of <paramref name="model"/>: <paramref name="ranges"/> gives each calibrated
    /// value's (min, max) (<see cref="QdqPlan.CalibratedValues"/>). Metadata and opset stay as they were.
    /// </summary>
    public static ModelProto Apply(ModelProto model, QdqPlan plan, IReadOnlyDictionary<string, (float Min, float Max)> ranges, QuantizationSettings settings)
    {
        CheckOpset(model);
        foreach (var v in plan.CalibratedValues)
            if (!ranges.ContainsKey(v)) throw new ArgumentException($"no calibrated range for value '{v}'");
        var source = model.Graph;
        var constants = source.Initializer.ToDictionary(i => i.Name);
        var g = new GraphProto
        {
            Name = source.Name,
            DocString = source.DocString,
        };
        g.Input.AddRange(source.Input);
        g.Output.AddRange(source.Output);
        g.Initializer.AddRange(source.Initializer);
        g.SparseInitializer.AddRange(source.SparseInitializer);

        var activationParams = plan.CalibratedValues.ToDictionary(v => v, v => ActivationParams(ranges[v]));
        foreach (var v in plan.CalibratedValues)
        {
            var (scale, zero) = activationParams[v];
            g.Initializer.Add(Initializer($"{v}/scale", [], [scale]));
            g.Initializer.Add(new TensorProto { Name = $"{v}/zero_point", DataType = (int)DataType.Uint8, RawData = ByteString.CopyFrom([zero]) });
        }

        var removed = plan.FoldedActivations.Values.ToHashSet();
        string Read(string v) => plan.Values.ContainsKey(v) ? $"{v}/dequantized" : v;
        void QuantizePair(string value, string written)
        {
            string src = plan.Values[written];
            Node(g, "QuantizeLinear", $"{written}/QuantizeLinear", [value, $"{src}/scale", $"{src}/zero_point"], $"{written}/quantized");
            Node(g, "DequantizeLinear", $"{written}/DequantizeLinear", [$"{written}/quantized", $"{src}/scale", $"{src}/zero_point"], $"{written}/dequantized");
        }

        foreach (var input in source.Input.Where(i => plan.Values.ContainsKey(i.Name)))
            QuantizePair(input.Name, input.Name);
        var quantized = plan.Nodes.ToHashSet();
        foreach (var n in source.Node)
        {
            if (n.Output.Any(removed.Contains)) continue;
            var copy = new NodeProto(n);
            copy.Input.Clear();
            copy.Input.AddRange(n.Input.Select(i => i == "" ? i : Read(i)));
            if (quantized.Contains(n.Name))
            {
                var (inScale, _) = activationParams[plan.Values[n.Input[0]]];
                var weightScales = QuantizeWeight(g, n, constants[n.Input[1]], settings.ReduceRange);
                copy.Input[1] = $"{n.Name}/weight/dequantized";
                if (n.Input.Count > 2 && n.Input[2] != "")
                {
                    QuantizeBias(g, n, constants[n.Input[2]], inScale, weightScales);
                    copy.Input[2] = $"{n.Name}/bias/dequantized";
                }
            }
            g.Node.Add(copy);
            foreach (var o in n.Output)
                if (plan.FoldedActivations.TryGetValue(o, out var activation)) QuantizePair(o, activation);
                else if (plan.Values.ContainsKey(o)) QuantizePair(o, o);
        }

        // The float weights and biases now read by no node go; so do inputs naming them (IR < 4 lists initializers as inputs).
        var read = g.Node.SelectMany(n => n.Input).Concat(source.Output.Select(o => o.Name)).ToHashSet();
        var unused = g.Initializer.Where(i => !read.Contains(i.Name)).Select(i => i.Name).ToHashSet();
        var kept = g.Initializer.Where(i => !unused.Contains(i.Name)).ToList();
        var inputs = g.Input.Where(i => !unused.Contains(i.Name)).ToList();
        g.Initializer.Clear();
        g.Initializer.AddRange(kept);
        g.Input.Clear();
        g.Input.AddRange(inputs);
        // Shapes recorded for values that no longer exist would mislead ONNX Runtime's checks.
        var live = g.Node.SelectMany(n => n.Output).ToHashSet();
        g.ValueInfo.AddRange(source.ValueInfo.Where(v => live.Contains(v.Name)));
        return new ModelProto(model) { Graph = g };
    }

    /// <summary>Scale and uint8 zero point covering [min, max] widened to hold 0, so zero padding stays exact.</summary>
    public static (float Scale, byte ZeroPoint) ActivationParams((float Min, float Max) range)
    {
        double lo = Math.Min(0, range.Min), hi = Math.Max(0, range.Max);
        if (!double.IsFinite(lo) || !double.IsFinite(hi))
            throw new ArgumentException($"an activation range [{range.Min}, {range.Max}] is not finite; the network gives NaN or Inf on the calibration images");
        if (hi - lo < 1e-30) return (1f, 0);
        double scale = (hi - lo) / 255;
        return ((float)scale, (byte)Math.Clamp(Math.Round(-lo / scale), 0, 255));
    }

    /// <summary>Writes the int8 weight, its per-channel scales and zero points, and its DequantizeLinear; returns the scales.</summary>
    static float[] QuantizeWeight(GraphProto g, NodeProto n, TensorProto weight, bool reduceRange)
    {
        var w = Floats(weight);
        var dims = weight.Dims.ToArray();
        // The output channel axis: a conv's filters are [O, I, kH, kW]; Gemm with transB and a
        // MatMul hold [K, N] (N = outputs, axis 1), Gemm with transB holds [N, K].
        int axis = n.OpType == "Conv" || (n.OpType == "Gemm" && IntAttribute(n, "transB") == 1) ? 0 : 1;
        int channels = (int)dims[axis];
        long inner = dims.Skip(axis + 1).Aggregate(1L, (a, b) => a * b);
        int limit = reduceRange ? 63 : 127;
        var scales = new float[channels];
        for (long i = 0; i < w.Length; i++)
        {
            int c = (int)(i / inner % channels);
            scales[c] = Math.Max(scales[c], Math.Abs(w[i]));
        }
        for (int c = 0; c < channels; c++) scales[c] = scales[c] > 0 ? scales[c] / limit : 1f;
        var q = new sbyte[w.Length];
        for (long i = 0; i < w.Length; i++)
            q[i] = (sbyte)Math.Clamp(Math.Round(w[i] / scales[(int)(i / inner % channels)]), -limit, limit);

        string p = $"{n.Name}/weight";
        var tensor = new TensorProto { Name = $"{p}/quantized", DataType = (int)DataType.Int8, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(q.AsSpan())) };
        tensor.Dims.AddRange(dims);
        g.Initializer.Add(tensor);
        g.Initializer.Add(Initializer($"{p}/scale", [channels], scales));
        g.Initializer.Add(new TensorProto { Name = $"{p}/zero_point", DataType = (int)DataType.Int8, Dims = { channels }, RawData = ByteString.CopyFrom(new byte[channels]) });
        Node(g, "DequantizeLinear", $"{p}/DequantizeLinear", [$"{p}/quantized", $"{p}/scale", $"{p}/zero_point"], $"{p}/dequantized", Int("axis", axis));
        return scales;
    }

    /// <summary>The bias as int32 in steps of input scale x weight scale: what the integer kernel adds to its int32 sums.</summary>
    static void QuantizeBias(GraphProto g, NodeProto n, TensorProto bias, float inputScale, float[] weightScales)
    {
        var b = Floats(bias);
        if (b.Length != weightScales.Length)
            throw new ArgumentException($"node '{n.Name}': its bias has {b.Length} values for {weightScales.Length} output channels");
        var scales = weightScales.Select(s => inputScale * s).ToArray();
        var q = new int[b.Length];
        for (int c = 0; c < b.Length; c++)
            q[c] = (int)Math.Clamp(Math.Round(b[c] / (double)scales[c]), int.MinValue, int.MaxValue);
        string p = $"{n.Name}/bias";
        var tensor = new TensorProto { Name = $"{p}/quantized", DataType = (int)DataType.Int32, Dims = { b.Length }, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(q.AsSpan())) };
        g.Initializer.Add(tensor);
        g.Initializer.Add(Initializer($"{p}/scale", [b.Length], scales));
        g.Initializer.Add(new TensorProto { Name = $"{p}/zero_point", DataType = (int)DataType.Int32, Dims = { b.Length }, RawData = ByteString.CopyFrom(new byte[4 * b.Length]) });
        Node(g, "DequantizeLinear", $"{p}/DequantizeLinear", [$"{p}/quantized", $"{p}/scale", $"{p}/zero_point"], $"{p}/dequantized", Int("axis", 0));
    }

    /// <summary>Why a Conv / Gemm / MatMul cannot run in int8 here, or null when it can.</summary>
    static string? WhyNot(NodeProto n, IReadOnlyDictionary<string, TensorProto> constants)
    {
        if (n.Input.Count < 2 || !constants.TryGetValue(n.Input[1], out var w)) return "its weight is not a constant";
        if (w.DataType != (int)DataType.Float) return "its weight is not float32";
        if (constants.ContainsKey(n.Input[0])) return "its input is a constant";
        switch (n.OpType)
        {
            case "Conv" when w.Dims.Count != 4:
                return $"a {w.Dims.Count - 2}-D convolution (only 2-D ones are quantized)";
            case "Gemm" or "MatMul" when w.Dims.Count != 2:
                return $"its weight has {w.Dims.Count} dimensions";
            case "Gemm" when IntAttribute(n, "transA") != 0 || FloatAttribute(n, "alpha") != 1 || FloatAttribute(n, "beta") != 1:
                return "a Gemm with transA, alpha or beta (only A x B + C is quantized)";
        }
        if (n.Input.Count > 2 && n.Input[2] != "")
        {
            if (!constants.TryGetValue(n.Input[2], out var bias) || bias.DataType != (int)DataType.Float || bias.Dims.Count != 1)
                return "its bias is not a constant float vector";
        }
        return null;
    }

    /// <summary>A ReLU, or a Clip from 0: the uint8 Q after the conv (zero point 0) clips below 0 itself.</summary>
    static bool FoldsIntoQuantize(NodeProto act, IReadOnlyDictionary<string, TensorProto> constants)
    {
        if (act.OpType == "Relu") return true;
        if (act.OpType != "Clip" || act.Input.Count < 2 || act.Input[1] == "" || !constants.TryGetValue(act.Input[1], out var min)) return false;
        if (act.Input.Count > 2 && act.Input[2] != "" && !constants.ContainsKey(act.Input[2])) return false;
        // Above the upper bound, the calibrated range (at most the bound) clips.
        return min.DataType == (int)DataType.Float && Floats(min) is [0f];
    }

    static void CheckOpset(ModelProto model)
    {
        long opset = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
        if (opset < MinimumOpset)
            throw new ArgumentException($"the model is opset {opset}; per-channel int8 weights need opset {MinimumOpset} or later");
    }

    static long IntAttribute(NodeProto n, string name) => n.Attribute.FirstOrDefault(a => a.Name == name)?.I ?? 0;

    static float FloatAttribute(NodeProto n, string name) => n.Attribute.FirstOrDefault(a => a.Name == name)?.F ?? 1f;

    static float[] Floats(TensorProto t) =>
        t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : [.. t.FloatData];
}
