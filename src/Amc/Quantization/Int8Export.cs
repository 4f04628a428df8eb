using Amc.Graph;
using Amc.Onnx;
using Onnx;
using static TorchSharp.torch;

namespace Amc.Quantization;

/// <summary>A network exported as its int8 QDQ model in one call: export (BN folded), plan, calibrate, rewrite.</summary>
public static class Int8Export
{
    public static ModelProto Export(Network net, IReadOnlyDictionary<string, Tensor> weights,
        Func<IEnumerable<(float[] Images, int Count)>> calibration, QuantizationSettings? settings = null, int threads = 0)
    {
        settings ??= new QuantizationSettings();
        var model = OnnxExporter.Export(net, weights);
        var plan = QdqQuantizer.Plan(model, settings);
        var ranges = ActivationCalibration.Calibrate(model, plan.CalibratedValues, calibration, settings, threads);
        return QdqQuantizer.Apply(model, plan, ranges, settings);
    }

    /// <summary>
    /// The int8 model to time, calibrated on a few seeded random images: which kernels run, and so
    /// the time, does not depend on the ranges, only the outputs' accuracy does.
    /// </summary>
    public static ModelProto ForTiming(Network net, IReadOnlyDictionary<string, Tensor> weights, QuantizationSettings? settings = null)
    {
        var rng = new Random(0);
        var images = new float[2 * net.Input.Elements];
        for (int i = 0; i < images.Length; i++) images[i] = (float)(rng.NextDouble() * 2 - 1);
        return Export(net, weights, () => [(images, 2)], settings, threads: 1);
    }

    /// <summary>Image batches held as tensors (e.g. a pruner's calibration images) as calibration input.</summary>
    public static Func<IEnumerable<(float[] Images, int Count)>> Batches(IReadOnlyList<Tensor> batches)
    {
        var arrays = batches.Select(b => (b.data<float>().ToArray(), (int)b.shape[0])).ToList();
        return () => arrays;
    }
}
