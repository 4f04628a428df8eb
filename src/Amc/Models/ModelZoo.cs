using Amc.Graph;

namespace Amc.Models;

/// <summary>Options every zoo builder accepts.</summary>
public sealed record ModelOptions(TensorShape Input, int Classes = 10, double WidthMultiplier = 1.0, IReadOnlyDictionary<string, int>? Widths = null);

/// <summary>The model zoo: builders that emit the network description by name.</summary>
public static class ModelZoo
{
    static readonly Dictionary<string, Func<ModelOptions, Network>> builders = new(StringComparer.OrdinalIgnoreCase)
    {
        ["plain20"] = o => CifarResNet.Build("plain20", 20, residual: false, o.Input, o.Classes, o.WidthMultiplier, o.Widths),
        ["resnet20"] = o => CifarResNet.Build("resnet20", 20, residual: true, o.Input, o.Classes, o.WidthMultiplier, o.Widths),
        ["resnet56"] = o => CifarResNet.Build("resnet56", 56, residual: true, o.Input, o.Classes, o.WidthMultiplier, o.Widths),
        ["vgg16"] = o => Vgg16.Build("vgg16", o.Input, o.Classes, o.WidthMultiplier, o.Widths),
        ["vgg16-cifar"] = o => Vgg16Cifar.Build("vgg16-cifar", o.Input, o.Classes, o.WidthMultiplier, o.Widths),
        ["mobilenet"] = o => MobileNet.Build("mobilenet", o.Input, o.Classes, o.WidthMultiplier, o.Widths),
        ["mobilenetv2"] = o => MobileNetV2.Build("mobilenetv2", o.Input, o.Classes, o.WidthMultiplier, o.Widths),
        ["resnet50"] = o => ResNet50.Build("resnet50", o.Input, o.Classes, o.WidthMultiplier, o.Widths),
    };

    public static IReadOnlyCollection<string> Names => builders.Keys;

    public static bool Contains(string name) => builders.ContainsKey(name);

    /// <summary>
    /// The widest multiplier a builder accepts. Published widths stay within 0.25 to 10 (wide
    /// ResNets); past 100 even ResNet-20 has a 3x3 conv of billions of weights.
    /// </summary>
    public const double MaxWidthMultiplier = 100;

    /// <summary>Refuses options no builder can honour, naming the value; the network is checked after building.</summary>
    public static void Check(string name, ModelOptions options)
    {
        if (options.Classes < 1)
            throw new InvalidNetworkException($"model '{name}': the number of classes must be at least 1, got {options.Classes}");
        if (!(options.WidthMultiplier > 0 && options.WidthMultiplier <= MaxWidthMultiplier))
            throw new InvalidNetworkException($"model '{name}': the width multiplier must be in (0, {MaxWidthMultiplier}], got {options.WidthMultiplier}");
        ShapeInference.CheckInput(name, options.Input);
    }

    public static Network Build(string name, ModelOptions options)
    {
        if (!builders.TryGetValue(name, out var build))
            throw new ArgumentException($"unknown model '{name}'; choose one of: {string.Join(", ", builders.Keys)}");
        Check(name, options);
        var net = build(options);
        ShapeInference.Infer(net);
        return net;
    }

}
