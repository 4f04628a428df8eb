using Amc.Graph;

namespace Amc.Models;

/// <summary>
/// MobileNet-V1 (Howard et al., 2017): a 3x3 stride-2 conv of 32 channels, thirteen
/// depthwise-separable blocks (3x3 depthwise + BN + ReLU, 1x1 pointwise + BN + ReLU), global
/// average pooling and one linear layer. ReLU rather than ReLU6, as in the AMC release and the
/// common PyTorch ports. Names follow a PyTorch Sequential: features.0.{0,1,2} is the stem,
/// features.k.{0..5} is block k (0 depthwise conv, 1 BN, 2 ReLU, 3 pointwise conv, 4 BN, 5 ReLU).
/// The pointwise convs are what channel pruning shrinks; each depthwise conv follows its input.
/// </summary>
internal static class MobileNet
{
    /// <summary>Pointwise output channels and depthwise stride of the thirteen blocks.</summary>
    static readonly (int Channels, int Stride)[] Blocks =
    [
        (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
        (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
    ];

    public static Network Build(string name, TensorShape input, int classes, double widthMultiplier = 1.0, IReadOnlyDictionary<string, int>? widths = null)
    {
        var b = new NetworkBuilder(name, input, widths);
        var x = b.ReLU("features.0.2", b.BN("features.0.1", b.Conv("features.0.0", Network.InputName, CifarResNet.Scale(32, widthMultiplier), 3, 2, 1)));
        for (int k = 0; k < Blocks.Length; k++)
        {
            var p = $"features.{k + 1}.";
            var (channels, stride) = Blocks[k];
            x = b.ReLU($"{p}2", b.BN($"{p}1", b.Depthwise($"{p}0", x, b.Channels(x), 3, stride, 1)));
            x = b.ReLU($"{p}5", b.BN($"{p}4", b.Conv($"{p}3", x, CifarResNet.Scale(channels, widthMultiplier), 1)));
        }
        x = b.GlobalAvgPool("pool", x);
        x = b.Flatten("flatten", x);
        b.Linear("classifier", x, classes);
        return b.Build();
    }
}
