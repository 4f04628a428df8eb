using Amc.Data;
using Amc.Graph;
using Amc.Latency;
using Amc.Onnx;
using Amc.Pruning;
using Amc.Quantization;
using Amc.Torch;
using Amc.Training;
using Google.Protobuf;

namespace Amc.Sessions;

/// <summary>
/// Post-training static int8 quantization of a checkpoint or ONNX file (<see cref="QdqQuantizer"/>):
/// the float network is exported (BN folded), its activation ranges calibrated on a seeded
/// sample of the training split, and the QDQ model scored next to the float one in ONNX Runtime
/// and timed side by side. Writes nothing: the caller saves <see cref="QuantizeResult.Quantized"/>.
/// </summary>
public static class QuantizeSession
{
    /// <summary>Bytes of calibration outputs held at once: every quantized value of a batch is an extra output.</summary>
    const long CalibrationBudget = 1L << 30;

    public static QuantizeResult Run(QuantizeSettings settings, Action<string>? progress = null)
    {
        try { settings.Quantization.Validate(); }
        catch (ArgumentException e) { throw new SettingsException(e.Message); }
        var (floatModel, input, data, batch, net) = Prepare(settings, progress);
        var quantization = settings.Policy is null ? settings.Quantization : WithPolicy(settings, net);
        QdqPlan plan;
        try { plan = QdqQuantizer.Plan(floatModel, quantization); }
        catch (ArgumentException e) { throw new SettingsException(e.Message); }

        var sample = data.CalibrationIndices(settings.Quantization.CalibrationImages, settings.Seed);
        progress?.Invoke($"calibrating {plan.CalibratedValues.Count} activation ranges on {sample.Length} training images ({settings.Quantization.Method})");
        var ranges = ActivationCalibration.Calibrate(floatModel, plan.CalibratedValues,
            () => PassProgress.Report(new BatchLoader(data.Train, sample, batch, shuffle: false, augment: false, seed: 0, prefetch: 3).Select(b => (b.Images, b.Count)),
                b => b.Count, sample.Length, "calibration pass", progress),
            quantization, settings.Threads);
        var quantized = QdqQuantizer.Apply(floatModel, plan, ranges, quantization);

        bool heldOut = settings.HeldOut || data.Test.Count == 0;
        var (set, indices) = heldOut ? (data.Train, data.Split.HeldOut) : (data.Test, data.Test.AllIndices());
        progress?.Invoke($"scoring the float and int8 networks on {indices.Length} {(heldOut ? "held-out" : "test")} images");
        var scores = ModelEvaluation.AgainstFirst([floatModel, quantized], set, indices, batch, settings.Threads, progress);
        var (floatScore, quantizedScore) = (scores[0], scores[1]);

        var timings = new List<QuantizeTiming>();
        foreach (int threads in settings.TimingThreads)
        {
            progress?.Invoke($"timing both at batch 1, {threads} thread(s), {settings.Repeats} runs each");
            timings.Add(Time(floatModel, quantized, input, threads, settings.Repeats, settings.Seed));
        }
        return new QuantizeResult(floatModel, quantized, plan, ranges, sample.Length, heldOut ? "heldout" : "test", data.HasLabels,
            floatScore, quantizedScore, floatModel.CalculateSize(), quantized.CalculateSize(), timings);
    }

    /// <summary>The settings with the float layers of the policy's float groups added (<see cref="LayerPrecision"/>).</summary>
    static QuantizationSettings WithPolicy(QuantizeSettings settings, Network? net)
    {
        string path = settings.Policy!;
        if (net is null) throw new SettingsException($"--policy {path} names channel groups, and {settings.Model} is not a network amc reads; keep layers in float with --float NODE instead");
        var graph = ChannelGraph.Build(net);
        IReadOnlyList<int> int8;
        try { int8 = PruningPolicy.Load(path).Int8Groups(graph); }
        catch (PolicyException e) { throw new SettingsException(e.Message); }
        if (int8.Count == 0)
            throw new SettingsException($"{path} puts no group in int8 (it is not from `amc search --mixed-precision`); drop --policy to quantize every layer but the first and last");
        var floatLayers = LayerPrecision.FloatLayers(net, graph, Policy.Full(graph).WithInt8(int8));
        return settings.Quantization with { FloatNodes = [.. settings.Quantization.FloatNodes.Union(floatLayers)] };
    }

