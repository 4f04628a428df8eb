using Amc.Data;
using Amc.Graph;
using Amc.Latency;
using Amc.Onnx;
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
        var ck = OnnxCheckpoint.LoadAny(settings.Model);
        var data = OpenedData.OpenFor(settings.Data, ck);
        var net = ck.Network;
        // Weights (checkpoint, float and int8 models, sessions) and a streamed forward pass per session.
        MemoryCheck.Ensure(MemoryEstimate.Inference(net, Evaluator.BatchFor(net, keepsOutputs: false), "quantizing", weightCopies: 6, keepsOutputs: false));

        var floatModel = OnnxExporter.Export(net, ck.Weights, foldBatchNorm: true, ck.Info.PreprocessingFor(net.Input));
        QdqPlan plan;
        try { plan = QdqQuantizer.Plan(floatModel, settings.Quantization); }
        catch (ArgumentException e) { throw new SettingsException(e.Message); }

        var rng = new Random(settings.Seed);
        var sample = data.Split.Train.OrderBy(_ => rng.Next()).Take(settings.Quantization.CalibrationImages).ToArray();
        long perImage = MemoryEstimate.ActivationBytesPerImage(net, training: false);
        int batch = (int)Math.Clamp(CalibrationBudget / Math.Max(1, perImage), 1, 64);
        progress?.Invoke($"calibrating {plan.CalibratedValues.Count} activation ranges on {sample.Length} training images ({settings.Quantization.Method})");
        var ranges = ActivationCalibration.Calibrate(floatModel, plan.CalibratedValues,
            () => new BatchLoader(data.Train, sample, batch, shuffle: false, augment: false, seed: 0).Select(b => (b.Images, b.Count)),
            settings.Quantization, settings.Threads);
        var quantized = QdqQuantizer.Apply(floatModel, plan, ranges, settings.Quantization);

        bool heldOut = settings.HeldOut || data.Test.Count == 0;
        var (set, indices) = heldOut ? (data.Train, data.Split.HeldOut) : (data.Test, data.Test.AllIndices());
        progress?.Invoke($"scoring the float and int8 networks on {indices.Length} {(heldOut ? "held-out" : "test")} images");
        var (floatScore, quantizedScore) = Score(floatModel, quantized, set, indices, Evaluator.BatchFor(net, keepsOutputs: false), settings.Threads);

        var timings = new List<QuantizeTiming>();
        foreach (int threads in settings.TimingThreads)
        {
            progress?.Invoke($"timing both at batch 1, {threads} thread(s), {settings.Repeats} runs each");
            timings.Add(Time(floatModel, quantized, net.Input, threads, settings.Repeats, settings.Seed));
        }
        return new QuantizeResult(floatModel, quantized, plan, ranges, sample.Length, heldOut ? "heldout" : "test", data.HasLabels,
            floatScore, quantizedScore, floatModel.CalculateSize(), quantized.CalculateSize(), timings);
    }

    /// <summary>Both networks on the same streamed batches; the int8 one is also compared with the float one's outputs.</summary>
    static (Evaluation Float, Evaluation Quantized) Score(global::Onnx.ModelProto floatModel, global::Onnx.ModelProto quantized, Dataset set, int[] indices, int batch, int threads)
    {
        using var f = new OnnxRuntimeSession(floatModel, threads);
        using var q = new OnnxRuntimeSession(quantized, threads);
        var (floatTally, quantizedTally) = (new ScoreTally(), new ScoreTally());
        foreach (var b in new BatchLoader(set, indices, batch, shuffle: false, augment: false, seed: 0))
        {
            var reference = f.Run(b.Images, b.Count);
            floatTally.Add(reference, b.Labels);
            quantizedTally.Add(q.Run(b.Images, b.Count), b.Labels, reference);
        }
        return (floatTally.Result(), quantizedTally.Result());
    }

    static QuantizeTiming Time(global::Onnx.ModelProto floatModel, global::Onnx.ModelProto quantized, TensorShape input, int threads, int repeats, int seed)
    {
        using var f = new OnnxRuntimeSession(floatModel, threads);
        using var q = new OnnxRuntimeSession(quantized, threads);
        var rng = new Random(seed);
        var x = new float[input.Elements];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        var stats = LatencyMeter.MeasureInterleaved([() => f.Run(x, 1), () => q.Run(x, 1)], warmup: Math.Min(20, repeats), repeats);
        return new QuantizeTiming(threads, stats[0], stats[1]);
    }
}
