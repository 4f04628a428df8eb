using Amc.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Amc.Tests.Torch;

/// <summary>
/// ResNet-20 and MobileNet-V2 written the usual way, with plain TorchSharp modules and their own
/// forward code (adaptive pooling, Sequential containers), independent of the network
/// description. Field and container names give PyTorch's state-dict keys, so weights copy over
/// from a GraphModule by key.
/// </summary>
internal static class ReferenceNetworks
{
    public static nn.Module<Tensor, Tensor> ResNet20(int classes) => new CifarResNet(3, classes);

    public static nn.Module<Tensor, Tensor> MobileNetV2(double widthMultiplier, int classes) => new MobileNetV2Net(widthMultiplier, classes);

    sealed class BasicBlock : nn.Module<Tensor, Tensor>
    {
        readonly TorchSharp.Modules.Conv2d conv1, conv2;
        readonly TorchSharp.Modules.BatchNorm2d bn1, bn2;
        readonly TorchSharp.Modules.Sequential? downsample;

        public BasicBlock(int inPlanes, int planes, int stride) : base("BasicBlock")
        {
            conv1 = nn.Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
            bn1 = ScalarSafeModules.BatchNorm2d(planes, GraphModule.BatchNormEpsilon);
            conv2 = nn.Conv2d(planes, planes, 3, padding: 1, bias: false);
            bn2 = ScalarSafeModules.BatchNorm2d(planes, GraphModule.BatchNormEpsilon);
            if (stride != 1 || inPlanes != planes)
                downsample = nn.Sequential(nn.Conv2d(inPlanes, planes, 1, stride: stride, bias: false), ScalarSafeModules.BatchNorm2d(planes, GraphModule.BatchNormEpsilon));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var h = nn.functional.relu(bn1.call(conv1.call(x)));
            h = bn2.call(conv2.call(h));
            return nn.functional.relu(h.Plus(downsample is null ? x : downsample.call(x)));
        }
    }

    sealed class CifarResNet : nn.Module<Tensor, Tensor>
    {
        readonly TorchSharp.Modules.Conv2d conv1;
        readonly TorchSharp.Modules.BatchNorm2d bn1;
        readonly TorchSharp.Modules.ModuleList<BasicBlock> layer1, layer2, layer3;
        readonly TorchSharp.Modules.Linear fc;

        public CifarResNet(int blocks, int classes) : base("ResNet")
        {
            conv1 = nn.Conv2d(3, 16, 3, padding: 1, bias: false);
            bn1 = ScalarSafeModules.BatchNorm2d(16, GraphModule.BatchNormEpsilon);
            layer1 = Stage(16, 16, blocks, 1);
            layer2 = Stage(16, 32, blocks, 2);
            layer3 = Stage(32, 64, blocks, 2);
            fc = nn.Linear(64, classes);
            RegisterComponents();
        }

        static TorchSharp.Modules.ModuleList<BasicBlock> Stage(int inPlanes, int planes, int blocks, int stride) =>
            nn.ModuleList(Enumerable.Range(0, blocks).Select(i => new BasicBlock(i == 0 ? inPlanes : planes, planes, i == 0 ? stride : 1)).ToArray());

        public override Tensor forward(Tensor x)
        {
            x = nn.functional.relu(bn1.call(conv1.call(x)));
            foreach (var stage in new[] { layer1, layer2, layer3 })
                foreach (var block in stage) x = block.call(x);
            return fc.call(nn.functional.adaptive_avg_pool2d(x, 1).flatten(1));
        }
    }

    /// <summary>torchvision's rounding of multiplied widths to multiples of 8.</summary>
    static int MakeDivisible(double v)
    {
        int rounded = Math.Max(8, (int)(v + 4) / 8 * 8);
        return rounded < 0.9 * v ? rounded + 8 : rounded;
    }

    static TorchSharp.Modules.Sequential ConvBnReLU6(int input, int output, int kernel, int stride = 1, int groups = 1) =>
        nn.Sequential(
            nn.Conv2d(input, output, kernel, stride: stride, padding: (kernel - 1) / 2, groups: groups, bias: false),
            ScalarSafeModules.BatchNorm2d(output, GraphModule.BatchNormEpsilon),
            nn.ReLU6());

    sealed class InvertedResidual : nn.Module<Tensor, Tensor>
    {
        readonly TorchSharp.Modules.Sequential conv;
        readonly bool residual;

        public InvertedResidual(int input, int output, int stride, int expansion) : base("InvertedResidual")
        {
            int hidden = (int)Math.Round(input * (double)expansion);
            var layers = new List<nn.Module<Tensor, Tensor>>();
            if (expansion != 1) layers.Add(ConvBnReLU6(input, hidden, 1));
            layers.Add(ConvBnReLU6(hidden, hidden, 3, stride, groups: hidden));
            layers.Add(nn.Conv2d(hidden, output, 1, bias: false));
            layers.Add(ScalarSafeModules.BatchNorm2d(output, GraphModule.BatchNormEpsilon));
            conv = nn.Sequential(layers);
            residual = stride == 1 && input == output;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => residual ? x.Plus(conv.call(x)) : conv.call(x);
    }

    sealed class MobileNetV2Net : nn.Module<Tensor, Tensor>
    {
        readonly TorchSharp.Modules.Sequential features, classifier;

        public MobileNetV2Net(double widthMultiplier, int classes) : base("MobileNetV2")
        {
            (int T, int C, int N, int S)[] settings =
                [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];
            int input = MakeDivisible(32 * widthMultiplier);
            int last = MakeDivisible(1280 * Math.Max(1.0, widthMultiplier));
            var layers = new List<nn.Module<Tensor, Tensor>> { ConvBnReLU6(3, input, 3, 2) };
            foreach (var (t, c, n, s) in settings)
            {
                int output = MakeDivisible(c * widthMultiplier);
                for (int i = 0; i < n; i++)
                {
                    layers.Add(new InvertedResidual(input, output, i == 0 ? s : 1, t));
                    input = output;
                }
            }
            layers.Add(ConvBnReLU6(input, last, 1));
            features = nn.Sequential(layers);
            classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(last, classes));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) =>
            classifier.call(nn.functional.adaptive_avg_pool2d(features.call(x), 1).flatten(1));
    }
}
