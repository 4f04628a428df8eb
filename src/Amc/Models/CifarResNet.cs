using Amc.Graph;

namespace Amc.Models;

/// <summary>
/// The CIFAR-style ResNets of He et al. (2016): a 3x3 stem of 16 channels, three stages of n basic
/// blocks with 16/32/64 channels, global pooling and one linear layer; depth = 6n + 2. The shortcut
/// of a block that changes shape is a 1x1 conv + BN (option B), which every supported runtime and
/// ONNX express directly. <c>residual = false</c> gives the matching plain network (Plain-20).
/// Layer names follow the usual PyTorch module names (conv1, layer1.0.conv1, ..., fc).
/// </summary>
internal static class CifarResNet
{
    public static Network Build(string name, int depth, bool residual, TensorShape input, int classes, double widthMultiplier = 1.0, IReadOnlyDictionary<string, int>? widths = null)
    {
        if ((depth - 2) % 6 != 0 || depth < 8)
            throw new ArgumentException($"CIFAR ResNet depth must be 6n+2 (20, 32, 44, 56, 110), got {depth}");
        int n = (depth - 2) / 6;
        int[] planes = [Scale(16, widthMultiplier), Scale(32, widthMultiplier), Scale(64, widthMultiplier)];
        var b = new NetworkBuilder(name, input, widths);
        var x = b.ConvBnRelu("", Network.InputName, planes[0], 3, 1, 1, conv: "conv1", bn: "bn1");
        for (int stage = 0; stage < 3; stage++)
        {
            for (int block = 0; block < n; block++)
            {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                x = BasicBlock(b, $"layer{stage + 1}.{block}.", x, planes[stage], stride, residual);
            }
        }
        x = b.GlobalAvgPool("avgpool", x);
        x = b.Flatten("flatten", x);
        b.Linear("fc", x, classes);
        return b.Build();
    }

    static string BasicBlock(NetworkBuilder b, string p, string x, int planes, int stride, bool residual)
    {
        var h = b.ConvBnRelu(p, x, planes, 3, stride, 1, conv: "conv1", bn: "bn1", act: "relu1");
        h = b.BN($"{p}bn2", b.Conv($"{p}conv2", h, planes, 3, 1, 1));
        if (residual)
        {
            var shortcut = x;
            if (stride != 1 || b.Channels(x) != b.Channels(h))
                shortcut = b.BN($"{p}downsample.1", b.Conv($"{p}downsample.0", x, b.Channels(h), 1, stride));
            h = b.Sum($"{p}add", h, shortcut);
        }
        return b.ReLU($"{p}relu2", h);
    }

    internal static int Scale(int channels, double multiplier) => Math.Max(1, (int)Math.Round(channels * multiplier));
}
