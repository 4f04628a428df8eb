namespace Amc.Latency;

/// <summary>
/// What converting an activation between float and uint8 costs inside a network, per element:
/// the QuantizeLinear in front of an int8 layer that reads a float tensor, or the DequantizeLinear
/// in front of a float layer that reads an int8 one, with the layout changes ONNX Runtime makes
/// around them. Fitted to <see cref="MixedPrecisionProbes"/>.
/// </summary>
public sealed record ConversionCost(double PerElementNs)
{
    public double Ms(long elements) => PerElementNs * elements / 1e6;
}
