using Amc.Graph;

namespace Amc.Models;

/// <summary>
/// VGG-16 (configuration D of Simonyan and Zisserman, 2015) as in the original and torchvision's
/// <c>vgg16</c>: thirteen 3x3 convs with bias and ReLU, no BatchNorm, five 2x2 max-pools, then
/// fc6 4096 - ReLU - Dropout - fc7 4096 - ReLU - Dropout - fc8. Layer names are torchvision's
/// module names (features.N, classifier.N), so the indices match a torchvision checkpoint.
/// <para>
/// Two departures make the network usable on any input, down to 1x28x28: a max-pool is skipped
/// when the feature map is already smaller than 2 in either direction (it would produce an empty
/// map), and there is no adaptive average pool: fc6 reads whatever Flatten yields, so its input
/// size follows the inferred shape (512x7x7 at 224x224, as in the original; 512 at 32x32).
/// </para>
/// </summary>
internal static class Vgg16
{
    /// <summary>Output channels of the convs, 0 marks a max-pool (configuration D).</summary>
    internal static readonly int[] Config = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0];

    public static Network Build(string name, TensorShape input, int classes, double widthMultiplier = 1.0, IReadOnlyDictionary<string, int>? widths = null)
    {
        var b = new NetworkBuilder(name, input, widths);
        var x = Features(b, widthMultiplier, batchNorm: false);
        x = b.Flatten("flatten", x);
        int hidden = CifarResNet.Scale(4096, widthMultiplier);
        x = b.ReLU("classifier.1", b.Linear("classifier.0", x, hidden));
        x = b.Dropout("classifier.2", x, 0.5);
        x = b.ReLU("classifier.4", b.Linear("classifier.3", x, hidden));
        x = b.Dropout("classifier.5", x, 0.5);
        b.Linear("classifier.6", x, classes);
        return b.Build();
    }

    /// <summary>
    /// The conv stack, named by torchvision's Sequential indices (conv, [bn,] relu per conv; one
    /// index per pool). A skipped pool keeps its index unused, so names, and with them width
    /// overrides, do not depend on the input size.
    /// </summary>
    internal static string Features(NetworkBuilder b, double widthMultiplier, bool batchNorm)
    {
        var x = Network.InputName;
        int i = 0;
        foreach (var c in Config)
        {
            if (c == 0)
            {
                var s = b.Shape(x);
                if (s.H >= 2 && s.W >= 2) x = b.MaxPool($"features.{i}", x, 2, 2);
                i++;
                continue;
            }
            // With BatchNorm following, a conv bias would be cancelled by the BN mean; drop it.
            x = b.Conv($"features.{i++}", x, CifarResNet.Scale(c, widthMultiplier), 3, 1, 1, bias: !batchNorm);
            if (batchNorm) x = b.BN($"features.{i++}", x);
            x = b.ReLU($"features.{i++}", x);
        }
        return x;
    }
}
