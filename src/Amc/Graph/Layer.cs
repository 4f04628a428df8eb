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

    public int? Kernel { get; init; }
    public int? Stride { get; init; }
    public int? Padding { get; init; }
    public int? Dilation { get; init; }
    public int? Groups { get; init; }
    public bool? Bias { get; init; }

    /// <summary>Dropout probability.</summary>
    public double? P { get; init; }

    [JsonIgnore] public int KernelSize => Kernel ?? 1;
    [JsonIgnore] public int StrideValue => Stride ?? 1;
    [JsonIgnore] public int PaddingValue => Padding ?? 0;
    [JsonIgnore] public int DilationValue => Dilation ?? 1;
    [JsonIgnore] public int GroupCount => Groups ?? 1;
    [JsonIgnore] public bool HasBias => Bias ?? false;

    /// <summary>The one input of a single-input layer.</summary>
    [JsonIgnore] public string Input => Inputs.Count == 1
        ? Inputs[0]
        : throw new InvalidNetworkException($"layer '{Name}' ({Kind}) has {Inputs.Count} inputs, expected 1");
}
