namespace Amc.Graph;

/// <summary>
/// The memory a command will hold, estimated from the network description before any tensor is
/// allocated, so a run that cannot fit is refused with numbers instead of being killed by the OS
/// halfway. All values are float32 (4 bytes) except the Gram matrices (float64). Counted:
/// <list type="bullet">
/// <item>Weights: every parameter and BN statistic, times the copies the command keeps (training:
/// weights, gradients, SGD momentum and the checkpoint snapshot; deployment: the module, the ONNX
/// bytes and the ONNX Runtime session).</item>
/// <item>Activations at batch B: the network input and every layer output, all held at once
/// (GraphModule keeps each output until the forward pass ends, and autograd keeps them for the
/// backward pass). Flatten is a view; dropout in inference returns its input. Training adds each
/// dropout's mask and the gradients of the two largest outputs, which the backward pass holds
/// while it walks back. ONNX Runtime alone (bench --engine ort) reuses buffers as it goes: the
/// input and the two largest outputs.</item>
/// <item>Gram matrices (prune --reconstruct, search): (d+1)^2 float64 per layer that reads a
/// prunable group, d = input channels x k x k of a conv or input features of a linear.</item>
/// <item>Data: image tensors a command makes up front (calibration, held-out and test batches).</item>
/// </list>
/// Not counted: the .NET and libtorch runtimes (a few hundred MB), allocator slack, libtorch's
/// per-op scratch buffers, and a data set already loaded (it is no longer in the available memory
/// the estimate is compared with). The estimate is therefore a floor of what the run needs: a
/// refusal is never wrong, and a run near the limit may still need more. Measured on ResNet-20 at
/// 1x28x28 (peak resident memory between two batch sizes): TorchSharp inference takes 1.1x the
/// activations counted here, a training step 1.4x (allocator caching, autograd's bookkeeping).
/// </summary>
/// <param name="Runtime">The runtimes and allocator slack, where measured (training; see <see cref="Calibrated"/>).</param>
/// <param name="Phase">
/// Bytes of a phase that runs apart from the batches (a training run's BN re-estimation between
/// epochs, named by <paramref name="PhaseName"/>): the estimate holds the larger of it and a batch's activations.
/// </param>
public sealed record MemoryEstimate(string Task, int Batch, long Weights, long ActivationsPerImage, long Grams = 0, long Data = 0, long Runtime = 0,
    long Phase = 0, string? PhaseName = null)
{
    public const int FloatBytes = 4, DoubleBytes = 8;

    // Saturating arithmetic: an absurd request must read as "far too much", not wrap to a small number.
    public long Activations => Math.Max(BatchActivations, Phase);

    long BatchActivations => ShapeInference.Product(ActivationsPerImage, Batch);

    public long Total => Sum(Sum(Sum(Weights, Activations), Sum(Grams, Data)), Runtime);

    static long Sum(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    /// <summary>Training with SGD + momentum: weights, gradients, momentum and the snapshot saved each epoch.</summary>
    public static MemoryEstimate Training(Network net, int batch) =>
        new($"training {net.Name} at batch {batch}", batch, 4 * ParameterBytes(net), ActivationBytesPerImage(net, training: true));

    /// <summary>
    /// Forward passes without gradients; <paramref name="weightCopies"/> counts the module and any
    /// ONNX copies. <paramref name="keepsOutputs"/> false: ONNX Runtime only, which frees outputs once read.
    /// </summary>
    public static MemoryEstimate Inference(Network net, int batch, string task, int weightCopies = 1, bool keepsOutputs = true) =>
        new($"{task} {net.Name} at batch {batch}", batch, weightCopies * ParameterBytes(net),
            keepsOutputs ? ActivationBytesPerImage(net, training: false) : StreamingBytesPerImage(net));

    /// <summary>Weights alone (import): <paramref name="copies"/> of them, no forward pass.</summary>
    public static MemoryEstimate WeightsOnly(Network net, string task, int copies) =>
        new($"{task} {net.Name}", 0, copies * ParameterBytes(net), 0);

    /// <summary>
    /// From the floor to a peak measured on real runs: activations times <paramref name="activationFactor"/>
    /// (what the allocator and autograd hold beyond the tensors counted) plus <paramref name="runtime"/> bytes.
    /// </summary>
    public MemoryEstimate Calibrated(double activationFactor, long runtime) => this with
    {
        ActivationsPerImage = (long)Math.Min(long.MaxValue, ActivationsPerImage * activationFactor),
        Runtime = runtime,
    };

    /// <summary>Adds the Gram matrices least-squares reconstruction collects.</summary>
    public MemoryEstimate WithGrams(Network net) => this with { Grams = GramBytes(net) };

    /// <summary>One more float32 copy of each input image (e.g. an array the batch is also passed as).</summary>
    public MemoryEstimate WithInputCopy(Network net) => this with { ActivationsPerImage = ActivationsPerImage + net.Input.Elements * FloatBytes };

    /// <summary>Adds float32 tensors of <paramref name="images"/> input images made up front.</summary>
    public MemoryEstimate WithImages(Network net, long images) => this with { Data = Sum(Data, ShapeInference.Product(images, net.Input.Elements, FloatBytes)) };

    /// <summary>Bytes of every parameter and BN statistic, float32.</summary>
    public static long ParameterBytes(Network net) =>
        ParameterShapes.Of(net).Sum(s => s.Shape.Aggregate(1L, (a, b) => a * b)) * FloatBytes;

    /// <summary>Bytes of the activations one image adds (see the class comment for what is counted).</summary>
    public static long ActivationBytesPerImage(Network net, bool training)
    {
        var shapes = ShapeInference.Infer(net);
        long held = net.Input.Elements, largest = 0, second = 0;
        foreach (var l in net.Layers)
        {
            long size = shapes[l.Name].Elements;
            if (l.Kind == LayerKind.Flatten) continue;
            if (l.Kind == LayerKind.Dropout)
            {
                if (training) held += 2 * size; // output and mask
                continue;
            }
            held += size;
            if (size > largest) (largest, second) = (size, largest);
            else if (size > second) second = size;
        }
        if (training) held += largest + second;
        return held * FloatBytes;
    }

    /// <summary>The input and the two largest outputs: the least a runtime that frees outputs holds.</summary>
    public static long StreamingBytesPerImage(Network net)
    {
        var shapes = ShapeInference.Infer(net);
        var sizes = net.Layers.Select(l => shapes[l.Name].Elements).OrderDescending().Take(2).Sum();
        return (net.Input.Elements + sizes) * FloatBytes;
    }

    /// <summary>Gram matrices of the inputs of every layer that reads a prunable group, float64.</summary>
    public static long GramBytes(Network net)
    {
        var shapes = ShapeInference.Infer(net);
        var graph = ChannelGraph.Build(net);
        long bytes = 0;
        foreach (var name in graph.Prunable.SelectMany(g => g.Consumers).Distinct())
        {
            var l = net[name];
            long d = l.Kind == LayerKind.Linear ? shapes[l.Inputs[0]].C : (long)shapes[l.Inputs[0]].C * l.KernelSize * l.KernelWidth;
            bytes = Sum(bytes, ShapeInference.Product(d + 1, d + 1, DoubleBytes));
        }
        return bytes;
    }

    /// <summary>The largest batch whose estimate fits in <paramref name="available"/> bytes, or 0 when none does.</summary>
    public int LargestBatch(long available)
    {
        long rest = available - Sum(Sum(Weights, Runtime), Sum(Grams, Data));
        if (rest <= 0 || rest < Phase || ActivationsPerImage <= 0) return 0;
        return (int)Math.Min(int.MaxValue, rest / ActivationsPerImage);
    }

    public bool Fits(long available) => Total <= available;

    /// <summary>"needs about 31.2 GB (weights 0.1 GB, activations 30.5 GB), 22.8 GB is available".</summary>
    /// <param name="limit">What set <paramref name="available"/> when it is not the free memory, e.g. "--max-memory".</param>
    public string Describe(long available, string? limit = null)
    {
        var parts = new List<string> { $"weights {Bytes(Weights)}" };
        if (Activations > 0) parts.Add($"activations {Bytes(Activations)}" + (Phase > BatchActivations && PhaseName is not null ? $" ({PhaseName})" : ""));
        if (Grams > 0) parts.Add($"Gram matrices {Bytes(Grams)}");
        if (Data > 0) parts.Add($"image tensors {Bytes(Data)}");
        if (Runtime > 0) parts.Add($"runtime {Bytes(Runtime)}");
        return $"{Task} needs about {Bytes(Total)} ({string.Join(", ", parts)}), " +
            (limit is null ? $"{Bytes(available)} is available" : $"{limit} allows {Bytes(available)}");
    }

    /// <summary>2.1 TB, 1.5 GB, 230 MB: one decimal in TB and GB, whole MB below (binary units).</summary>
    public static string Bytes(long bytes) =>
        bytes >= 1L << 40 ? $"{bytes / (double)(1L << 40):F1} TB" :
        bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):F1} GB" : $"{(bytes + (1 << 20) - 1) >> 20} MB";
}
