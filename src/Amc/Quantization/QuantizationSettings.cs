using Amc.Graph;

namespace Amc.Quantization;

/// <summary>How activation ranges are taken from the calibration images.</summary>
public enum CalibrationMethod
{
    /// <summary>The smallest and largest value seen: nothing seen is ever clipped.</summary>
    MinMax,
    /// <summary>
    /// The given lower and upper percentiles of all values seen: a few outliers no longer widen
    /// the step of every other value.
    /// </summary>
    Percentile,
}

/// <summary>
/// Post-training static int8 quantization: which convs and matrix products run in int8 and how
/// their activation ranges are calibrated. Weights are always int8, symmetric, one scale per
/// output channel; activations uint8 with a zero point, one scale per tensor (the U8S8 form ONNX
/// Runtime's x86 int8 kernels run).
/// </summary>
public sealed record QuantizationSettings
{
    public CalibrationMethod Method { get; init; } = CalibrationMethod.MinMax;

    /// <summary>With <see cref="CalibrationMethod.Percentile"/>: the upper percentile kept (the lower is 100 minus it).</summary>
    public double Percentile { get; init; } = 99.999;

    /// <summary>
    /// Keep the first and the last quantizable node in float. The first sees raw pixels and the
    /// last writes the outputs; both are small and sensitive, the usual practice since the
    /// quantization-aware training papers.
    /// </summary>
    public bool KeepFirstAndLast { get; init; } = true;

    /// <summary>Further Conv / Gemm / MatMul nodes, by ONNX node name, that stay in float.</summary>
    public IReadOnlyList<string> FloatNodes { get; init; } = [];

    /// <summary>
    /// 7-bit weights ([-63, 63]): for x86 CPUs without VNNI, whose int8 dot product sums pairs of
    /// uint8 x int8 products in 16 bits and can saturate with full-range weights.
    /// </summary>
    public bool ReduceRange { get; init; }

    /// <summary>Images of the training split the activation ranges are calibrated on.</summary>
    public int CalibrationImages { get; init; } = 256;

    /// <summary>
    /// How a mixed-precision policy's network runs: the layers of its float groups stay float
    /// (<see cref="LayerPrecision"/>), the rest as the defaults; null when no group is int8, i.e. the
    /// float network. A search scores and times its policies with these same settings.
    /// </summary>
    public static QuantizationSettings? ForMixedPolicy(Network net, ChannelGraph graph, Policy policy) =>
        policy.Int8Groups().Length == 0 ? null : new() { FloatNodes = LayerPrecision.FloatLayers(net, graph, policy) };

    public void Validate()
    {
        if (!(Percentile > 50 && Percentile <= 100))
            throw new ArgumentException($"the percentile must be above 50 and at most 100, got {Percentile}");
        if (CalibrationImages < 1)
            throw new ArgumentException($"at least one calibration image is needed, got {CalibrationImages}");
    }
}
