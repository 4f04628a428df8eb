using Amc.Graph;

namespace Amc.Models;

/// <summary>
/// The VGG-16 most CIFAR pruning papers use: the thirteen 3x3 convs of configuration D, each
/// followed by BatchNorm and ReLU, five 2x2 max-pools, then Flatten and a single
/// Linear(512 -> classes) (no fc6/fc7: at 32x32 the last map is 512x1x1). Convs have no bias
/// since BatchNorm follows. Names follow torchvision's <c>vgg16_bn</c> features (features.N) and
/// the classifier is "classifier".
/// <para>
/// As in <see cref="Vgg16"/>, a max-pool is skipped when the map is already smaller than 2, and
/// the classifier's input size follows the inferred shape (no adaptive pooling layer exists), so
/// the network also runs on 1x28x28 and on larger inputs.
/// </para>
/// </summary>
internal static class Vgg16Cifar
{
    public static Network Build(string name, TensorShape input, int classes, double widthMultiplier = 1.0, IReadOnlyDictionary<string, int>? widths = null)
    {
        var b = new NetworkBuilder(name, input, widths);
        var x = Vgg16.Features(b, widthMultiplier, batchNorm: true);
        x = b.Flatten("flatten", x);
        b.Linear("classifier", x, classes);
        return b.Build();
    }
}
