using Amc.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace Amc.Torch;

/// <summary>
/// A TorchSharp module built from a network description. Each layer becomes one TorchSharp
/// module; forward walks the layers in their (topological) order. Parameters are addressed by
/// the description's keys ("layer.param"), which are PyTorch's state-dict names for zoo models.
/// </summary>
public sealed class GraphModule : nn.Module<Tensor, Tensor>
{
    readonly Network net;
    readonly Dictionary<string, nn.Module<Tensor, Tensor>> layerModules = [];
    /// <summary>Stateless layers computed inline from the values so far (they may read several).</summary>
    readonly Dictionary<string, Func<Dictionary<string, Tensor>, Tensor>> inlineLayers = [];

    /// <summary>Index of the last layer that reads each value (layer name or input); absent: nobody reads it.</summary>
    readonly Dictionary<string, int> lastReader = [];

    public Network Network => net;

    /// <summary>Epsilon of every BatchNorm2d (PyTorch's default); ONNX export and import rely on it.</summary>
    public const double BatchNormEpsilon = 1e-5;

    public GraphModule(Network net) : base(net.Name)
    {
        this.net = net;
        for (int i = 0; i < net.Layers.Count; i++)
            foreach (var input in net.Layers[i].Inputs) lastReader[input] = i;
        var shapes = ShapeInference.Infer(net);
        foreach (var l in net.Layers)
        {
            var (m, inline) = Create(l, shapes[l.Inputs[0]]);
            if (inline is not null) inlineLayers[l.Name] = inline;
            if (m is null) continue;
            layerModules[l.Name] = m;
            register_module(ModuleName(l.Name), m);
        }
    }

    /// <summary>TorchSharp joins nested names with '.', so a layer name may not contain one.</summary>
    static string ModuleName(string layer) => layer.Replace('.', '_');

    /// <summary>
    /// The TorchSharp mapping, one entry per kind: a module when the layer has tensors or PyTorch
    /// has one (so state-dict names match), otherwise how to compute it inline from the values so far.
    /// </summary>
    static (nn.Module<Tensor, Tensor>? Module, Func<Dictionary<string, Tensor>, Tensor>? Inline) Create(Layer l, TensorShape input) => l.Kind switch
    {
        LayerKind.Conv2d => (nn.Conv2d(input.C, l.Out!.Value, (l.KernelSize, l.KernelWidth), stride: (l.StrideValue, l.StrideValue),
            padding: (l.PaddingValue, l.PaddingWidth), dilation: (l.DilationValue, l.DilationValue), groups: l.GroupCount, bias: l.HasBias), null),
        LayerKind.BatchNorm2d => (ScalarSafeModules.BatchNorm2d(input.C, BatchNormEpsilon), null),
        LayerKind.ReLU => (nn.ReLU(), null),
        LayerKind.ReLU6 => (nn.ReLU6(), null),
        LayerKind.Sigmoid => (nn.Sigmoid(), null),
        LayerKind.HardSigmoid => (nn.Hardsigmoid(), null),
        LayerKind.HardSwish => (nn.Hardswish(), null),
        LayerKind.SiLU => (nn.SiLU(), null),
        LayerKind.LeakyReLU => (new ScalarSafeModules.LeakyReLU(l.Slope ?? 0.01), null),
        LayerKind.PReLU => (new ScalarSafeModules.PReLU(input.C), null),
        LayerKind.MaxPool => (nn.MaxPool2d((l.KernelSize, l.KernelWidth), (l.StrideValue, l.StrideValue), (l.PaddingValue, l.PaddingWidth),
            ceil_mode: l.CeilMode ?? false), null),
        LayerKind.AvgPool => (nn.AvgPool2d((l.KernelSize, l.KernelWidth), (l.StrideValue, l.StrideValue), (l.PaddingValue, l.PaddingWidth)), null),
        LayerKind.Linear => (nn.Linear(input.C, l.Out!.Value, l.HasBias), null),
        LayerKind.Dropout => (nn.Dropout(l.P ?? 0.5), null),
        LayerKind.GlobalAvgPool => (null, v => v[l.Inputs[0]].mean([2, 3], keepdim: true)),
        LayerKind.Flatten => (null, v => v[l.Inputs[0]].flatten(1)),
        LayerKind.Add => (null, v =>
        {
            var sum = v[l.Inputs[0]];
            for (int i = 1; i < l.Inputs.Count; i++) sum = sum.Plus(v[l.Inputs[i]]);
            return sum;
        }),
        LayerKind.Concat => (null, v => cat(l.Inputs.Select(i => v[i]).ToList(), 1)),
        LayerKind.Mul => (null, v => v[l.Inputs[0]] * v[l.Inputs[1]]),
        // F.pad lists the last axis first: left, right, then top, bottom.
        LayerKind.Pad => (null, v => nn.functional.pad(v[l.Inputs[0]], [l.Pads![1], l.Pads[3], l.Pads[0], l.Pads[2]])),
        _ => throw new NotSupportedException($"layer '{l.Name}': kind {l.Kind} has no TorchSharp mapping"),
    };

