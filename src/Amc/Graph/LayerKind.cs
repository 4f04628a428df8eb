namespace Amc.Graph;

/// <summary>The layer kinds of the network description. Kept small: what the paper's models need.</summary>
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
}
