namespace Amc.Quantization;

/// <summary>
/// What <see cref="QdqQuantizer"/> will do to a float graph, decided from the graph alone, before
/// any image is seen: the nodes that run in int8, and the activation values that get a
/// QuantizeLinear / DequantizeLinear pair.
/// </summary>
/// <param name="Nodes">Conv / Gemm / MatMul nodes, by name, whose weights become int8.</param>
/// <param name="FloatNodes">The quantizable nodes kept in float, each with why.</param>
/// <param name="Values">Each quantized value and the value whose range its scale comes from: itself,
/// the input of a range-preserving op before it (a MaxPool shares its input's scale, so ONNX
/// Runtime runs it in uint8), or the output of the ReLU / Clip(0, b) folded into the Q after a conv.</param>
/// <param name="FoldedActivations">ReLU / Clip nodes removed because the Q after their conv clips the same way (zero point 0).</param>
public sealed record QdqPlan(
    IReadOnlyList<string> Nodes,
    IReadOnlyList<(string Node, string Reason)> FloatNodes,
    IReadOnlyDictionary<string, string> Values,
    IReadOnlyDictionary<string, string> FoldedActivations)
{
    /// <summary>The values whose ranges calibration must measure.</summary>
    public IReadOnlyList<string> CalibratedValues => [.. Values.Values.Distinct().Order(StringComparer.Ordinal)];
}
