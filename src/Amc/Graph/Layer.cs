using System.Text.Json.Serialization;

namespace Amc.Graph;

/// <summary>
/// One node of the network description. Hyper-parameters that do not apply to a kind stay null,
/// so the JSON a person reads only shows what matters for that layer.
/// </summary>
public sealed record Layer
{
    public required string Name { get; init; }
    public required LayerKind Kind { get; init; }

    /// <summary>Names of the layers feeding this one; "input" is the network input.</summary>
    public IReadOnlyList<string> Inputs { get; init; } = [];

    /// <summary>Conv2d: output channels. Linear: output features.</summary>
    public int? Out { get; init; }

    /// <summary>Conv and pooling window: its height, and its width unless <see cref="KernelW"/> says otherwise.</summary>
    public int? Kernel { get; init; }
    /// <summary>Width of a non-square window (Inception's 1x7 and 7x1 convs); null when square.</summary>
    public int? KernelW { get; init; }
    public int? Stride { get; init; }
    /// <summary>Zeros on each side, top and bottom, and left and right unless <see cref="PaddingW"/> says otherwise.</summary>
    public int? Padding { get; init; }
    /// <summary>Padding left and right when it differs from top and bottom; null when the same.</summary>
    public int? PaddingW { get; init; }
    public int? Dilation { get; init; }
    public int? Groups { get; init; }
    public bool? Bias { get; init; }

    /// <summary>Dropout probability.</summary>
    public double? P { get; init; }

    /// <summary>LeakyReLU: the slope for negative inputs (PyTorch's default 0.01 when null).</summary>
    public double? Slope { get; init; }

    /// <summary>Pooling: round the output size up (PyTorch's ceil_mode), as GoogLeNet and SqueezeNet pool.</summary>
    public bool? CeilMode { get; init; }

    /// <summary>
    /// Pad: zeros added [top, left, bottom, right], ONNX's order of the H and W begins then ends.
    /// Padding a conv or pool cannot express: unequal sides (TensorFlow's SAME at an even input).
    /// </summary>
    public IReadOnlyList<int>? Pads { get; init; }

    [JsonIgnore] public int KernelSize => Kernel ?? 1;
    [JsonIgnore] public int KernelWidth => KernelW ?? KernelSize;
    [JsonIgnore] public int StrideValue => Stride ?? 1;
    [JsonIgnore] public int PaddingValue => Padding ?? 0;
    [JsonIgnore] public int PaddingWidth => PaddingW ?? PaddingValue;
    [JsonIgnore] public int DilationValue => Dilation ?? 1;
    [JsonIgnore] public int GroupCount => Groups ?? 1;
    [JsonIgnore] public bool HasBias => Bias ?? false;

    /// <summary>The one input of a single-input layer.</summary>
    [JsonIgnore] public string Input => Inputs.Count == 1
        ? Inputs[0]
        : throw new InvalidNetworkException($"layer '{Name}' ({Kind}) has {Inputs.Count} inputs, expected 1");
}
