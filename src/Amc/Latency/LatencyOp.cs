using System.Text.Json.Serialization;
using Amc.Graph;

namespace Amc.Latency;

/// <summary>Activation that ONNX Runtime fuses into the Conv / Gemm kernel before it.</summary>
public enum FusedActivation { None, Relu, Relu6 }

/// <summary>
/// One micro-benchmark of the latency table: a single Conv (or Flatten + Gemm for a linear layer)
/// at batch 1, always with a bias because the exporter folds every BatchNorm into the conv before
/// it, and with the activation that follows when ONNX Runtime would fuse it (a fused ReLU costs
/// almost nothing, an unfused one is a separate pass over the map). Two layers with equal ops share
/// one measurement. H and W are the layer's input spatial size; 1 for a linear layer. An int8 op
/// is the integer kernel ONNX Runtime fuses a QDQ conv into, uint8 in and out, as it runs between
/// its int8 neighbours in a quantized network (<see cref="LatencyOpModel"/>).
/// </summary>
public sealed record LatencyOp(
    LayerKind Kind, int In, int Out, int Kernel, int Stride, int Padding, int Dilation, int Groups, int H, int W, FusedActivation Activation,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Int8 = false)
{
    public override string ToString() => Kind == LayerKind.Linear
        ? $"linear {In}->{Out}{Suffix}"
        : $"conv{Kernel}x{Kernel}/{Stride}{(Groups > 1 ? $" g{Groups}" : "")} {In}->{Out} @{H}x{W}{Suffix}";

    string Suffix => (Activation == FusedActivation.None ? "" : $" +{Activation.ToString().ToLowerInvariant()}") + (Int8 ? " int8" : "");
}
