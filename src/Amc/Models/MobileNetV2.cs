using Amc.Graph;

namespace Amc.Models;

/// <summary>
/// MobileNet-V2 (Sandler et al., 2018) as torchvision builds it: a 3x3 stride-2 stem, seventeen
/// inverted residual blocks (1x1 expansion + BN + ReLU6, 3x3 depthwise + BN + ReLU6, 1x1 linear
/// projection + BN), a 1x1 conv to 1280, global pooling, Dropout(0.2) and the classifier. A block
/// adds its input when its stride is 1 and its planned input and output widths agree; the layer
/// set depends on the architecture only, so a <c>widths</c> override must keep the channels a
/// residual ties together equal (shape inference names the Add otherwise).
/// Names are torchvision's module names (features.N.conv.M, classifier.1).
/// </summary>
internal static class MobileNetV2
{
    /// <summary>Expansion t, output channels c, repeats n, first stride s (Table 2 of the paper).</summary>
    static readonly (int T, int C, int N, int S)[] Stages =
    [
        (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
    ];

    public static Network Build(string name, TensorShape input, int classes, double widthMultiplier = 1.0, IReadOnlyDictionary<string, int>? widths = null)
    {
        var b = new NetworkBuilder(name, input, widths);
        int planned = Divisible(32 * widthMultiplier);
        var x = b.ReLU6("features.0.2", b.BN("features.0.1", b.Conv("features.0.0", Network.InputName, planned, 3, 2, 1)));
        int index = 1;
        foreach (var (t, c, n, s) in Stages)
        {
            int output = Divisible(c * widthMultiplier);
            for (int i = 0; i < n; i++)
            {
                x = InvertedResidual(b, $"features.{index++}.", x, planned, output, i == 0 ? s : 1, t);
                planned = output;
            }
        }
        // The last conv is never thinned below 1280, so small multipliers keep a wide classifier input.
        int last = Divisible(1280 * Math.Max(1.0, widthMultiplier));
        x = b.ReLU6($"features.{index}.2", b.BN($"features.{index}.1", b.Conv($"features.{index}.0", x, last, 1)));
        x = b.GlobalAvgPool("avgpool", x);
        x = b.Flatten("flatten", x);
        x = b.Dropout("classifier.0", x, 0.2);
        b.Linear("classifier.1", x, classes);
        return b.Build();
    }

    static string InvertedResidual(NetworkBuilder b, string p, string x, int input, int output, int stride, int expansion)
    {
        var h = x;
        int m = 0;
        if (expansion != 1)
        {
            h = b.ReLU6($"{p}conv.{m}.2", b.BN($"{p}conv.{m}.1", b.Conv($"{p}conv.{m}.0", h, (int)Math.Round(input * (double)expansion), 1)));
            m++;
        }
        h = b.ReLU6($"{p}conv.{m}.2", b.BN($"{p}conv.{m}.1", b.Depthwise($"{p}conv.{m}.0", h, b.Channels(h), 3, stride, 1)));
        m++;
        h = b.BN($"{p}conv.{m + 1}", b.Conv($"{p}conv.{m}", h, output, 1));
        return stride == 1 && input == output ? b.Sum($"{p}add", x, h) : h;
    }

    /// <summary>
    /// Rounds a width to the nearest multiple of 8 (at least 8) without losing more than 10 %,
    /// the rule of the reference implementation, so multiplied widths stay hardware-friendly.
    /// </summary>
    internal static int Divisible(double width, int divisor = 8)
    {
        int rounded = Math.Max(divisor, (int)(width + divisor / 2.0) / divisor * divisor);
        return rounded < 0.9 * width ? rounded + divisor : rounded;
    }
}
