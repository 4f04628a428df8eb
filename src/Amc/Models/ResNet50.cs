using Amc.Graph;

namespace Amc.Models;

/// <summary>
/// ImageNet ResNet-50 (He et al., 2016) as torchvision builds it (v1.5: the stride of a
/// down-sampling bottleneck sits on its 3x3 conv, not its first 1x1): a 7x7 stride-2 stem with
/// BN, ReLU and a 3x3 stride-2 max-pool, stages of 3, 4, 6 and 3 bottlenecks (1x1, 3x3, 1x1 with
/// expansion 4), global pooling and the classifier. The first block of each stage has a 1x1 conv +
/// BN projection shortcut (layerX.0.downsample.0/1), as in torchvision; the layer set depends on
/// the architecture only, so a <c>widths</c> override must keep the channels a residual ties
/// together equal (shape inference names the Add otherwise).
/// torchvision reuses one ReLU module per block; here each application gets its own name
/// (relu1, relu2, relu3) because a layer name is a node of the graph.
/// </summary>
internal static class ResNet50
{
    static readonly int[] Depths = [3, 4, 6, 3];
    const int Expansion = 4;

    public static Network Build(string name, TensorShape input, int classes, double widthMultiplier = 1.0, IReadOnlyDictionary<string, int>? widths = null)
    {
        var b = new NetworkBuilder(name, input, widths);
        int planes = CifarResNet.Scale(64, widthMultiplier);
        var x = b.ConvBnRelu("", Network.InputName, planes, 7, 2, 3, conv: "conv1", bn: "bn1", act: "relu");
        x = b.MaxPool("maxpool", x, 3, 2, 1);
        int inplanes = planes;
        for (int stage = 0; stage < Depths.Length; stage++)
        {
            int width = CifarResNet.Scale(64 << stage, widthMultiplier);
            for (int block = 0; block < Depths[stage]; block++)
            {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                x = Bottleneck(b, $"layer{stage + 1}.{block}.", x, inplanes, width, stride);
                inplanes = width * Expansion;
            }
        }
        x = b.GlobalAvgPool("avgpool", x);
        x = b.Flatten("flatten", x);
        b.Linear("fc", x, classes);
        return b.Build();
    }

    static string Bottleneck(NetworkBuilder b, string p, string x, int inplanes, int width, int stride)
    {
        var h = b.ConvBnRelu(p, x, width, 1, conv: "conv1", bn: "bn1", act: "relu1");
        h = b.ConvBnRelu(p, h, width, 3, stride, 1, conv: "conv2", bn: "bn2", act: "relu2");
        h = b.BN($"{p}bn3", b.Conv($"{p}conv3", h, width * Expansion, 1));
        var shortcut = x;
        if (stride != 1 || inplanes != width * Expansion)
            shortcut = b.BN($"{p}downsample.1", b.Conv($"{p}downsample.0", x, width * Expansion, 1, stride));
        return b.ReLU($"{p}relu3", b.Sum($"{p}add", h, shortcut));
    }
}
