using Microsoft.ML.OnnxRuntime;
using Onnx;
using Amc.Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Amc.Quantization;

/// <summary>
/// The range of each value a <see cref="QdqPlan"/> quantizes, measured by running the float graph
/// in ONNX Runtime on calibration images with those values as extra outputs. Min-max takes one
/// pass; the percentile method a second, which fills a histogram of each value between the
/// extremes of the first and reads the percentiles from it.
/// </summary>
public static class ActivationCalibration
{
    /// <summary>Bins of the percentile histogram: steps of 1/2048 of the range, well below the 1/255 of uint8.</summary>
    public const int Bins = 2048;

    /// <param name="batches">Enumerated once (min-max) or twice (percentile); each item is a batch of images laid out NCHW and its count.</param>
    public static Dictionary<string, (float Min, float Max)> Calibrate(ModelProto model, IReadOnlyList<string> values,
        Func<IEnumerable<(float[] Images, int Count)>> batches, QuantizationSettings settings, int threads = 0)
    {
        if (values.Count == 0) return [];
        var probe = new ModelProto(model);
        var outputs = probe.Graph.Output.Select(o => o.Name).ToHashSet();
        foreach (var v in values.Where(v => !outputs.Contains(v)))
            probe.Graph.Output.Add(new ValueInfoProto { Name = v, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float } } });

        using var options = OnnxRuntimeSession.Options(threads);
        using var session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(probe), options);
        string input = session.InputMetadata.Keys.Single();
        var shape = session.InputMetadata[input].Dimensions;
        using var runOptions = new RunOptions();
        var names = values.ToArray();

        var min = values.ToDictionary(v => v, _ => float.PositiveInfinity);
        var max = values.ToDictionary(v => v, _ => float.NegativeInfinity);
        long seen = 0;
        foreach (var (images, count) in batches())
        {
            Run(images, count, (v, data) =>
            {
                float lo = min[v], hi = max[v];
                foreach (float x in data)
                {
                    if (x < lo) lo = x;
                    if (x > hi) hi = x;
                }
                (min[v], max[v]) = (lo, hi);
            });
            seen += count;
        }
        if (seen == 0) throw new ArgumentException("no calibration images");
        foreach (var v in values)
            if (!float.IsFinite(min[v]) || !float.IsFinite(max[v]))
                throw new ArgumentException($"value '{v}' is NaN or Inf on the calibration images; the network is broken");
        if (settings.Method == CalibrationMethod.MinMax) return values.ToDictionary(v => v, v => (min[v], max[v]));

        var histograms = values.ToDictionary(v => v, _ => new long[Bins]);
        foreach (var (images, count) in batches())
            Run(images, count, (v, data) =>
            {
                var h = histograms[v];
                float lo = min[v], width = (max[v] - lo) / Bins;
                if (!(width > 0)) { h[0] += data.Length; return; }
                foreach (float x in data) h[Math.Clamp((int)((x - lo) / width), 0, Bins - 1)]++;
            });
        return values.ToDictionary(v => v, v => Percentiles(histograms[v], min[v], max[v], settings.Percentile));

        void Run(float[] images, int count, Action<string, ReadOnlySpan<float>> take)
        {
            using var x = OrtValue.CreateTensorValueFromMemory(images, [count, shape[1], shape[2], shape[3]]);
            using var results = session.Run(runOptions, [input], [x], names);
            for (int i = 0; i < names.Length; i++) take(names[i], results[i].GetTensorDataAsSpan<float>());
        }
    }

    /// <summary>
    /// The value below which (100 - p) % of the counts lie and the one above which (100 - p) % lie,
    /// read at bin edges, so the range never narrows past what the percentile asks.
    /// </summary>
    public static (float Min, float Max) Percentiles(long[] histogram, float min, float max, double percentile)
    {
        long total = histogram.Sum();
        double tail = total * (100 - percentile) / 100;
        float width = (max - min) / histogram.Length;
        if (total == 0 || !(width > 0)) return (min, max);
        int lo = 0;
        for (long below = 0; lo < histogram.Length - 1 && below + histogram[lo] <= tail; lo++) below += histogram[lo];
        int hi = histogram.Length - 1;
        for (long above = 0; hi > lo && above + histogram[hi] <= tail; hi--) above += histogram[hi];
        return (min + lo * width, hi == histogram.Length - 1 ? max : min + (hi + 1) * width);
    }
}
