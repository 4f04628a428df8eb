using Amc.Graph;
using Onnx;
using static Amc.Onnx.OnnxProto;
using static TorchSharp.torch;
using Amc.Torch;
using Amc.Data;

namespace Amc.Onnx;

/// <summary>
/// Writes a network description and its weights as an ONNX model (opset 13) that ONNX Runtime
/// runs with the same results as the TorchSharp <see cref="GraphModule"/> in eval mode. The graph
/// reads "input" [N, C, H, W] (symbolic batch) and yields "logits". ONNX node names are the layer
/// names, so <see cref="OnnxImporter"/> gives the same layer names back.
/// </summary>
public static class OnnxExporter
{
    public const int Opset = 13;
    public const string InputName = "input", OutputName = "logits";

    /// <param name="foldBatchNorm">Fold a BatchNorm into the conv before it when the BN is that
    /// conv's only reader: one node less per conv and the form deployment runtimes expect.</param>
    /// <param name="preprocessing">Written into the model's metadata_props (<see cref="Preprocessing.ToMetadata"/>), so the file says how to feed it.</param>
    public static ModelProto Export(Network net, IReadOnlyDictionary<string, Tensor> weights, bool foldBatchNorm = true, Preprocessing? preprocessing = null)
    {
        var shapes = ShapeInference.Infer(net);
        CheckWeights(net, weights);
        var graph = new Emitter(net, weights, foldBatchNorm, batchStatistics: false).Emit();
        graph.Input.Add(Value(InputName, [net.Input.C, net.Input.H, net.Input.W]));
        var o = shapes[net.Output.Name];
        graph.Output.Add(Value(OutputName, o.Flat ? [o.C] : [o.C, o.H, o.W]));

        var model = OnnxProto.Model(graph, "amc", typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "");
        foreach (var (key, value) in preprocessing?.ToMetadata() ?? new Dictionary<string, string>())
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    public static void Save(string path, Network net, IReadOnlyDictionary<string, Tensor> weights, bool foldBatchNorm = true) =>
        OnnxFile.Save(Export(net, weights, foldBatchNorm), path);

    /// <summary>Name of the one output of <see cref="ExportBatchStatistics"/>.</summary>
    public const string BatchStatisticsName = "batch_statistics";

    /// <summary>
    /// Opset of <see cref="ExportBatchStatistics"/>: BatchNormalization's training mode, which hands
    /// out the batch statistics, exists from opset 14.
    /// </summary>
    const int BatchStatisticsOpset = 15;

    /// <summary>
    /// The network as it runs while BN statistics are estimated: every BatchNorm normalises by its
    /// batch's own per-channel mean and biased variance (over N, H, W), as a BN in training mode
    /// does. The one output, "batch_statistics", is each BN's batch mean then batch variance
    /// (biased), BNs in layer order, one value per channel: <c>[mean_1, var_1, mean_2, ...]</c>.
    /// One flat output keeps the session a plain single-output one; the logits are not computed.
    /// </summary>
    public static ModelProto ExportBatchStatistics(Network net, IReadOnlyDictionary<string, Tensor> weights)
    {
        CheckWeights(net, weights);
        var emitter = new Emitter(net, weights, foldBatchNorm: false, batchStatistics: true);
        var graph = emitter.Emit();
        if (emitter.Statistics.Count == 0) throw new ArgumentException($"'{net.Name}' has no BatchNorm layer");
        graph.Input.Add(Value(InputName, [net.Input.C, net.Input.H, net.Input.W]));
        Node(graph, "Concat", BatchStatisticsName, [.. emitter.Statistics.Select(s => s.Value)], BatchStatisticsName, Int("axis", 0));
        graph.Output.Add(Vector(BatchStatisticsName, emitter.Statistics.Sum(s => (long)s.Channels)));
        return OnnxProto.Model(graph, "amc", typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "", BatchStatisticsOpset);
    }

    static void CheckWeights(Network net, IReadOnlyDictionary<string, Tensor> weights)
    {
        foreach (var spec in ParameterShapes.Of(net))
        {
            if (!weights.TryGetValue(spec.Key, out var w))
                throw new ArgumentException($"weights have no tensor '{spec.Key}'");
            if (!w.shape.SequenceEqual(spec.Shape))
                throw new ArgumentException($"tensor '{spec.Key}' has shape [{string.Join(", ", w.shape)}], the architecture needs [{string.Join(", ", spec.Shape)}]");
        }
    }

    sealed class Emitter(Network net, IReadOnlyDictionary<string, Tensor> weights, bool foldBatchNorm, bool batchStatistics)
    {
        /// <summary>With batchStatistics: the values holding each BN's batch mean and variance, in order.</summary>
        public List<(string Value, int Channels)> Statistics { get; } = [];
        readonly GraphProto graph = new() { Name = net.Name };
        /// <summary>The ONNX value holding each layer's output (Dropout and folded BNs alias another).</summary>
        readonly Dictionary<string, string> values = new() { [Network.InputName] = InputName };
        readonly HashSet<string> folded = [];
        readonly IReadOnlyDictionary<string, TensorShape> shapes = ShapeInference.Infer(net);
        bool clipBounds;

        public GraphProto Emit()
        {
            foreach (var l in net.Layers)
                if (l.Name == OutputName && l != net.Output)
                    throw new ArgumentException($"layer '{l.Name}' is not the output, but its name is reserved for the ONNX output");
            foreach (var l in net.Layers)
                if (!folded.Contains(l.Name)) Layer(l);
            if (values[net.Output.Name] != OutputName) // the output layer emitted no node (a Dropout)
                Node("Identity", net.Output.Name, [values[net.Output.Name]], OutputName);
            return graph;
        }

        /// <summary>Name of the value a layer's node writes: the layer's name, "logits" for the last.</summary>
        string Out(Layer l) => values[l.Name] = l == net.Output ? OutputName : l.Name;

        void Layer(Layer l)
        {
            string x = values[l.Inputs[0]];
            switch (l.Kind)
            {
                case LayerKind.Conv2d:
                    Conv(l, x);
                    break;
                case LayerKind.BatchNorm2d when batchStatistics:
                    BatchStatistics(l, x);
                    break;
                case LayerKind.BatchNorm2d:
                    Node("BatchNormalization", l.Name,
                        [x, Param(l, "weight"), Param(l, "bias"), Param(l, "running_mean"), Param(l, "running_var")], Out(l),
                        Float("epsilon", (float)GraphModule.BatchNormEpsilon));
                    break;
                case LayerKind.ReLU:
                    Node("Relu", l.Name, [x], Out(l));
                    break;
                case LayerKind.ReLU6:
                    // Since opset 11 Clip takes its bounds as inputs, not attributes.
                    if (!clipBounds)
                    {
                        graph.Initializer.Add(Initializer("relu6/min", [], [0f]));
                        graph.Initializer.Add(Initializer("relu6/max", [], [6f]));
                        clipBounds = true;
                    }
                    Node("Clip", l.Name, [x, "relu6/min", "relu6/max"], Out(l));
                    break;
                case LayerKind.Sigmoid:
                    Node("Sigmoid", l.Name, [x], Out(l));
                    break;
                case LayerKind.HardSigmoid:
                    Node("HardSigmoid", l.Name, [x], Out(l), HardSigmoidAttributes);
                    break;
                case LayerKind.HardSwish:
                    // HardSwish is an op from opset 14 on; before, x * HardSigmoid(x), as PyTorch writes it.
                    // The importer names the activation after the gate node, so the gate carries the layer's name.
                    Node("HardSigmoid", l.Name, [x], $"{l.Name}/gate", HardSigmoidAttributes);
                    Node("Mul", $"{l.Name}/mul", [x, $"{l.Name}/gate"], Out(l));
                    break;
                case LayerKind.SiLU:
                    Node("Sigmoid", l.Name, [x], $"{l.Name}/gate");
                    Node("Mul", $"{l.Name}/mul", [x, $"{l.Name}/gate"], Out(l));
                    break;
                case LayerKind.LeakyReLU:
                    Node("LeakyRelu", l.Name, [x], Out(l), Float("alpha", (float)(l.Slope ?? 0.01)));
                    break;
                case LayerKind.PReLU:
                {
                    // The slope broadcasts from the last axis: [C, 1, 1] against a map, [C] against a vector.
                    var slope = weights[$"{l.Name}.weight"];
                    long[] dims = shapes[l.Name].Flat ? [slope.shape[0]] : [slope.shape[0], 1, 1];
                    graph.Initializer.Add(Initializer($"{l.Name}.weight", dims, Floats(slope)));
                    Node("PRelu", l.Name, [x, $"{l.Name}.weight"], Out(l));
                    break;
                }
                case LayerKind.Mul:
                    Node("Mul", l.Name, [x, values[l.Inputs[1]]], Out(l));
                    break;
                case LayerKind.Pad:
                {
                    var p = l.Pads!;
                    graph.Initializer.Add(Int64Initializer($"{l.Name}/pads", [0, 0, p[0], p[1], 0, 0, p[2], p[3]]));
                    Node("Pad", l.Name, [x, $"{l.Name}/pads"], Out(l));
                    break;
                }
                case LayerKind.MaxPool:
                    Node("MaxPool", l.Name, [x], Out(l), l.CeilMode == true ? [.. PoolAttributes(l), Int("ceil_mode", 1)] : PoolAttributes(l));
                    break;
                case LayerKind.AvgPool:
                    // PyTorch's AvgPool2d counts the zero padding in the divisor; ONNX's default does not.
                    Node("AveragePool", l.Name, [x], Out(l), [.. PoolAttributes(l), Int("count_include_pad", 1)]);
                    break;
                case LayerKind.GlobalAvgPool:
                    Node("GlobalAveragePool", l.Name, [x], Out(l));
                    break;
                case LayerKind.Flatten:
                    Node("Flatten", l.Name, [x], Out(l), Int("axis", 1));
                    break;
                case LayerKind.Linear:
                    Node("Gemm", l.Name, l.HasBias ? [x, Param(l, "weight"), Param(l, "bias")] : [x, Param(l, "weight")], Out(l),
                        Int("transB", 1));
                    break;
                case LayerKind.Add:
                {
                    // ONNX Add is binary: a chain of adds; the intermediate names hold a '/', which
                    // no layer name of ours does, so they cannot collide with a layer's value.
                    string sum = x;
                    for (int i = 1; i < l.Inputs.Count; i++)
                    {
                        bool last = i == l.Inputs.Count - 1;
                        string next = last ? Out(l) : $"{l.Name}/sum{i}";
                        Node("Add", last ? l.Name : $"{l.Name}/{i}", [sum, values[l.Inputs[i]]], next);
                        sum = next;
                    }
                    break;
                }
                case LayerKind.Concat:
                    Node("Concat", l.Name, l.Inputs.Select(i => values[i]).ToArray(), Out(l), Int("axis", 1));
                    break;
                case LayerKind.Dropout:
                    values[l.Name] = x; // inference: the identity
                    break;
                default:
                    throw new ArgumentException($"layer '{l.Name}': kind {l.Kind} has no ONNX mapping");
            }
        }

        void Conv(Layer l, string x)
        {
            var consumers = net.Consumers(l.Name).ToList();
            var bn = foldBatchNorm && l != net.Output && consumers is [{ Kind: LayerKind.BatchNorm2d } only] ? only : null;
            var attributes = new[]
            {
                Ints("kernel_shape", l.KernelSize, l.KernelWidth),
                Ints("strides", l.StrideValue, l.StrideValue),
                Ints("pads", l.PaddingValue, l.PaddingWidth, l.PaddingValue, l.PaddingWidth),
                Ints("dilations", l.DilationValue, l.DilationValue),
                Int("group", l.GroupCount),
            };
            if (bn is null)
            {
                Node("Conv", l.Name, l.HasBias ? [x, Param(l, "weight"), Param(l, "bias")] : [x, Param(l, "weight")], Out(l), attributes);
                return;
            }

            // y = gamma * (conv(x) + b - mean) / sqrt(var + eps) + beta is a conv with each output
            // channel's filter scaled by gamma / sqrt(var + eps) and a new bias. Computed in double
            // so the folded model stays within float rounding of the unfolded one.
            var w = weights[$"{l.Name}.weight"];
            var (gamma, beta, mean, variance) = (Data(bn, "weight"), Data(bn, "bias"), Data(bn, "running_mean"), Data(bn, "running_var"));
            var bias = l.HasBias ? Data(l, "bias") : new float[gamma.Length];
            var filters = Floats(w);
            int perFilter = filters.Length / gamma.Length;
            var foldedBias = new float[gamma.Length];
            for (int o = 0; o < gamma.Length; o++)
            {
                double scale = gamma[o] / Math.Sqrt(variance[o] + GraphModule.BatchNormEpsilon);
                for (int i = o * perFilter; i < (o + 1) * perFilter; i++) filters[i] = (float)(filters[i] * scale);
                foldedBias[o] = (float)((bias[o] - (double)mean[o]) * scale + beta[o]);
            }
            graph.Initializer.Add(Initializer($"{l.Name}.weight", w.shape, filters));
            graph.Initializer.Add(Initializer($"{l.Name}.bias", [gamma.Length], foldedBias));
            folded.Add(bn.Name);
            values[l.Name] = Out(bn);
            Node("Conv", l.Name, [x, $"{l.Name}.weight", $"{l.Name}.bias"], values[l.Name], attributes);
        }

        /// <summary>
        /// A BN in training mode: ONNX Runtime computes the batch mean and biased variance in one
        /// kernel and normalises by them. With momentum 0 the "running" outputs are exactly the
        /// batch statistics (the running inputs are placeholders). It replaced a graph of
        /// ReduceMean / Sub / ReduceSumSquare nodes per BN that reduced one axis at a time to stay
        /// near ATen's double accumulation: on MobileNetV2 at 224x224 (1.25 M values per channel in
        /// a batch of 100) the variances of the two agree within 1.5e-5 relative, and the pass is
        /// faster (docs/BENCHMARKS.md, "BN pass in one node per BN").
        /// </summary>
        void BatchStatistics(Layer l, string x)
        {
            var input = shapes[l.Input];
            if (input.Flat) throw new ArgumentException($"layer '{l.Name}': a BatchNorm2d needs a [C, H, W] input");
            string p = l.Name + "/";
            graph.Initializer.Add(Initializer(p + "placeholder_mean", [input.C], new float[input.C]));
            graph.Initializer.Add(Initializer(p + "placeholder_var", [input.C], Enumerable.Repeat(1f, input.C).ToArray()));
            var node = new NodeProto { OpType = "BatchNormalization", Name = l.Name };
            node.Input.AddRange([x, Param(l, "weight"), Param(l, "bias"), p + "placeholder_mean", p + "placeholder_var"]);
            node.Output.AddRange([Out(l), p + "batch_mean", p + "batch_var"]);
            node.Attribute.AddRange([Float("epsilon", (float)GraphModule.BatchNormEpsilon), Float("momentum", 0f), Int("training_mode", 1)]);
            graph.Node.Add(node);
            Statistics.Add((p + "batch_mean", input.C));
            Statistics.Add((p + "batch_var", input.C));
        }

        static AttributeProto[] PoolAttributes(Layer l) =>
        [
            Ints("kernel_shape", l.KernelSize, l.KernelWidth),
            Ints("strides", l.StrideValue, l.StrideValue),
            Ints("pads", l.PaddingValue, l.PaddingWidth, l.PaddingValue, l.PaddingWidth),
        ];

        /// <summary>PyTorch's hardsigmoid, relu6(x + 3) / 6; ONNX's default slope is 0.2.</summary>
        static readonly AttributeProto[] HardSigmoidAttributes = [Float("alpha", 1f / 6), Float("beta", 0.5f)];

        /// <summary>Adds the layer's tensor as an initializer named by its key; returns the name.</summary>
        string Param(Layer l, string param)
        {
            var key = $"{l.Name}.{param}";
            var t = weights[key];
            graph.Initializer.Add(Initializer(key, t.shape, Floats(t)));
            return key;
        }

        float[] Data(Layer l, string param) => Floats(weights[$"{l.Name}.{param}"]);

        static float[] Floats(Tensor t)
        {
            // The scope holds the chain's temporaries (see SafeTensorsFile.Write).
            using var scope = NewDisposeScope();
            return t.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
        }

        void Node(string op, string name, string[] inputs, string output, params AttributeProto[] attributes) =>
            OnnxProto.Node(graph, op, name, inputs, output, attributes);
    }
}
