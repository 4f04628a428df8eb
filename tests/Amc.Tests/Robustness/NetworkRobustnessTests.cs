using Amc.Graph;
using Amc.Models;
using Amc.Tests.Cli;
using Amc.Tests.Data;
using static TorchSharp.torch;
using Amc.Torch;

namespace Amc.Tests.Robustness;

/// <summary>
/// Network descriptions whose values mean nothing (stride 0, a negative padding, an input of 0
/// channels, a tensor past the int range) are refused when they are built, parsed or loaded, with
/// a message naming the layer and the field; before, most reached libtorch (a native crash or an
/// opaque error) or wrapped around in int arithmetic.
/// </summary>
public class NetworkRobustnessTests
{
    static readonly TensorShape Input = new(3, 8, 8);

    static Network One(Layer layer, TensorShape? input = null) =>
        new() { Name = "t", Input = input ?? Input, Layers = [layer] };

    static Layer Conv(int? kernel = 3, int? stride = null, int? padding = null, int? dilation = null, int? groups = null, int? @out = 4) =>
        new() { Name = "conv", Kind = LayerKind.Conv2d, Inputs = [Network.InputName], Out = @out, Kernel = kernel, Stride = stride, Padding = padding, Dilation = dilation, Groups = groups };

    static string Refused(Network net) => Assert.Throws<InvalidNetworkException>(() => ShapeInference.Infer(net)).Message;

    [Theory]
    [InlineData(3, 0, null, null, null, 4, "stride 0")]
    [InlineData(3, -2, null, null, null, 4, "stride -2")]
    [InlineData(0, null, null, null, null, 4, "kernel 0")]
    [InlineData(-3, null, null, null, null, 4, "kernel -3")]
    [InlineData(3, null, -1, null, null, 4, "padding -1")]
    [InlineData(3, null, null, 0, null, 4, "dilation 0")]
    [InlineData(3, null, null, null, 0, 4, "groups 0")]
    [InlineData(3, null, null, null, -1, 4, "groups -1")]
    [InlineData(3, null, null, null, null, 0, "out 0")]
    [InlineData(3, null, null, null, null, -8, "out -8")]
    public void Conv_fields_out_of_range_name_the_layer_and_field(int kernel, int? stride, int? padding, int? dilation, int? groups, int @out, string field)
    {
        var message = Refused(One(Conv(kernel, stride, padding, dilation, groups, @out)));
        Assert.Contains("'conv'", message);
        Assert.Contains(field, message);
    }

    [Fact]
    public void A_kernel_larger_than_the_padded_input_names_the_kernel()
    {
        var message = Refused(One(Conv(kernel: 11, padding: 1)));
        Assert.Contains("'conv'", message);
        Assert.Contains("kernel 11", message);
        Assert.Contains("padded", message);
        // A dilated kernel spans more than its size.
        Assert.Contains("dilation 4", Refused(One(Conv(kernel: 3, dilation: 4))));
    }

    [Fact]
    public void A_padding_so_large_it_wrapped_an_int_is_refused_as_too_large()
    {
        // 8 + 2 * 1.5e9 wrapped to a negative size in int arithmetic; in long it is an honest 3e9.
        var message = Refused(One(Conv(kernel: 3, padding: 1_500_000_000)));
        Assert.Contains("'conv'", message);
        Assert.Contains("values per image", message);
    }

    [Fact]
    public void Channels_not_divisible_by_groups_are_refused() =>
        Assert.Contains("groups=2", Refused(One(Conv(groups: 2)))); // 3 input channels

    [Theory]
    [InlineData(0, 28, 28)]
    [InlineData(1, 0, 28)]
    [InlineData(1, 28, -5)]
    public void An_empty_input_is_refused(int c, int h, int w)
    {
        var message = Refused(One(new Layer { Name = "relu", Kind = LayerKind.ReLU, Inputs = [Network.InputName] }, new TensorShape(c, h, w)));
        Assert.Contains("input", message);
        Assert.Contains($"{c}x{h}x{w}", message);
    }

    [Fact]
    public void An_input_past_the_int_range_is_refused() =>
        Assert.Contains("1x100000x100000", Refused(One(Conv(), new TensorShape(1, 100000, 100000))));

    [Fact]
    public void A_layer_output_past_the_int_range_is_refused_not_wrapped()
    {
        // 100000 channels of 200x200: 4e9 values, which Flatten once cast to int.
        var net = new NetworkBuilder("t", new TensorShape(1, 200, 200));
        net.Flatten("flat", net.Conv("wide", Network.InputName, 100_000, 1));
        var message = Refused(net.Build());
        Assert.Contains("'wide'", message);
        Assert.Contains("100000x200x200", message);
    }

    [Fact]
    public void A_weight_past_the_int_range_is_refused()
    {
        var b = new NetworkBuilder("t", new TensorShape(1, 300, 300));
        b.Linear("fc", b.Flatten("flat", Network.InputName), 100_000); // 90000 x 100000 = 9e9 weights
        var message = Refused(b.Build());
        Assert.Contains("'fc'", message);
        Assert.Contains("weight", message);
    }

    [Fact]
    public void A_concat_whose_channels_overflow_is_refused()
    {
        var big = new TensorShape(1_500_000_000, 1, 1);
        var b = new NetworkBuilder("t", big);
        b.Concat("cat", Network.InputName, b.ReLU("r", Network.InputName));
        Assert.Contains("'cat'", Refused(b.Build()));
    }

