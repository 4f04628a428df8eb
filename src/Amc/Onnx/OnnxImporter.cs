using System.Runtime.InteropServices;
using Amc.Graph;
using Onnx;
using static TorchSharp.torch;
using AttributeType = Onnx.AttributeProto.Types.AttributeType;
using DataType = Onnx.TensorProto.Types.DataType;
using Amc.Torch;

namespace Amc.Onnx;

/// <summary>
/// Reads an ONNX classifier into a network description and weights keyed "layer.param". Only
/// what the description expresses is accepted; anything else (an op, an attribute value, a
/// tensor type) is refused with an <see cref="UnsupportedModelException"/> naming the node,
/// never approximated. Dropout and Identity nodes vanish; MatMul + Add becomes one Linear;
/// x * Sigmoid(x) becomes SiLU; nodes on constants only (shared weights, computed shapes) are
/// folded into constants; padding a conv or pool cannot hold (uneven sides) becomes a Pad layer.
/// </summary>
public static partial class OnnxImporter
{
    public const string SupportedOps =
        "Conv (2-D), BatchNormalization, Relu, Clip(0, 6) or Clip(0, inf), LeakyRelu, PRelu, Sigmoid, HardSigmoid (PyTorch's), HardSwish, " +
        "Mul (of two computed tensors), Add, Sum, MaxPool, AveragePool, GlobalAveragePool, ReduceMean (over H and W), " +
        "Flatten (axis 1), Squeeze (a Cx1x1 map), Reshape to [N, -1], Gemm, MatMul (+ Add bias), Concat (axis 1), " +
        "Dropout, Identity, Constant, Cast, Pad (zeros), and Shape, Gather, Unsqueeze, Squeeze, Concat of constant shapes";

    public static (Network Network, Dictionary<string, Tensor> Weights) Import(ModelProto model, string? name = null)
    {
        var (net, arrays) = new Reader(model).Read(name);
        var weights = new Dictionary<string, Tensor>();
        foreach (var (key, (shape, data)) in arrays) weights[key] = tensor(data, shape);
        return (net, weights);
    }

    /// <summary>Reads and imports an ONNX file; every refusal names the file.</summary>
    public static (Network Network, Dictionary<string, Tensor> Weights) Load(string path)
    {
        var model = OnnxFile.Load(path);
        try
        {
            return Import(model, Path.GetFileNameWithoutExtension(path));
        }
        catch (UnsupportedModelException e)
        {
            throw new UnsupportedModelException($"{path}: {e.Message}");
        }
    }

    sealed partial class Reader(ModelProto model)
    {
        readonly GraphProto graph = model.Graph ?? throw new UnsupportedModelException("the ONNX model has no graph");
        readonly Dictionary<string, TensorProto> constants = [];
        /// <summary>The layer whose output each ONNX value holds (pass-through nodes alias their input).</summary>
        readonly Dictionary<string, string> layerOf = [];
        readonly List<Layer> layers = [];
        readonly Dictionary<string, (long[] Shape, float[] Data)> weights = [];
        readonly HashSet<string> names = [Network.InputName];
        /// <summary>Outputs of MatMuls (value -> Linear layer), which a following Add may give a bias.</summary>
        readonly Dictionary<string, string> matMuls = [];
        /// <summary>Reshapes that are a Flatten only if the feature count matches; checked once shapes are known.</summary>
        readonly List<(string Layer, long Features, NodeProto Node)> reshapes = [];
        readonly Dictionary<string, int> readers = [];
        long opset;
        TensorShape input = null!;
        IReadOnlyDictionary<string, TensorShape>? shapesNow;
        int shapesAt;

        public (Network, Dictionary<string, (long[] Shape, float[] Data)>) Read(string? name)
        {
            opset = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
            if (opset == 0) throw new UnsupportedModelException("the ONNX model imports no version of the default operator set (ai.onnx)");
            foreach (var t in graph.Initializer) constants[t.Name] = t;
            foreach (var n in graph.Node)
                foreach (var i in n.Input.Where(i => i != ""))
                    readers[i] = readers.GetValueOrDefault(i) + 1;
            foreach (var o in graph.Output) readers[o.Name] = readers.GetValueOrDefault(o.Name) + 1;

            input = NetworkInput();
            for (int i = 0; i < graph.Node.Count; i++) Node(graph.Node[i], i);

            if (graph.Output.Count != 1)
                throw new UnsupportedModelException($"the ONNX graph has {graph.Output.Count} outputs; only single-output networks are supported");
            var output = graph.Output[0].Name;
            if (!layerOf.TryGetValue(output, out var last) || last == Network.InputName)
                throw new UnsupportedModelException($"the ONNX graph output '{output}' is not computed by a supported layer");

            var kept = Reachable(last);
            var net = new Network
            {
                Name = string.IsNullOrWhiteSpace(name) ? (string.IsNullOrWhiteSpace(graph.Name) ? "onnx" : graph.Name) : name,
                Input = input,
                Layers = layers.Where(l => kept.Contains(l.Name)).ToList(),
            };
            Validate(net);
            var used = ParameterShapes.Of(net).Select(s => s.Key).ToHashSet();
            return (net, weights.Where(kv => used.Contains(kv.Key)).ToDictionary());
        }

        TensorShape NetworkInput()
        {
            var inputs = graph.Input.Where(i => !constants.ContainsKey(i.Name)).ToList();
            if (inputs.Count != 1)
                throw new UnsupportedModelException($"the ONNX graph has {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => i.Name))}); exactly one image input is supported");
            var v = inputs[0];
            var type = v.Type?.TensorType;
            var dims = type?.Shape?.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : -1).ToArray();
            if (type is null || type.ElemType != (int)TensorProto.Types.DataType.Float || dims is not { Length: 4 } || dims.Skip(1).Any(d => d <= 0))
                throw new UnsupportedModelException(
                    $"the ONNX graph input '{v.Name}' is {Describe(v)}; a float32 [N, C, H, W] input with fixed C, H, W is supported");
            if (dims.Skip(1).FirstOrDefault(d => d > int.MaxValue) is var huge and > 0)
                throw new UnsupportedModelException($"the ONNX graph input '{v.Name}' has dimension {huge}; at most {int.MaxValue} is supported");
            layerOf[v.Name] = Network.InputName;
            return new TensorShape((int)dims[1], (int)dims[2], (int)dims[3]);
        }