    public override Tensor forward(Tensor x)
    {
        var values = new Dictionary<string, Tensor>(net.Layers.Count + 1) { [Network.InputName] = x };
        foreach (var l in net.Layers)
            values[l.Name] = Apply(l, values);
        return values[net.Output.Name];
    }

    /// <summary>Runs the network and returns the outputs of the named layers too (feature collection).</summary>
    public Dictionary<string, Tensor> ForwardAll(Tensor x)
    {
        var values = new Dictionary<string, Tensor>(net.Layers.Count + 1) { [Network.InputName] = x };
        foreach (var l in net.Layers)
            values[l.Name] = Apply(l, values);
        return values;
    }

    /// <summary>
    /// Runs the network holding only the values later layers still read: each is disposed right
    /// after its last reader (the input and the output are kept), as are a layer's temporaries, so
    /// memory is bounded by the few activations alive at once rather than by all of them
    /// (docs/BENCHMARKS.md, "BN re-estimation at 224x224"). <paramref name="after"/> sees each layer
    /// as soon as it ran, e.g. to read statistics it updated.
    /// </summary>
    public Tensor ForwardReleasing(Tensor x, Action<Layer> after) => ForwardReleasing(x, (l, _) => after(l));

    /// <summary>
    /// As <see cref="ForwardReleasing(Tensor, Action{Layer})"/>; <paramref name="after"/> also sees
    /// the values still alive, which include the layer's inputs and output (valid during the call only).
    /// </summary>
    public Tensor ForwardReleasing(Tensor x, Action<Layer, IReadOnlyDictionary<string, Tensor>> after)
    {
        var live = new Dictionary<string, Tensor> { [Network.InputName] = x };
        var layers = net.Layers;
        for (int i = 0; i < layers.Count; i++)
        {
            var l = layers[i];
            Tensor y;
            using (var scope = NewDisposeScope())
            {
                y = Apply(l, live);
                scope.MoveToOuter(y);
            }
            live[l.Name] = y;
            after(l, live);
            foreach (var name in l.Inputs.Append(l.Name).Distinct())
                if (!lastReader.TryGetValue(name, out int last) || last == i) Release(name);
        }
        return live[net.Output.Name];

        void Release(string name)
        {
            if (name == net.Output.Name || !live.Remove(name, out var value)) return;
            // Not while the same tensor is live under another name, as after a layer that returned its input unchanged.
            if (!ReferenceEquals(value, x) && !live.Values.Any(v => ReferenceEquals(v, value))) value.Dispose();
        }
    }

    Tensor Apply(Layer l, Dictionary<string, Tensor> values) =>
        inlineLayers.TryGetValue(l.Name, out var inline) ? inline(values) : layerModules[l.Name].call(values[l.Inputs[0]]);

    /// <summary>The tensors of every layer by description key (live references, not copies).</summary>
    public Dictionary<string, Tensor> Tensors()
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var spec in ParameterShapes.Of(net))
            result[spec.Key] = TensorOf(spec.Layer, spec.Param);
        return result;
    }

    Tensor TensorOf(string layer, string param)
    {
        var m = layerModules[layer];
        return (m, param) switch
        {
            (TorchSharp.Modules.Conv2d c, "weight") => c.weight!,
            (TorchSharp.Modules.Conv2d c, "bias") => c.bias!,
            (TorchSharp.Modules.Linear f, "weight") => f.weight!,
            (TorchSharp.Modules.Linear f, "bias") => f.bias!,
            (ScalarSafeModules.PReLU p, "weight") => p.weight,
            (TorchSharp.Modules.BatchNorm2d b, "weight") => b.weight!,
            (TorchSharp.Modules.BatchNorm2d b, "bias") => b.bias!,
            (TorchSharp.Modules.BatchNorm2d b, "running_mean") => b.running_mean!,
            (TorchSharp.Modules.BatchNorm2d b, "running_var") => b.running_var!,
            _ => throw new InvalidOperationException($"layer '{layer}' has no tensor '{param}'"),
        };
    }

    /// <summary>Copies weights in; every key of the description must be present with its exact shape.</summary>
    public void LoadTensors(IReadOnlyDictionary<string, Tensor> weights)
    {
        using var _ = no_grad();
        foreach (var spec in ParameterShapes.Of(net))
        {
            if (!weights.TryGetValue(spec.Key, out var w))
                throw new CheckpointException($"weights have no tensor '{spec.Key}'");
            if (!w.shape.SequenceEqual(spec.Shape))
                throw new CheckpointException($"tensor '{spec.Key}' has shape [{string.Join(", ", w.shape)}], the architecture needs [{string.Join(", ", spec.Shape)}]");
            TensorOf(spec.Layer, spec.Param).copy_(w);
        }
    }

    /// <summary>BatchNorm layers, for re-estimating running statistics after pruning.</summary>
    public IEnumerable<TorchSharp.Modules.BatchNorm2d> BatchNorms() => layerModules.Values.OfType<TorchSharp.Modules.BatchNorm2d>();
}