    [Theory]
    [InlineData(LayerKind.MaxPool)]
    [InlineData(LayerKind.AvgPool)]
    public void Pool_fields_the_runtime_cannot_honour_are_refused(LayerKind kind)
    {
        Layer Pool(int kernel, int? stride, int? padding, int? dilation = null) =>
            new() { Name = "pool", Kind = kind, Inputs = [Network.InputName], Kernel = kernel, Stride = stride, Padding = padding, Dilation = dilation };
        Assert.Contains("stride 0", Refused(One(Pool(2, 0, null))));
        Assert.Contains("kernel 0", Refused(One(Pool(0, 1, null))));
        Assert.Contains("padding -1", Refused(One(Pool(3, 1, -1))));
        // PyTorch refuses a pool padded past half its window; that used to surface from libtorch.
        Assert.Contains("padding 2", Refused(One(Pool(3, 1, 2))));
        Assert.Contains("dilation 2", Refused(One(Pool(2, 2, null, dilation: 2))));
    }

    [Fact]
    public void Linear_with_no_outputs_and_out_of_range_dropout_are_refused()
    {
        var b = new NetworkBuilder("t", Input);
        b.Linear("fc", b.Flatten("flat", Network.InputName), 0);
        Assert.Contains("out 0", Refused(b.Build()));

        foreach (var p in new[] { -0.1, 1.5, double.NaN })
        {
            var d = new NetworkBuilder("t", Input);
            d.Dropout("drop", Network.InputName, p);
            Assert.Contains("'drop'", Refused(d.Build()));
        }
    }

    [Fact]
    public void BatchNorm_of_a_flat_vector_is_refused()
    {
        // BatchNorm2d needs a feature map; libtorch only said so once the network ran.
        var b = new NetworkBuilder("t", Input);
        b.BN("bn", b.Flatten("flat", Network.InputName));
        Assert.Contains("'bn'", Refused(b.Build()));
    }

    [Fact]
    public void The_cost_of_a_network_past_a_64_bit_count_is_refused_not_wrapped()
    {
        // Each conv alone fits the limits (46339 x 46339 weights keeping a 46339 x 46339 map:
        // 4.6e18 MACs); three of them overflow a long.
        var b = new NetworkBuilder("t", new TensorShape(1, 46339, 46339));
        var x = Network.InputName;
        for (int i = 0; i < 3; i++) x = b.Conv($"conv{i}", x, 1, 46339, padding: 23169);
        var net = b.Build();
        ShapeInference.Infer(net);
        Assert.Contains("9.2e18", Assert.Throws<InvalidNetworkException>(() => CostModel.Of(net)).Message);
    }

    [Fact]
    public void Json_with_a_zero_stride_is_refused_when_read()
    {
        var json = NetworkJson.Write(One(Conv())).Replace("\"kernel\": 3", "\"kernel\": 3, \"stride\": 0");
        var message = Assert.Throws<InvalidNetworkException>(() => NetworkJson.Read(json)).Message;
        Assert.Contains("'conv'", message);
        Assert.Contains("stride 0", message);
    }

    [Fact]
    public void A_checkpoint_with_a_zero_stride_is_refused_when_loaded()
    {
        using var temp = new TempFolder();
        var net = One(Conv());
        using var module = new GraphModule(net);
        var ck = Checkpoint.From(module, new CheckpointInfo());
        // Same tensors, so only the stride is wrong: the weights' shapes do not depend on it.
        var bad = ck with { Network = net with { Layers = [Conv(stride: 0)] } };
        bad.Save(temp.File("bad.amc"));
        var message = Assert.Throws<CheckpointException>(() => Checkpoint.Load(temp.File("bad.amc"))).Message;
        Assert.Contains("'conv'", message);
        Assert.Contains("stride 0", message);
    }

    [Theory]
    [InlineData(0, 1.0, "classes")]
    [InlineData(10, 0.0, "width")]
    [InlineData(10, -1.0, "width")]
    [InlineData(10, double.NaN, "width")]
    [InlineData(10, double.PositiveInfinity, "width")]
    [InlineData(10, 1e9, "width")]
    public void Zoo_options_out_of_range_are_refused(int classes, double width, string what)
    {
        var message = Assert.Throws<InvalidNetworkException>(() => ModelZoo.Build("resnet20", new ModelOptions(new TensorShape(3, 32, 32), classes, width))).Message;
        Assert.Contains("resnet20", message);
        Assert.Contains(what, message);
    }

    [Fact]
    public void Zoo_input_out_of_range_is_refused()
    {
        Assert.Contains("0x28x28", Assert.Throws<InvalidNetworkException>(() => ModelZoo.Build("resnet20", new ModelOptions(new TensorShape(0, 28, 28)))).Message);
        Assert.Contains("3x50000x50000", Assert.Throws<InvalidNetworkException>(() => ModelZoo.Build("resnet20", new ModelOptions(new TensorShape(3, 50000, 50000)))).Message);
    }

    [Fact]
    public void Input_text_with_an_empty_or_huge_axis_is_refused()
    {
        Assert.Contains("between 1 and", Assert.Throws<FormatException>(() => TensorShape.Parse("0x28x28")).Message);
        Assert.Contains("between 1 and", Assert.Throws<FormatException>(() => TensorShape.Parse("3x99999999999x2")).Message);
    }

    [Fact]
    public void Profile_of_a_huge_input_exits_2_naming_the_input()
    {
        var message = CliAssert.BadInput(CliRun.Amc("profile", "--model", "resnet20", "--input", "3x100000x100000"));
        Assert.Contains("3x100000x100000", message);
    }
}
