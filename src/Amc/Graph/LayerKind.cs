namespace Amc.Graph;

/// <summary>The layer kinds of the network description. Kept small: what the paper's models and torchvision's classification CNNs need.</summary>
public enum LayerKind
{
    Conv2d,
    BatchNorm2d,
    ReLU,
    ReLU6,
    MaxPool,
    AvgPool,
    GlobalAvgPool,
    Flatten,
    Linear,
    Add,
    Concat,
    Dropout,
    Sigmoid,
    /// <summary>PyTorch's hardsigmoid: relu6(x + 3) / 6.</summary>
    HardSigmoid,
    /// <summary>x * hardsigmoid(x) (MobileNetV3).</summary>
    HardSwish,
    /// <summary>x * sigmoid(x), also called swish (EfficientNet, RegNetY).</summary>
    SiLU,
    /// <summary>max(x, 0) + slope * min(x, 0) with a fixed <see cref="Layer.Slope"/>.</summary>
    LeakyReLU,
    /// <summary>LeakyReLU with a learned slope per channel (tensor "weight").</summary>
    PReLU,
    /// <summary>Elementwise product of two tensors of the same channels, one of them possibly
    /// 1x1 and broadcast over the other's map: squeeze-and-excitation's channel scaling.</summary>
    Mul,
    /// <summary>Zero padding with its own amount on each side (see <see cref="Layer.Pads"/>).</summary>
    Pad,
}