    /// <summary>
    /// The float model to quantize, its input, the images and the batch to run them in. A
    /// checkpoint, or an ONNX file the importer reads, is exported as amc deploys it (BN folded);
    /// an ONNX file it does not read is quantized as its graph stands after ONNX Runtime's basic
    /// optimizations (<see cref="GraphPreparation"/>), fed as its metadata or --mean / --std say.
    /// </summary>
    static (global::Onnx.ModelProto Model, TensorShape Input, OpenedData Data, int Batch, Network? Net) Prepare(QuantizeSettings settings, Action<string>? progress)
    {
        Checkpoint ck;
        if (settings.Model.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            var file = OnnxFile.Load(settings.Model);
            try { ck = OnnxCheckpoint.FromModel(file, settings.Model, settings.Mean, settings.Std); }
            catch (UnsupportedModelException e)
            {
                var (graphModel, graphInput, graphData, graphBatch) = Graph(settings, file);
                // Said once the graph is known to be usable: bad input stays one line.
                progress?.Invoke($"{e.Message}; quantizing the ONNX graph as it is");
                return (graphModel, graphInput, graphData, graphBatch, null);
            }
        }
        else ck = Checkpoint.Load(settings.Model).RequireFinite(settings.Model);
        var net = ck.Network;
        CheckNormalisation(settings, net.Input);
        var data = OpenedData.OpenFor(settings.Data, ck);
        // Weights (checkpoint, float and int8 models, sessions) and a streamed forward pass per session.
        int batch = Evaluator.BatchFor(net, keepsOutputs: false);
        MemoryCheck.Ensure(MemoryEstimate.Inference(net, batch, "quantizing", weightCopies: 6, keepsOutputs: false));
        var model = OnnxExporter.Export(net, ck.Weights, foldBatchNorm: true, ck.Info.PreprocessingFor(net.Input));
        // Calibration holds every quantized value of a batch at once.
        long perImage = MemoryEstimate.ActivationBytesPerImage(net, training: false);
        return (model, net.Input, data, (int)Math.Clamp(CalibrationBudget / Math.Max(1, perImage), 1, batch), net);
    }

    static void CheckNormalisation(QuantizeSettings settings, TensorShape input)
    {
        if (settings.Mean is { } mean && (mean.Length != input.C || settings.Std?.Length != input.C))
            throw new SettingsException($"--mean and --std need {input.C} value{(input.C == 1 ? "" : "s")} (one per input channel)");
    }

    /// <summary>Batch of an ONNX graph known only to ONNX Runtime: small, as nothing tells its activations' size.</summary>
    const int GraphBatch = 8;

    static (global::Onnx.ModelProto, TensorShape, OpenedData, int) Graph(QuantizeSettings settings, global::Onnx.ModelProto file)
    {
        string path = settings.Model;
        var model = GraphPreparation.Optimize(file);
        var initializers = model.Graph.Initializer.Select(i => i.Name).ToHashSet();
        var inputs = model.Graph.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        long[] Dims(global::Onnx.ValueInfoProto v) => [.. v.Type.TensorType.Shape.Dim.Select(d => d.HasDimValue ? d.DimValue : -1)];
        if (inputs.Count != 1 || model.Graph.Output.Count != 1 || Dims(inputs[0]) is not [_, > 0, > 0, > 0] inDims)
            throw new SettingsException($"{path}: an image classifier with one input [N, C, H, W] (C, H, W fixed) and one output is needed; " +
                $"it has {inputs.Count} input(s) {string.Join(", ", inputs.Select(i => $"[{string.Join(", ", Dims(i))}]"))} and {model.Graph.Output.Count} output(s)");
        var input = new TensorShape((int)inDims[1], (int)inDims[2], (int)inDims[3]);
        CheckNormalisation(settings, input);
        long classes = Dims(model.Graph.Output[0]).Skip(1).Aggregate(1L, (a, b) => a * Math.Max(b, 1));
        (float[] Mean, float[] Std, ImageTransform Transform)? stored;
        try { stored = Preprocessing.FromMetadata(OnnxFile.Metadata(model), input.C); }
        catch (FormatException e) { throw OnnxCheckpoint.MetadataError(path, e); }
        float[]? mean = settings.Mean ?? stored?.Mean, std = settings.Std ?? stored?.Std;
        if (mean is null || std is null)
            throw new SettingsException($"{path} does not say how its inputs are normalised; give --mean and --std (per channel, on the 0..1 pixel scale)");
        var data = OpenedData.Open(settings.Data with { Images = (settings.Data.Images ?? new ImageFolderOptions()).FedAs(stored?.Transform, input) })
            .FitTo(input, (int)classes, mean, std, path);
        return (model, input, data, GraphBatch);
    }

    /// <summary>The float and the int8 network timed interleaved at batch 1.</summary>
    static QuantizeTiming Time(global::Onnx.ModelProto floatModel, global::Onnx.ModelProto quantized, TensorShape input, int threads, int repeats, int seed)
    {
        var stats = LatencyCheck.Time([floatModel, quantized], input, threads, warmup: Math.Min(20, repeats), repeats, seed);
        return new QuantizeTiming(threads, stats[0], stats[1]);
    }
}
