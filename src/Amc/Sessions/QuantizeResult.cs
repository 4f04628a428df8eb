using Amc.Latency;
using Amc.Quantization;
using Amc.Training;
using Onnx;

namespace Amc.Sessions;

/// <summary>Float and int8 latency at batch 1, timed interleaved in one run.</summary>
public sealed record QuantizeTiming(int Threads, LatencyStats Float, LatencyStats Quantized)
{
    public double Speedup => Float.Median / Quantized.Median;
}

/// <summary>
/// The int8 model and how it compares with the float one it came from: both scored in ONNX
/// Runtime on the same images (the int8 one also against the float one's outputs: agreement and
/// relative error), file sizes, and latency at each thread count.
/// </summary>
/// <param name="ScoredOn">"test" or "heldout".</param>
/// <param name="Labelled">False for a folder of unlabelled images: only the agreement means anything.</param>
public sealed record QuantizeResult(
    ModelProto Float,
    ModelProto Quantized,
    QdqPlan Plan,
    IReadOnlyDictionary<string, (float Min, float Max)> Ranges,
    int CalibrationImages,
    string ScoredOn,
    bool Labelled,
    Evaluation FloatScore,
    Evaluation QuantizedScore,
    long FloatBytes,
    long QuantizedBytes,
    IReadOnlyList<QuantizeTiming> Timings);