        static string Describe(ValueInfoProto v)
        {
            var t = v.Type?.TensorType;
            if (t is null) return "not a tensor";
            var dims = t.Shape is null ? "unknown shape" : "[" + string.Join(", ", t.Shape.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue.ToString() : d.DimParam is "" ? "?" : d.DimParam)) + "]";
            return $"{(TensorProto.Types.DataType)t.ElemType} {dims}";
        }

        void Node(NodeProto n, int index)
        {
            if (n.Domain is not ("" or "ai.onnx")) throw Unsupported(n, $"operator domain '{n.Domain}' is not supported; supported ops: {SupportedOps}");
            // Every handler names its result by the first output: a node without one computes nothing usable.
            if (n.Output.Count == 0 || n.Output[0] == "") throw Unsupported(n, "the node has no output; every node must name its first output");
            // Exporters compute some constants in the graph (a deduplicated weight behind an
            // Identity, a flatten's target shape from Shape, Gather, Unsqueeze and Concat): fold them.
            if (FoldableOps.Contains(n.OpType) && Fold(n)) return;
            switch (n.OpType)
            {
                case "Constant": Constant(n); break;
                case "Conv": Conv(n, index); break;
                case "BatchNormalization": BatchNorm(n, index); break;
                case "Relu":
                    Allow(n);
                    Emit(n, index, LayerKind.ReLU, [Value(n, 0)]);
                    break;
                case "Sigmoid":
                    Allow(n);
                    Emit(n, index, LayerKind.Sigmoid, [Value(n, 0)]);
                    break;
                case "HardSigmoid":
                    Allow(n, "alpha", "beta");
                    // PyTorch's hardsigmoid is relu6(x + 3) / 6; ONNX's default slope 0.2 (Keras's) is another function.
                    if (Math.Abs(Float(n, "alpha", 0.2f) - 1.0 / 6) > 1e-6 || Float(n, "beta", 0.5f) != 0.5f)
                        throw Unsupported(n, $"alpha={Float(n, "alpha", 0.2f)}, beta={Float(n, "beta", 0.5f)}; only PyTorch's hardsigmoid (alpha=1/6, beta=0.5) is supported");
                    Emit(n, index, LayerKind.HardSigmoid, [Value(n, 0)]);
                    break;
                case "HardSwish":
                    Allow(n);
                    Emit(n, index, LayerKind.HardSwish, [Value(n, 0)]);
                    break;
                case "LeakyRelu":
                    Allow(n, "alpha");
                    Emit(n, index, new Layer { Name = "", Kind = LayerKind.LeakyReLU, Inputs = [Value(n, 0)], 
                        // the float's shortest text, so 0.2f reads back as 0.2, not 0.200000003
                        Slope = double.Parse(Float(n, "alpha", 0.01f).ToString("R"), System.Globalization.CultureInfo.InvariantCulture) });
                    break;
                case "PRelu": PRelu(n, index); break;
                case "Mul": Mul(n, index); break;
                case "ReduceMean": ReduceMean(n, index); break;
                case "Clip": Clip(n, index); break;
                case "Add": Add(n, index); break;
                case "Sum":
                    Allow(n);
                    Join(n, index, LayerKind.Add);
                    break;
                case "MaxPool":
                case "AveragePool": Pool(n, index); break;
                case "GlobalAveragePool":
                    Allow(n);
                    Emit(n, index, LayerKind.GlobalAvgPool, [Value(n, 0)]);
                    break;
                case "Flatten":
                {
                    Allow(n, "axis");
                    var x = Value(n, 0);
                    // Negative axes count from the end: -3 of a [N, C, H, W] map, -1 of a [N, F] vector.
                    long axis = Int(n, "axis", 1), rank = ShapeNow(n, x).Flat ? 2 : 4;
                    if (axis != 1 && axis != 1 - rank) throw Unsupported(n, $"axis={axis}; only axis=1 (keep the batch, flatten the rest) is supported");
                    Emit(n, index, LayerKind.Flatten, [x]);
                    break;
                }
                case "Squeeze": Squeeze(n, index); break;
                case "Reshape": Reshape(n, index); break;
                case "Gemm": Gemm(n, index); break;
                case "MatMul": MatMul(n, index); break;
                case "Concat":
                    Allow(n, "axis");
                    if (Int(n, "axis", 0) != 1) throw Unsupported(n, $"axis={Int(n, "axis", 0)}; only concatenation along channels (axis=1) is supported");
                    Join(n, index, LayerKind.Concat);
                    break;
                case "Dropout": Dropout(n); break;
                case "Identity":
                    Allow(n);
                    layerOf[n.Output[0]] = Value(n, 0);
                    break;
                case "Cast": Cast(n); break;
                case "Pad": Pad(n, index); break;
                case "Shape": Shape(n); break;
                default:
                    throw Unsupported(n, $"op {n.OpType} is not supported; supported ops: {SupportedOps}");
            }
        }

        void Constant(NodeProto n)
        {
            Allow(n, "value", "value_float", "value_floats", "value_int", "value_ints");
            if (n.Attribute.Count != 1) throw Unsupported(n, $"a Constant needs exactly one value attribute, it has {n.Attribute.Count}");
            var a = n.Attribute[0];
            var t = a.Name switch
            {
                "value" => Typed(n, a, AttributeType.Tensor).T ?? throw Unsupported(n, "attribute 'value' holds no tensor"),
                "value_float" => new TensorProto { DataType = (int)DataType.Float, FloatData = { Typed(n, a, AttributeType.Float).F } },
                "value_floats" => new TensorProto { DataType = (int)DataType.Float, Dims = { a.Floats.Count }, FloatData = { Typed(n, a, AttributeType.Floats).Floats } },
                "value_int" => new TensorProto { DataType = (int)DataType.Int64, Int64Data = { Typed(n, a, AttributeType.Int).I } },
                _ => new TensorProto { DataType = (int)DataType.Int64, Dims = { a.Ints.Count }, Int64Data = { Typed(n, a, AttributeType.Ints).Ints } },
            };
            constants[n.Output[0]] = t.Name == "" ? new TensorProto(t) { Name = n.Output[0] } : t;
        }

        void Conv(NodeProto n, int index)
        {
            Allow(n, "kernel_shape", "strides", "pads", "dilations", "group", "auto_pad");
            var (wShape, w) = Weight(n, 1, "weight");
            if (wShape.Length != 4)
                throw Unsupported(n, $"weight has {wShape.Length} dims; only 2-D convolutions (4-D weights) are supported");
            if (wShape[0] < 1 || wShape[2] < 1 || wShape[3] < 1) throw Unsupported(n, $"weight shape [{string.Join(", ", wShape)}] has no filters or an empty kernel");
            var kernelShape = Ints(n, "kernel_shape");
            if (kernelShape is not null && !kernelShape.SequenceEqual(wShape[2..]))
                throw Unsupported(n, $"kernel_shape [{string.Join(", ", kernelShape)}] disagrees with the weight's [{wShape[2]}, {wShape[3]}]");
            var bias = n.Input.Count > 2 && n.Input[2] != "" ? Weight(n, 2, "bias") : default;
            int kh = ToInt(n, wShape[2], "kernel"), kw = ToInt(n, wShape[3], "kernel");
            int stride = Same(n, "strides", 2, 1), dilation = Same(n, "dilations", 2, 1);
            var (x, ph, pw) = Padded(n, index, kh, kw, stride, dilation, LayerKind.Conv2d);
            var name = Emit(n, index, new Layer
            {
                Name = "", Kind = LayerKind.Conv2d, Inputs = [x], Out = ToInt(n, wShape[0], "output channels"),
                Kernel = kh, KernelW = kw != kh ? kw : null, Stride = stride, Padding = ph, PaddingW = pw != ph ? pw : null,
                Dilation = dilation is not 1 ? dilation : null, Groups = Positive(n, Int(n, "group", 1), "group"), Bias = bias.Data is not null,
            });
            weights[$"{name}.weight"] = (wShape, w);
            if (bias.Data is not null) weights[$"{name}.bias"] = bias;
        }

        void BatchNorm(NodeProto n, int index)
        {
            Allow(n, "epsilon", "momentum", "training_mode", "spatial");
            if (Int(n, "training_mode", 0) != 0) throw Unsupported(n, "training_mode=1; only inference-mode BatchNormalization is supported");
            if (Int(n, "spatial", 1) != 1) throw Unsupported(n, "spatial=0; only per-channel (spatial=1) BatchNormalization is supported");
            OnlyFirstOutputRead(n);
            var x = Value(n, 0);
            var p = new[] { "weight", "bias", "running_mean", "running_var" }.Select((param, i) => Weight(n, i + 1, param)).ToArray();
            // Our BatchNorm has PyTorch's fixed epsilon; sqrt(var + eps) = sqrt((var + eps - eps0) + eps0),
            // so another epsilon moves into the running variance exactly.
            double eps = Float(n, "epsilon", 1e-5f);
            var variance = p[3].Data.Select(v => (float)(v + eps - GraphModule.BatchNormEpsilon)).ToArray();
            var name = Emit(n, index, LayerKind.BatchNorm2d, [x]);
            weights[$"{name}.weight"] = p[0];
            weights[$"{name}.bias"] = p[1];
            weights[$"{name}.running_mean"] = p[2];
            weights[$"{name}.running_var"] = (p[3].Shape, variance);
        }

        void Clip(NodeProto n, int index)
        {
            double min, max;
            if (opset < 11)
            {
                Allow(n, "min", "max");
                (min, max) = (Float(n, "min", float.NegativeInfinity), Float(n, "max", float.PositiveInfinity));
            }
            else
            {
                Allow(n);
                min = n.Input.Count > 1 && n.Input[1] != "" ? Scalar(n, 1) : double.NegativeInfinity;
                max = n.Input.Count > 2 && n.Input[2] != "" ? Scalar(n, 2) : double.PositiveInfinity;
            }
            var kind = (min, max) switch
            {
                (0, 6) => LayerKind.ReLU6,
                (0, double.PositiveInfinity) => LayerKind.ReLU,
                _ => throw Unsupported(n, $"Clip({min}, {max}); only Clip(0, 6) (ReLU6) and Clip(0, inf) (ReLU) are supported"),
            };
            Emit(n, index, kind, [Value(n, 0)]);
        }

        void Add(NodeProto n, int index)
        {
            Allow(n);
            if (n.Input.Count != 2) throw Unsupported(n, $"Add with {n.Input.Count} inputs");
            int constant = constants.ContainsKey(n.Input[0]) ? 0 : constants.ContainsKey(n.Input[1]) ? 1 : -1;
            if (constant < 0)
            {
                Join(n, index, LayerKind.Add);
                return;
            }
            // MatMul followed by Add of a vector is how some exporters write a linear layer with bias.
            var product = n.Input[1 - constant];
            if (!matMuls.TryGetValue(product, out var linear) || readers.GetValueOrDefault(product) != 1)
                throw Unsupported(n, "adds a constant tensor; a constant is only supported as the bias of a MatMul (MatMul + Add = Linear)");
            int i = layers.FindIndex(l => l.Name == linear);
            var bias = Bias(n, constant, layers[i].Out!.Value);
            layers[i] = layers[i] with { Bias = true };
            weights[$"{linear}.bias"] = bias;
            matMuls.Remove(product);
            layerOf[n.Output[0]] = linear;
        }

        void Pool(NodeProto n, int index)
        {
            bool max = n.OpType == "MaxPool";
            if (max) Allow(n, "kernel_shape", "strides", "pads", "dilations", "ceil_mode", "auto_pad", "storage_order");
            else Allow(n, "kernel_shape", "strides", "pads", "ceil_mode", "auto_pad", "count_include_pad");
            bool ceil = Int(n, "ceil_mode", 0) != 0;
            // PyTorch divides the windows ceil mode adds by their clipped size, ONNX Runtime by the kernel's.
            if (ceil && !max) throw Unsupported(n, "ceil_mode=1; only MaxPool may round its output size up (AveragePool's edge windows are divided differently by PyTorch and ONNX Runtime)");
            if (max && Same(n, "dilations", 2, 1) != 1) throw Unsupported(n, "dilations other than 1 are not supported for pooling");
            if (max) OnlyFirstOutputRead(n);
            var kernel = Ints(n, "kernel_shape") ?? throw Unsupported(n, "attribute 'kernel_shape' is missing");
            if (kernel.Length != 2) throw Unsupported(n, $"kernel_shape [{string.Join(", ", kernel)}]; only 2-D pooling is supported");
            int kh = Positive(n, kernel[0], "kernel_shape"), kw = Positive(n, kernel[1], "kernel_shape"), stride = Same(n, "strides", 2, 1);
            if (!max && Int(n, "count_include_pad", 0) == 0 && Pads(n, Value(n, 0), kh, kw, stride, 1).Any(p => p != 0))
                throw Unsupported(n, "count_include_pad=0 with padding; only count_include_pad=1 (PyTorch's default) is supported");
            var kind = max ? LayerKind.MaxPool : LayerKind.AvgPool;
            var (x, ph, pw) = Padded(n, index, kh, kw, stride, 1, kind);
            Emit(n, index, new Layer
            {
                Name = "", Kind = kind, Inputs = [x], Kernel = kh, KernelW = kw != kh ? kw : null, Stride = stride,
                Padding = ph, PaddingW = pw != ph ? pw : null, CeilMode = ceil ? true : null,
            });
        }

        void Reshape(NodeProto n, int index)
        {
            Allow(n, "allowzero");
            var x = Value(n, 0);
            var shape = Const(n, 1) is { } t ? Int64s(n, t) : throw Unsupported(n, "the target shape is computed at run time; only a constant target shape [N, -1] is supported");
            bool zeroCopies = Int(n, "allowzero", 0) == 0; // with allowzero=1 a 0 means an empty dim
            bool batch = shape.Length == 2 && (shape[0] > 0 || (shape[0] == 0 && zeroCopies) || (shape[0] == -1 && shape[1] > 0));
            if (!batch || !(shape[1] == -1 || shape[1] > 0))
                throw Unsupported(n, $"Reshape to [{string.Join(", ", shape)}]; only flattening reshapes ([0, -1], [N, -1], [-1, C*H*W]) are supported");
            var name = Emit(n, index, LayerKind.Flatten, [x]);
            if (shape[1] > 0) reshapes.Add((name, shape[1], n));
        }

        void Gemm(NodeProto n, int index)
        {
            Allow(n, "alpha", "beta", "transA", "transB");
            if (Int(n, "transA", 0) != 0) throw Unsupported(n, "transA=1; only the batch as rows of A (transA=0) is supported");
            bool hasBias = n.Input.Count > 2 && n.Input[2] != "";
            var x = Value(n, 0);
            var (shape, w) = Weight(n, 1, "weight");
            if (shape.Length != 2) throw Unsupported(n, $"weight has {shape.Length} dims; a 2-D weight is needed");
            // Our Linear stores [out, in] like PyTorch; transB=0 means B is [in, out].
            if (Int(n, "transB", 0) == 0) (shape, w) = Transpose(shape, w);
            // alpha * x W' + beta * b: the factors go into the tensors.
            float alpha = Float(n, "alpha", 1), beta = Float(n, "beta", 1);
            if (alpha != 1) w = [.. w.Select(v => v * alpha)];
            var name = Emit(n, index, new Layer { Name = "", Kind = LayerKind.Linear, Inputs = [x], Out = Positive(n, shape[0], "output features"), Bias = hasBias });
            weights[$"{name}.weight"] = (shape, w);
            if (!hasBias) return;
            var bias = Bias(n, 2, (int)shape[0]);
            weights[$"{name}.bias"] = beta == 1 ? bias : (bias.Shape, [.. bias.Data.Select(v => v * beta)]);
        }

        void MatMul(NodeProto n, int index)
        {
            Allow(n);
            var x = Value(n, 0);
            var (shape, w) = Weight(n, 1, "weight");
            if (shape.Length != 2) throw Unsupported(n, $"MatMul with a {shape.Length}-D constant; only a 2-D weight [in, out] is supported");
            (shape, w) = Transpose(shape, w);
            var name = Emit(n, index, new Layer { Name = "", Kind = LayerKind.Linear, Inputs = [x], Out = Positive(n, shape[0], "output features"), Bias = false });
            weights[$"{name}.weight"] = (shape, w);
            matMuls[n.Output[0]] = name;
        }

        /// <summary>
        /// A product of two computed tensors: x * sigmoid(x) is SiLU and x * hardsigmoid(x)
        /// HardSwish (PyTorch's form before opset 14); anything else, such as
        /// squeeze-and-excitation's scaling of a block by its gate, a Mul layer.
        /// </summary>
        void Mul(NodeProto n, int index)
        {
            Allow(n);
            if (n.Input.Count != 2) throw Unsupported(n, $"Mul with {n.Input.Count} inputs");
            if (Const(n, 0) is not null || Const(n, 1) is not null)
                throw Unsupported(n, "multiplies by a constant; only products of two computed tensors (squeeze-and-excitation, x * sigmoid(x)) are supported");
            var (a, b) = (Value(n, 0), Value(n, 1));
            foreach (var (x, gate, gateValue) in new[] { (a, b, n.Input[1]), (b, a, n.Input[0]) })
            {
                if (Find(gate) is not { Kind: LayerKind.Sigmoid or LayerKind.HardSigmoid } g || g.Input != x) continue;
                var kind = g.Kind == LayerKind.Sigmoid ? LayerKind.SiLU : LayerKind.HardSwish;
                // A gate read only here becomes the activation in place, under its name (PyTorch
                // names the Sigmoid and the Mul after the same module, "features.1.act").
                if (readers.GetValueOrDefault(gateValue) == 1 && layerOf.Values.Count(v => v == gate) == 1)
                {
                    layers[layers.FindLastIndex(l => l.Name == gate)] = g with { Kind = kind };
                    layerOf[n.Output[0]] = gate;
                }
                else Emit(n, index, kind, [x]);
                return;
            }
            Emit(n, index, LayerKind.Mul, [a, b]);
        }

        /// <summary>A learned slope per channel ([C, 1, 1] or [C]), or one for all (PyTorch's default nn.PReLU()).</summary>
        void PRelu(NodeProto n, int index)
        {
            Allow(n);
            var x = Value(n, 0);
            int channels = ShapeNow(n, x).C;
            var (shape, slope) = Weight(n, 1, "slope");
            if (slope.Length == 1) slope = Enumerable.Repeat(slope[0], channels).ToArray();
            if (slope.Length != channels || shape.Count(d => d != 1) > 1)
                throw Unsupported(n, $"slope of shape [{string.Join(", ", shape)}]; one slope per channel ({channels}) or a single one is supported");
            var name = Emit(n, index, LayerKind.PReLU, [x]);
            weights[$"{name}.weight"] = ([channels], slope);
        }

        /// <summary>The mean over H and W is a global average pool (and a flatten without keepdims).</summary>
        void ReduceMean(NodeProto n, int index)
        {
            Allow(n, "axes", "keepdims", "noop_with_empty_axes");
            var x = Value(n, 0);
            // Since opset 18 the axes are an input.
            var axes = opset < 18 ? Ints(n, "axes") : Const(n, 1) is { } t ? Int64s(n, t) : null;
            var shape = ShapeNow(n, x);
            if (shape.Flat || axes is null || !axes.Select(a => a < 0 ? a + 4 : a).Order().SequenceEqual([2L, 3L]))
                throw Unsupported(n, $"axes [{string.Join(", ", axes ?? [])}] of a {shape} tensor; only the mean over H and W of a feature map (axes [2, 3], a global average pool) is supported");
            var pooled = Emit(n, index, LayerKind.GlobalAvgPool, [x]);
            if (Int(n, "keepdims", 1) == 0) Emit(n, index, LayerKind.Flatten, [pooled], "flatten");
        }

        /// <summary>Squeezing H and W (both 1) of a feature map is a flatten.</summary>
        void Squeeze(NodeProto n, int index)
        {
            Allow(n, "axes");
            var x = Value(n, 0);
            var axes = opset < 13 ? Ints(n, "axes") : Const(n, 1) is { } t ? Int64s(n, t) : null;
            var shape = ShapeNow(n, x);
            if (shape.Flat || shape.H != 1 || shape.W != 1 || axes is null || !axes.Select(a => a < 0 ? a + 4 : a).Order().SequenceEqual([2L, 3L]))
                throw Unsupported(n, $"axes [{string.Join(", ", axes ?? [])}] of a {shape} tensor; only squeezing a Cx1x1 map to a vector (axes [2, 3]) is supported");
            Emit(n, index, LayerKind.Flatten, [x]);
        }

        void Dropout(NodeProto n)
        {
            Allow(n, "ratio", "seed", "is_test");
            OnlyFirstOutputRead(n);
            if (n.Input.Count > 2 && n.Input[2] != "" && (Const(n, 2) is null || Scalar(n, 2) != 0))
                throw Unsupported(n, "training_mode is not a constant false; only inference-mode Dropout is supported");
            layerOf[n.Output[0]] = Value(n, 0);
        }

        /// <summary>A Cast of a constant is that constant; a Cast of float data to float is the identity.</summary>
        void Cast(NodeProto n)
        {
            Allow(n, "to", "saturate");
            var to = (TensorProto.Types.DataType)Int(n, "to", 0);
            if (Const(n, 0) is { } t)
            {
                var values = Numbers(n, t);
                var cast = new TensorProto { Name = n.Output[0], DataType = (int)to, Dims = { t.Dims } };
                if (to == TensorProto.Types.DataType.Float) cast.FloatData.AddRange(values.Select(v => (float)v));
                else if (to == TensorProto.Types.DataType.Int64) cast.Int64Data.AddRange(values.Select(v => (long)v));
                else throw Unsupported(n, $"cast of a constant to {to}; only float and int64 constants are supported");
                constants[n.Output[0]] = cast;
                return;
            }
            if (to != TensorProto.Types.DataType.Float) throw Unsupported(n, $"cast of the network's data to {to}; the network computes in float32 only");
            layerOf[n.Output[0]] = Value(n, 0);
        }

        void Pad(NodeProto n, int index)
        {
            long[] pads;
            double value = 0;
            if (opset < 11)
            {
                Allow(n, "mode", "pads", "value");
                pads = Ints(n, "pads") ?? throw Unsupported(n, "attribute 'pads' is missing");
                value = Float(n, "value", 0);
            }
            else
            {
                Allow(n, "mode");
                pads = Const(n, 1) is { } t ? Int64s(n, t) : throw Unsupported(n, "the pads are computed at run time; only constant pads are supported");
                if (n.Input.Count > 2 && n.Input[2] != "") value = Scalar(n, 2);
                if (n.Input.Count > 3 && n.Input[3] != "") throw Unsupported(n, "the axes input is not supported; pads must cover all four axes");
            }
            var mode = Attribute(n, "mode", AttributeType.String)?.S.ToStringUtf8() ?? "constant";
            if (mode != "constant" || value != 0) throw Unsupported(n, $"mode={mode}, value={value}; only zero padding (mode=constant, value 0) is supported");
            // [N, C, H, W] begins, then ends: batch and channels untouched.
            if (pads.Length != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0)
                throw Unsupported(n, $"pads [{string.Join(", ", pads)}]; only padding of H and W is supported");
            if (pads.Any(p => p < 0)) throw Unsupported(n, $"pads [{string.Join(", ", pads)}] crop; only padding (pads >= 0) is supported");
            var x = Value(n, 0);
            // PyTorch names the Pad it writes for a pool or conv after that module ("/pool/Pad"): leave the name to the module.
            string? suffix = n.Name.Split('/', StringSplitOptions.RemoveEmptyEntries) is [_, .., var op] && op.StartsWith("Pad") ? "pad" : null;
            if (pads.All(p => p == 0)) layerOf[n.Output[0]] = x;
            // A Conv or AveragePool reading it takes the padding into its own (see Padded).
            else Emit(n, index, new Layer { Name = "", Kind = LayerKind.Pad, Inputs = [x], Pads = [.. new[] { pads[2], pads[3], pads[6], pads[7] }.Select(p => ToInt(n, p, "pads value"))] }, suffix);
        }

        /// <summary>
        /// The input of a Conv or pool and its padding on each axis. The node's pads (explicit or
        /// auto_pad) add to those of a Pad layer it reads, zeros a conv or a padding-counting
        /// average pool may take as its own (a max pool pads with -inf, so never). Pads unequal
        /// on the two sides of an axis become a Pad layer in front, padding 0 in the node.
        /// </summary>
        (string Input, int H, int W) Padded(NodeProto n, int index, int kh, int kw, int stride, int dilation, LayerKind kind)
        {
            var x = Value(n, 0);
            var p = Pads(n, x, kh, kw, stride, dilation);
            if (kind != LayerKind.MaxPool && Find(x) is { Kind: LayerKind.Pad } pad)
            {
                p = [.. p.Zip(pad.Pads!, (a, b) => a + b)];
                x = pad.Input;
            }
            foreach (var v in p) ToInt(n, v, "pads value");
            // An average pool's own padding is at most half its window (PyTorch's limit); more goes into a Pad layer.
            if (p[0] == p[2] && p[1] == p[3] && (kind != LayerKind.AvgPool || (p[0] <= kh / 2 && p[1] <= kw / 2)))
                return (x, (int)p[0], (int)p[1]);
            if (kind == LayerKind.MaxPool && Find(x)?.Kind is not (LayerKind.ReLU or LayerKind.ReLU6 or LayerKind.Sigmoid or LayerKind.HardSigmoid))
                throw Unsupported(n, $"pads [{string.Join(", ", p)}] differ between the sides of an axis; MaxPool pads with -inf, which zeros replace only after an activation that is never negative (Relu, Clip(0, 6), Sigmoid)");
            var name = UniqueName(n, index, "pad");
            layers.Add(new Layer { Name = name, Kind = LayerKind.Pad, Inputs = [x], Pads = [.. p.Select(v => ToInt(n, v, "pads value"))] });
            return (name, 0, 0);
        }

        /// <summary>Sum / Add / Concat of computed tensors; one input is the identity.</summary>
        void Join(NodeProto n, int index, LayerKind kind)
        {
            var inputs = Enumerable.Range(0, n.Input.Count).Select(i => Value(n, i)).ToList();
            if (inputs.Count == 1) layerOf[n.Output[0]] = inputs[0];
            else Emit(n, index, kind, inputs);
        }

        string Emit(NodeProto n, int index, LayerKind kind, IReadOnlyList<string> inputs, string? suffix = null) =>
            Emit(n, index, new Layer { Name = "", Kind = kind, Inputs = inputs }, suffix);

        /// <summary>Adds the layer under a name made from the node's (see UniqueName); returns that name.</summary>
        string Emit(NodeProto n, int index, Layer layer, string? suffix = null)
        {
            var name = UniqueName(n, index, suffix);
            layers.Add(layer with { Name = name });
            layerOf[n.Output[0]] = name;
            return name;
        }

        Layer? Find(string layer) => layers.FindLast(l => l.Name == layer);

        /// <summary>
        /// The shape of a layer's output so far, for what depends on it: auto_pad, Shape, the axis
        /// of a Flatten. The graph built so far is inferred again; import runs once, and only
        /// those nodes ask.
        /// </summary>
        TensorShape ShapeNow(NodeProto n, string layer)
        {
            if (layer == Network.InputName) return input;
            if (shapesNow is null || shapesAt != layers.Count)
            {
                try
                {
                    shapesNow = ShapeInference.Infer(new Network { Name = "import", Input = input, Layers = layers.ToList() });
                }
                catch (InvalidNetworkException e)
                {
                    throw Unsupported(n, $"the graph before this node does not form a supported network: {e.Message}");
                }
                shapesAt = layers.Count;
            }
            return shapesNow[layer];
        }

        /// <summary>
        /// Layer names end up in JSON, checkpoint keys and module names: keep letters, digits,
        /// '.', '_' and '-'. PyTorch names a node by its module scopes and op
        /// ("/layer1/layer1.0/conv1/Conv", "/features/features.0/features.0.0/Conv"); a scope that
        /// extends the one before it replaces it and the op is dropped, which gives back the
        /// module's name ("layer1.0.conv1", "features.0.0") and with it PyTorch's state-dict keys.
        /// A layer that is not the module's own (a Pad in front of its conv) gets a suffix
        /// ("features.0.pad"), so the module's name stays free for the module.
        /// </summary>
        string UniqueName(NodeProto n, int index, string? suffix = null)
        {
            var scopes = new List<string>();
            var segments = n.Name.Split('/', StringSplitOptions.RemoveEmptyEntries);
            for (int i = 0; i < segments.Length; i++)
            {
                var segment = Sanitize(segments[i]);
                bool op = i == segments.Length - 1 && i > 0 && (segment == n.OpType || segment.StartsWith(n.OpType + "_"));
                if (op || segment == "") continue;
                if (scopes.Count > 0 && segment.StartsWith(scopes[^1] + ".")) scopes[^1] = segment;
                else scopes.Add(segment);
            }
            var name = scopes.Count > 0 ? string.Join(".", scopes) : $"{n.OpType.ToLowerInvariant()}{index}";
            if (suffix is not null) name = $"{name}.{suffix}";
            var unique = name;
            for (int k = 1; !names.Add(unique); k++) unique = $"{name}_{k}";
            return unique;
        }

        static string Sanitize(string text) =>
            string.Concat(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_'));

        /// <summary>The layer computing input i, which must be a tensor of the network, not a constant.</summary>
        string Value(NodeProto n, int i)
        {
            var v = i < n.Input.Count ? n.Input[i] : "";
            if (layerOf.TryGetValue(v, out var layer)) return layer;
            if (constants.ContainsKey(v)) throw Unsupported(n, $"input {i} ('{v}') is a constant where the network's data is expected");
            throw Unsupported(n, v == "" ? $"input {i} is missing" : $"reads '{v}', which no supported node computes before it");
        }

        TensorProto? Const(NodeProto n, int i) => i < n.Input.Count && constants.TryGetValue(n.Input[i], out var t) ? t : null;

        (long[] Shape, float[] Data) Weight(NodeProto n, int i, string what)
        {
            var t = Const(n, i) ?? throw Unsupported(n, $"the {what} (input {i}) is not a constant; only constant weights are supported");
            return (t.Dims.ToArray(), Floats(n, t));
        }

        (long[] Shape, float[] Data) Bias(NodeProto n, int i, int features)
        {
            var (shape, data) = Weight(n, i, "bias");
            // Broadcasting allows [out], [1, out] or a single value.
            if (data.Length == 1) data = Enumerable.Repeat(data[0], features).ToArray();
            if (data.Length != features || shape.Count(d => d != 1) > 1)
                throw Unsupported(n, $"bias of shape [{string.Join(", ", shape)}] does not match {features} output features");
            return ([features], data);
        }

        double Scalar(NodeProto n, int i)
        {
            var t = Const(n, i) ?? throw Unsupported(n, $"input {i} must be a constant");
            var values = Numbers(n, t);
            return values.Length == 1 ? values[0] : throw Unsupported(n, $"input {i} has {values.Length} values where one is expected");
        }

        /// <summary>The values of a small numeric constant (bounds, flags, shapes) of any common type.</summary>
        double[] Numbers(NodeProto n, TensorProto t) => (DataType)t.DataType switch
        {
            DataType.Float => Floats(n, t).Select(v => (double)v).ToArray(),
            DataType.Int64 => Int64s(n, t).Select(v => (double)v).ToArray(),
            DataType.Double => Values(n, t, t.DoubleData, v => v),
            DataType.Int32 => Values(n, t, t.Int32Data, v => v).Select(v => (double)v).ToArray(),
            // Booleans travel one byte each in raw_data, or in int32_data.
            DataType.Bool => Values(n, t, t.Int32Data, v => v != 0 ? (byte)1 : (byte)0).Select(v => (double)v).ToArray(),
            var type => throw Unsupported(n, $"constant '{t.Name}' is {type}; a number is expected"),
        };

        float[] Floats(NodeProto n, TensorProto t)
        {
            if (t.DataType != (int)DataType.Float)
                throw Unsupported(n, $"tensor '{t.Name}' is {(DataType)t.DataType}; only float32 tensors are supported");
            return Values(n, t, t.FloatData, v => v);
        }

        long[] Int64s(NodeProto n, TensorProto t)
        {
            if (t.DataType != (int)DataType.Int64)
                throw Unsupported(n, $"tensor '{t.Name}' is {(DataType)t.DataType}; int64 is expected");
            return Values(n, t, t.Int64Data, v => v);
        }

        /// <summary>
        /// A tensor's values from raw_data (little-endian, exactly count * size bytes) or else from
        /// the typed field, checked against its shape: dims >= 0, a count that fits, as many values.
        /// </summary>
        static T[] Values<T, TField>(NodeProto n, TensorProto t, IReadOnlyList<TField> typed, Func<TField, T> convert) where T : unmanaged
        {
            if (t.DataLocation == TensorProto.Types.DataLocation.External)
                throw Unsupported(n, $"tensor '{t.Name}' is stored in an external file; only tensors inside the model are supported");
            if (t.Dims.Any(d => d < 0)) throw Unsupported(n, $"tensor '{t.Name}' has shape [{string.Join(", ", t.Dims)}] with a negative dimension");
            long count;
            try { count = t.Dims.Aggregate(1L, (a, b) => checked(a * b)); }
            catch (OverflowException) { throw Unsupported(n, $"tensor '{t.Name}' has shape [{string.Join(", ", t.Dims)}], too many values for any file"); }
            int size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
            long held = t.RawData.Length > 0 ? (t.RawData.Length % size == 0 ? t.RawData.Length / size : -1) : typed.Count;
            if (held != count)
                throw Unsupported(n, t.RawData.Length > 0
                    ? $"tensor '{t.Name}' holds {t.RawData.Length} bytes of data, its shape [{string.Join(", ", t.Dims)}] needs {count} values of {size} bytes"
                    : $"tensor '{t.Name}' holds {typed.Count} values, its shape [{string.Join(", ", t.Dims)}] needs {count}");
            return t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, T>(t.RawData.Span).ToArray() : typed.Select(convert).ToArray();
        }

        static (long[] Shape, float[] Data) Transpose(long[] shape, float[] data)
        {
            long rows = shape[0], cols = shape[1];
            var t = new float[data.Length];
            for (long r = 0; r < rows; r++)
                for (long c = 0; c < cols; c++) t[c * rows + r] = data[r * cols + c];
            return ([cols, rows], t);
        }

        /// <summary>An attribute we do not know could change the op's meaning: refuse it rather than ignore it.</summary>
        static void Allow(NodeProto n, params string[] known)
        {
            foreach (var a in n.Attribute)
                if (!known.Contains(a.Name)) throw Unsupported(n, $"attribute '{a.Name}' is not supported" + (known.Length > 0 ? $" (supported: {string.Join(", ", known)})" : ""));
            if (n.Attribute.GroupBy(a => a.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
                throw Unsupported(n, $"attribute '{twice.Key}' is given {twice.Count()} times");
        }

        void OnlyFirstOutputRead(NodeProto n)
        {
            foreach (var o in n.Output.Skip(1))
                if (o != "" && readers.GetValueOrDefault(o) > 0) throw Unsupported(n, $"its extra output '{o}' is read; only the first output is supported");
        }

        /// <summary>The attribute, which must hold the type the op defines for it (an INT read as FLOAT would read 0).</summary>
        static AttributeProto? Attribute(NodeProto n, string name, AttributeType type) =>
            n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? Typed(n, a, type) : null;

        static AttributeProto Typed(NodeProto n, AttributeProto a, AttributeType type) =>
            a.Type == type ? a : throw Unsupported(n, $"attribute '{a.Name}' is of type {a.Type}; {type} is expected");

        static long Int(NodeProto n, string name, long fallback) => Attribute(n, name, AttributeType.Int)?.I ?? fallback;
        static float Float(NodeProto n, string name, float fallback) => Attribute(n, name, AttributeType.Float)?.F ?? fallback;
        static long[]? Ints(NodeProto n, string name) => Attribute(n, name, AttributeType.Ints)?.Ints.ToArray();

        /// <summary>
        /// An ONNX int64 as the description's int: values beyond int are refused with the value,
        /// never truncated (2^32 + 28 would otherwise become 28).
        /// </summary>
        static int ToInt(NodeProto n, long value, string what) =>
            value is >= int.MinValue and <= int.MaxValue ? (int)value : throw Unsupported(n, $"{what} {value} is beyond the supported range (at most {int.MaxValue})");

        static int Positive(NodeProto n, long value, string what) =>
            value >= 1 ? ToInt(n, value, what) : throw Unsupported(n, $"{what} must be at least 1, got {value}");

        /// <summary>A per-axis attribute whose values must all be equal (square kernels, same stride both ways), at least 1.</summary>
        static int Same(NodeProto n, string name, int count, int? fallback)
        {
            var v = Ints(n, name);
            if (v is null) return fallback ?? throw Unsupported(n, $"attribute '{name}' is missing");
            if (v.Length != count || v.Distinct().Count() != 1)
                throw Unsupported(n, $"{name} [{string.Join(", ", v)}]; only {count} equal values (the same in height and width) are supported");
            return Positive(n, v[0], name);
        }

        /// <summary>
        /// A Conv's or pool's pads [top, left, bottom, right]: explicit, or what auto_pad makes of
        /// the input's size (SAME: output = ceil(input / stride), the odd zero at the end for
        /// SAME_UPPER, at the beginning for SAME_LOWER).
        /// </summary>
        long[] Pads(NodeProto n, string x, int kh, int kw, int stride, int dilation)
        {
            var autoPad = Attribute(n, "auto_pad", AttributeType.String)?.S.ToStringUtf8() ?? "NOTSET";
            var pads = Ints(n, "pads");
            switch (autoPad)
            {
                case "NOTSET" or "":
                    if (pads is null) return [0, 0, 0, 0];
                    if (pads.Length != 4) throw Unsupported(n, $"pads [{string.Join(", ", pads)}]; four values (2-D) are expected");
                    if (pads.Any(p => p < 0)) throw Unsupported(n, $"pads [{string.Join(", ", pads)}] crop; only padding (pads >= 0) is supported");
                    return pads;
                case "VALID":
                    if (pads is not null && pads.Any(p => p != 0)) throw Unsupported(n, "auto_pad=VALID with non-zero pads");
                    return [0, 0, 0, 0];
                case "SAME_UPPER" or "SAME_LOWER":
                {
                    if (pads is not null && pads.Any(p => p != 0)) throw Unsupported(n, $"auto_pad={autoPad} with explicit pads; one or the other is supported, not both");
                    var shape = ShapeNow(n, x);
                    if (shape.Flat) throw Unsupported(n, $"reads a flat vector of {shape.C}; a feature map is needed");
                    long Total(int size, int k) => Math.Max(0, ((long)size + stride - 1) / stride * stride - stride + (long)dilation * (k - 1) + 1 - size);
                    long th = Total(shape.H, kh), tw = Total(shape.W, kw);
                    return autoPad == "SAME_UPPER" ? [th / 2, tw / 2, th - th / 2, tw - tw / 2] : [th - th / 2, tw - tw / 2, th / 2, tw / 2];
                }
                default:
                    throw Unsupported(n, $"auto_pad={autoPad}; only NOTSET, VALID, SAME_UPPER and SAME_LOWER are supported");
            }
        }

        /// <summary>Layers the output depends on: an exporter may leave dead branches behind.</summary>
        HashSet<string> Reachable(string output)
        {
            var byName = layers.ToDictionary(l => l.Name);
            var seen = new HashSet<string>();
            var stack = new Stack<string>([output]);
            while (stack.TryPop(out var name))
                if (name != Network.InputName && seen.Add(name))
                    foreach (var i in byName[name].Inputs) stack.Push(i);
            return seen;
        }

        void Validate(Network net)
        {
            IReadOnlyDictionary<string, TensorShape> shapes;
            try
            {
                shapes = ShapeInference.Infer(net);
            }
            catch (InvalidNetworkException e)
            {
                throw new UnsupportedModelException($"the ONNX graph does not form a supported network: {e.Message}");
            }
            foreach (var (layer, features, n) in reshapes)
                if (shapes[layer].C != features)
                    throw Unsupported(n, $"Reshape to [*, {features}] of a {shapes[net[layer].Inputs[0]]} tensor is not a flatten; only flattening reshapes are supported");
            foreach (var spec in ParameterShapes.Of(net))
                if (!weights[spec.Key].Shape.SequenceEqual(spec.Shape))
                    throw new UnsupportedModelException(
                        $"layer '{spec.Layer}' ({net[spec.Layer].Kind}): its {spec.Param} has shape [{string.Join(", ", weights[spec.Key].Shape)}], its input needs [{string.Join(", ", spec.Shape)}]");
        }

        static UnsupportedModelException Unsupported(NodeProto n, string problem) =>
            new($"ONNX node '{n.Name}' (op {n.OpType}): {problem}");
    }
}
