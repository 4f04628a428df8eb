using Amc.Graph;

namespace Amc.Tests.Graph;

public class ShapeInferenceTests
{
    static readonly TensorShape Input = new(3, 8, 8);

    static InvalidNetworkException Fails(Network net) => Assert.Throws<InvalidNetworkException>(() => ShapeInference.Infer(net));

    [Fact]
    public void Add_of_mismatched_shapes_names_the_add()
    {
        var b = new NetworkBuilder("t", Input);
        var a = b.Conv("a", Network.InputName, 4, 3, 1, 1);
        var c = b.Conv("c", Network.InputName, 5, 3, 1, 1);
        b.Sum("join", a, c);
        var e = Fails(b.Build());
        Assert.Contains("'join'", e.Message);
        Assert.Contains("4x8x8 + 5x8x8", e.Message);
    }

    [Fact]
    public void Linear_on_a_feature_map_names_the_linear()
    {
        var b = new NetworkBuilder("t", Input);
        b.Linear("fc", b.Conv("conv", Network.InputName, 4, 3), 10);
        var e = Fails(b.Build());
        Assert.Contains("'fc'", e.Message);
        Assert.Contains("Flatten", e.Message);
    }

    [Fact]
    public void Reading_an_undefined_layer_names_both()
    {
        var b = new NetworkBuilder("t", Input);
        b.ReLU("relu", "missing");
        var e = Fails(b.Build());
        Assert.Contains("'relu'", e.Message);
        Assert.Contains("'missing'", e.Message);
    }

    [Fact]
    public void Reading_a_later_layer_is_rejected()
    {
        var b = new NetworkBuilder("t", Input);
        b.ReLU("first", "second");
        b.ReLU("second", Network.InputName);
        Assert.Contains("'second'", Fails(b.Build()).Message);
    }

    [Fact]
    public void Duplicate_names_are_rejected()
    {
        var b = new NetworkBuilder("t", Input);
        var x = b.ReLU("act", Network.InputName);
        b.ReLU("act", x);
        Assert.Contains("'act' is used twice", Fails(b.Build()).Message);
    }

    [Fact]
    public void A_layer_named_input_is_rejected()
    {
        var b = new NetworkBuilder("t", Input);
        b.ReLU(Network.InputName, Network.InputName);
        Assert.Contains("'input'", Fails(b.Build()).Message);
    }

    [Fact]
    public void Groups_that_do_not_divide_the_channels_name_the_conv()
    {
        var b = new NetworkBuilder("t", Input);
        b.Conv("grouped", Network.InputName, 4, 3, groups: 2);
        var e = Fails(b.Build());
        Assert.Contains("'grouped'", e.Message);
        Assert.Contains("groups=2", e.Message);
    }

    [Fact]
    public void A_map_too_small_for_the_kernel_names_the_layer()
    {
        var b = new NetworkBuilder("t", new TensorShape(3, 2, 2));
        b.MaxPool("pool", Network.InputName, 3, 3);
        Assert.Contains("'pool'", Fails(b.Build()).Message);
    }

    [Fact]
    public void Follows_pytorch_floor_rules()
    {
        var b = new NetworkBuilder("t", new TensorShape(3, 7, 9));
        var x = b.Conv("conv", Network.InputName, 8, 3, 2, 1);   // (7+2-3)/2+1 = 4, (9+2-3)/2+1 = 5
        x = b.MaxPool("pool", x, 2, 2);                           // 2, 2
        var cat = b.Concat("cat", x, b.AvgPool("avg", b.Conv("conv2", x, 4, 1), 1, 1));
        b.Flatten("flat", cat);
        var shapes = ShapeInference.Infer(b.Build());
        Assert.Equal(new TensorShape(8, 4, 5), shapes["conv"]);
        Assert.Equal(new TensorShape(8, 2, 2), shapes["pool"]);
        Assert.Equal(new TensorShape(12, 2, 2), shapes["cat"]);
        Assert.Equal(TensorShape.Vector(48), shapes["flat"]);
    }
}
