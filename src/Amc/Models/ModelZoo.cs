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

    public static Network Build(string name, ModelOptions options)
    {
        if (!builders.TryGetValue(name, out var build))
            throw new ArgumentException($"unknown model '{name}'; choose one of: {string.Join(", ", builders.Keys)}");
        var net = build(options);
        ShapeInference.Infer(net);
        return net;
    }

}
