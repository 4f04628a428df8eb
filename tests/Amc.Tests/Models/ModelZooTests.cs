using Amc.Graph;
using Amc.Models;

namespace Amc.Tests.Models;

public class ModelZooTests
{
    public static TheoryData<string> Models() => new(ModelZoo.Names);

    [Theory]
    [MemberData(nameof(Models))]
    public void Builds_and_infers_on_small_inputs(string model)
    {
        foreach (var input in new[] { new TensorShape(1, 28, 28), new TensorShape(3, 32, 32) })
        {
            var net = ModelZoo.Build(model, new ModelOptions(input, 10));
            var shapes = ShapeInference.Infer(net);
            Assert.Equal(TensorShape.Vector(10), shapes[net.Output.Name]);
            Assert.Equal(net.Layers.Count, net.Layers.Select(l => l.Name).Distinct().Count());
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Json_round_trip_is_exact(string model)
    {
        var net = ModelZoo.Build(model, new ModelOptions(new TensorShape(3, 32, 32), 10));
        var json = NetworkJson.Write(net);
        var back = NetworkJson.Read(json);
        Assert.Equal(json, NetworkJson.Write(back));
        Assert.Equal(ShapeInference.Infer(net), ShapeInference.Infer(back));
    }

    [Fact]
    public void Vgg_skips_pools_a_tiny_map_cannot_take_and_sizes_fc6_from_the_inferred_shape()
    {
        var tiny = ModelZoo.Build("vgg16", new ModelOptions(new TensorShape(1, 28, 28), 10));
        // 28 -> 14 -> 7 -> 3 -> 1: the fifth pool (features.30) would empty the map.
        Assert.Null(tiny.Find("features.30"));
        Assert.NotNull(tiny.Find("features.23"));
        Assert.Equal(TensorShape.Vector(512), ShapeInference.Infer(tiny)["flatten"]);

        var full = ModelZoo.Build("vgg16", new ModelOptions(new TensorShape(3, 224, 224), 1000));
        Assert.Equal(TensorShape.Vector(512 * 7 * 7), ShapeInference.Infer(full)["flatten"]);
    }

    [Fact]
    public void MobileNetV2_rounds_multiplied_widths_to_multiples_of_eight()
    {
        var net = ModelZoo.Build("mobilenetv2", new ModelOptions(new TensorShape(3, 224, 224), 1000, WidthMultiplier: 0.35));
        var shapes = ShapeInference.Infer(net);
        Assert.Equal(16, shapes["features.0.0"].C);        // 32 * 0.35 = 11.2
        Assert.Equal(8, shapes["features.1.conv.1"].C);    // 16 * 0.35 = 5.6, at least 8
        Assert.Equal(1280, shapes["features.18.0"].C);     // never thinned below 1280
        Assert.All(net.Layers.Where(l => l.Kind == LayerKind.Conv2d), l => Assert.Equal(0, shapes[l.Name].C % 8));
    }

    [Fact]
    public void MobileNetV2_adds_residuals_only_where_shapes_allow()
    {
        var net = ModelZoo.Build("mobilenetv2", new ModelOptions(new TensorShape(3, 224, 224), 1000));
        // Blocks 3, 5, 6, 8-10, 12, 13, 15, 16 keep stride 1 and width; 1 changes width (32 -> 16).
        string[] expected = ["3", "5", "6", "8", "9", "10", "12", "13", "15", "16"];
        var adds = net.Layers.Where(l => l.Kind == LayerKind.Add).Select(l => l.Name.Split('.')[1]);
        Assert.Equal(expected, adds);
    }

    [Fact]
    public void ResNet50_uses_torchvision_names_and_strides_the_3x3_conv()
    {
        var net = ModelZoo.Build("resnet50", new ModelOptions(new TensorShape(3, 224, 224), 1000));
        Assert.Equal(1, net["layer2.0.conv1"].StrideValue);
        Assert.Equal(2, net["layer2.0.conv2"].StrideValue);
        Assert.Equal(2, net["layer2.0.downsample.0"].StrideValue);
        Assert.Equal(1, net["layer1.0.downsample.0"].StrideValue);
        Assert.Null(net.Find("layer1.1.downsample.0"));
        var shapes = ShapeInference.Infer(net);
        Assert.Equal(new TensorShape(2048, 7, 7), shapes["layer4.2.relu3"]);
    }

    [Fact]
    public void Unknown_model_lists_the_known_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelZoo.Build("alexnet", new ModelOptions(new TensorShape(3, 32, 32))));
        Assert.Contains("mobilenetv2", e.Message);
    }
}
