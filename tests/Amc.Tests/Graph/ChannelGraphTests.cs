using Amc.Graph;
using Amc.Models;

namespace Amc.Tests.Graph;

public class ChannelGraphTests
{
    static readonly TensorShape Cifar = new(3, 32, 32);

    static ChannelGraph Zoo(string model, TensorShape? input = null, double width = 1.0) =>
        ChannelGraph.Build(ModelZoo.Build(model, new ModelOptions(input ?? Cifar, 10, width)));

    static ChannelGroup GroupOf(ChannelGraph g, string producer) => g.Groups.Single(x => x.Producers.Contains(producer));

    [Theory]
    [InlineData("plain20", 21, 19)]
    [InlineData("resnet20", 14, 12)]
    [InlineData("resnet56", 32, 30)]
    [InlineData("vgg16", 17, 15)]
    [InlineData("vgg16-cifar", 15, 13)]
    [InlineData("mobilenet", 16, 14)]
    [InlineData("mobilenetv2", 27, 25)]
    [InlineData("resnet50", 39, 37)]
    public void Every_zoo_model_has_the_expected_number_of_groups(string model, int groups, int prunable)
    {
        var g = Zoo(model);
        Assert.Equal(groups, g.Groups.Count);
        Assert.Equal(prunable, g.Prunable.Count());
        // Input first, logits last, both fixed; ids are positions; names are unique handles.
        Assert.Equal(Network.InputName, g.Groups[0].Name);
        Assert.Equal("network input", g.Groups[0].Reason);
        Assert.Equal("network output (logits)", g.Groups[^1].Reason);
        Assert.Equal(Enumerable.Range(0, g.Groups.Count), g.Groups.Select(x => x.Id));
        Assert.Equal(g.Groups.Count, g.Groups.Select(x => x.Name).Distinct().Count());
        // Every conv/linear that is not depthwise produces exactly one group.
        var net = ModelZoo.Build(model, new ModelOptions(Cifar, 10));
        var shapes = ShapeInference.Infer(net);
        var producers = net.Layers.Where(l => l.Kind == LayerKind.Linear || (l.Kind == LayerKind.Conv2d && !ChannelGraph.IsBlockwise(l, shapes[l.Inputs[0]].C)));
        Assert.Equal(producers.Select(l => l.Name).Order(), g.Groups.SelectMany(x => x.Producers).Order());
    }

    [Fact]
    public void Resnet20_merges_the_stem_and_block_outputs_of_a_stage_and_keeps_block_internals_separate()
    {
        var g = Zoo("resnet20");
        var stage1 = g["conv1"];
        Assert.Equal(["conv1", "layer1.0.conv2", "layer1.1.conv2", "layer1.2.conv2"], stage1.Producers);
        Assert.Equal(["bn1", "layer1.0.bn2", "layer1.1.bn2", "layer1.2.bn2"], stage1.PassThrough);
        Assert.Equal(["layer1.0.conv1", "layer1.1.conv1", "layer1.2.conv1", "layer2.0.conv1", "layer2.0.downsample.0"], stage1.Consumers);
        Assert.True(stage1.Prunable);
        Assert.Equal(16, stage1.Channels);

        var stage2 = g["layer2.0.conv2"];
        Assert.Equal(["layer2.0.conv2", "layer2.0.downsample.0", "layer2.1.conv2", "layer2.2.conv2"], stage2.Producers);
        Assert.Equal(32, stage2.Channels);
        var stage3 = g["layer3.0.conv2"];
        Assert.Contains("fc", stage3.Consumers);
        Assert.Equal(64, stage3.Channels);

        for (int s = 1; s <= 3; s++)
            for (int b = 0; b < 3; b++)
            {
                var inner = g[$"layer{s}.{b}.conv1"];
                Assert.Equal([$"layer{s}.{b}.conv1"], inner.Producers);
                Assert.Equal([$"layer{s}.{b}.bn1"], inner.PassThrough);
                Assert.Equal([$"layer{s}.{b}.conv2"], inner.Consumers);
                Assert.True(inner.Prunable);
            }

        Assert.Equal(["conv1"], g.Groups[0].Consumers);
        Assert.False(g.Groups[0].Prunable);
        var logits = g["fc"];
        Assert.False(logits.Prunable);
        Assert.Empty(logits.Consumers);
    }

    [Fact]
    public void Plain20_has_one_group_per_conv()
    {
        var g = Zoo("plain20");
        Assert.All(g.Groups.Skip(1).SkipLast(1), x => Assert.Single(x.Producers));
        Assert.Equal(["layer1.0.conv1"], g["conv1"].Consumers);
    }

    [Fact]
    public void MobileNetV2_prunes_expansions_merges_residual_streams_and_passes_through_depthwise_convs()
    {
        var g = Zoo("mobilenetv2");
        // Stage of 24 channels: blocks 2 and 3 (3 adds its input) write one stream.
        var s24 = g["features.2.conv.2"];
        Assert.Equal(["features.2.conv.2", "features.3.conv.2"], s24.Producers);
        Assert.Equal(["features.3.conv.0.0", "features.4.conv.0.0"], s24.Consumers);
        Assert.True(s24.Prunable);
        var s64 = g["features.7.conv.2"];
        Assert.Equal(["features.7.conv.2", "features.8.conv.2", "features.9.conv.2", "features.10.conv.2"], s64.Producers);

        // An expansion group: its BN, the depthwise conv and the depthwise conv's BN pass through; the projection reads it.
        var e = g["features.5.conv.0.0"];
        Assert.Equal(192, e.Channels);
        Assert.Equal(["features.5.conv.0.1", "features.5.conv.1.0", "features.5.conv.1.1"], e.PassThrough);
        Assert.Equal(["features.5.conv.2"], e.Consumers);
        Assert.True(e.Prunable);
        for (int block = 2; block <= 17; block++) Assert.True(g[$"features.{block}.conv.0.0"].Prunable);

        // Block 1 has no expansion: the depthwise conv passes the stem's channels through.
        var stem = g["features.0.0"];
        Assert.Equal(["features.0.1", "features.1.conv.0.0", "features.1.conv.0.1"], stem.PassThrough);
        Assert.Equal(["features.1.conv.1"], stem.Consumers);

        Assert.Equal(["classifier.1"], g["features.18.0"].Consumers);
        Assert.DoesNotContain(g.Groups, x => x.Producers.Any(p => p.EndsWith("conv.1.0")));
    }

    [Fact]
    public void MobileNet_pointwise_groups_pass_through_the_next_depthwise_conv()
    {
        var g = Zoo("mobilenet");
        var stem = g["features.0.0"];
        Assert.Equal(["features.0.1", "features.1.0", "features.1.1"], stem.PassThrough);
        Assert.Equal(["features.1.3"], stem.Consumers);
        for (int k = 1; k <= 12; k++)
        {
            var pw = g[$"features.{k}.3"];
            Assert.Equal([$"features.{k}.4", $"features.{k + 1}.0", $"features.{k + 1}.1"], pw.PassThrough);
            Assert.Equal([$"features.{k + 1}.3"], pw.Consumers);
            Assert.True(pw.Prunable);
        }
        var last = g["features.13.3"];
        Assert.Equal(1024, last.Channels);
        Assert.Equal(["classifier"], last.Consumers);
        Assert.Equal([new ChannelSegment(last.Id, 1024, 1)], g.Layout["flatten"]);
    }

    [Fact]
    public void Vgg16_fc6_reads_each_channel_of_the_last_conv_as_a_block_of_h_times_w_features()
    {
        var g = Zoo("vgg16", new TensorShape(3, 224, 224));
        var last = g["features.28"];
        Assert.Equal(["classifier.0"], last.Consumers);
        Assert.Equal([new ChannelSegment(last.Id, 512, 49)], g.Layout["flatten"]);
        Assert.Equal(["classifier.3"], g["classifier.0"].Consumers);
        Assert.True(g["classifier.0"].Prunable);
        Assert.True(g["classifier.3"].Prunable);
        Assert.False(g["classifier.6"].Prunable);
        // VGG has no BN: nothing passes through.
        Assert.All(g.Groups, x => Assert.Empty(x.PassThrough));
    }

    [Fact]
    public void ResNet50_prunes_the_two_inner_widths_of_each_bottleneck()
    {
        var g = Zoo("resnet50", width: 0.25);
        var stem = g["conv1"];
        Assert.Equal(["layer1.0.conv1", "layer1.0.downsample.0"], stem.Consumers);
        var stage1 = g["layer1.0.conv3"];
        Assert.Equal(["layer1.0.conv3", "layer1.0.downsample.0", "layer1.1.conv3", "layer1.2.conv3"], stage1.Producers);
        Assert.Equal(["layer1.1.conv1", "layer1.2.conv1", "layer2.0.conv1", "layer2.0.downsample.0"], stage1.Consumers);
        Assert.Equal(["layer2.0.conv2"], g["layer2.0.conv1"].Consumers);
        Assert.Equal(["layer2.0.conv3"], g["layer2.0.conv2"].Consumers);
        Assert.Equal(4, g.Groups.Count(x => x.Producers.Count > 1));
    }

    [Fact]
    public void Concat_output_is_made_of_its_inputs_groups_in_order()
    {
        var b = new NetworkBuilder("concat", new TensorShape(3, 8, 8));
        var a = b.ReLU("ra", b.BN("bna", b.Conv("a", Network.InputName, 4, 3, 1, 1)));
        var c = b.Conv("c", Network.InputName, 6, 1);
        var cat = b.Concat("cat", a, c);
        var bn = b.BN("bn", cat);
        var head = b.Conv("head", bn, 5, 1);
        b.Linear("fc", b.Flatten("flat", b.GlobalAvgPool("gap", head)), 2);
        var g = ChannelGraph.Build(b.Build());

        var ga = g["a"];
        var gc = g["c"];
        Assert.Equal([new ChannelSegment(ga.Id, 4), new ChannelSegment(gc.Id, 6)], g.Layout["cat"]);
        Assert.Equal(["bna", "bn"], ga.PassThrough);
        Assert.Equal(["bn"], gc.PassThrough);
        Assert.Equal(["head"], ga.Consumers);
        Assert.Equal(["head"], gc.Consumers);
        Assert.True(ga.Prunable);
        Assert.True(gc.Prunable);

        // Kept indices along the concat axis: group c's channels sit after group a's four.
        var kept = new Dictionary<int, int[]> { [ga.Id] = [1, 3], [gc.Id] = [0, 5] };
        Assert.Equal([1L, 3, 4, 9], g.KeptIndices("cat", kept));
        Assert.Equal([0L, 1, 2, 3, 4], g.KeptIndices("head", kept));
    }

    [Fact]
    public void A_grouped_conv_that_changes_the_width_fixes_the_group_it_reads_and_the_one_it_writes()
    {
        // (A grouped conv as wide as its input is pruned by blocks: GroupedConvPruningTests.)
        var b = new NetworkBuilder("grouped", new TensorShape(3, 8, 8));
        var x = b.ReLU("r1", b.Conv("c1", Network.InputName, 8, 3, 1, 1));
        x = b.ReLU("r2", b.Conv("g", x, 16, 3, 1, 1, groups: 2));
        x = b.Conv("c3", x, 4, 1);
        b.Linear("fc", b.Flatten("flat", b.GlobalAvgPool("gap", x)), 2);
        var g = ChannelGraph.Build(b.Build());

        Assert.False(g["c1"].Prunable);
        Assert.Contains("grouped conv 'g'", g["c1"].Reason);
        Assert.Empty(g["c1"].Consumers); // the grouped conv reads it but cannot lose input channels
        var written = g.Groups.Single(x => x.Reason == "output of grouped conv 'g'");
        Assert.Empty(written.Producers);
        Assert.Equal(["c3"], written.Consumers);
        Assert.True(g["c3"].Prunable);
        Assert.DoesNotContain(g.Groups, x => x.PassThrough.Contains("g"));
    }

    [Fact]
    public void A_one_channel_conv_with_groups_1_is_an_ordinary_conv_not_a_depthwise_one()
    {
        var b = new NetworkBuilder("one", new TensorShape(1, 8, 8));
        var x = b.ReLU("r1", b.Conv("c1", Network.InputName, 1, 3, 1, 1));
        x = b.Conv("c2", x, 1, 3, 1, 1);
        x = b.Conv("c3", x, 3, 1);
        b.Linear("fc", b.Flatten("flat", b.GlobalAvgPool("gap", x)), 2);
        var net = b.Build();
        var shapes = ShapeInference.Infer(net);
        Assert.False(ChannelGraph.IsBlockwise(net["c1"], shapes[Network.InputName].C));
        Assert.False(ChannelGraph.IsBlockwise(net["c2"], shapes["r1"].C));

        var g = ChannelGraph.Build(net);
        Assert.Equal(["c2"], g["c1"].Consumers);
        Assert.Equal(["c3"], g["c2"].Consumers);
        Assert.Equal(["c1"], g.Groups[0].Consumers);
        Assert.Equal(5, g.Groups.Count);
    }

    [Fact]
    public void A_depthwise_conv_with_a_channel_multiplier_is_not_a_pass_through()
    {
        var b = new NetworkBuilder("multiplier", new TensorShape(3, 8, 8));
        var x = b.Conv("c1", Network.InputName, 4, 1);
        x = b.Conv("dw2", x, 8, 3, 1, 1, groups: 4);
        x = b.Conv("c3", x, 4, 1);
        b.Linear("fc", b.Flatten("flat", b.GlobalAvgPool("gap", x)), 2);
        var g = ChannelGraph.Build(b.Build());
        Assert.False(g["c1"].Prunable);
        Assert.Empty(g["c1"].PassThrough);
        Assert.True(g["c3"].Prunable);
    }

    [Fact]
    public void An_add_of_differently_split_tensors_fixes_both_sides()
    {
        var b = new NetworkBuilder("split", new TensorShape(3, 8, 8));
        var a = b.Conv("a", Network.InputName, 4, 1);
        var c = b.Conv("c", Network.InputName, 4, 1);
        var cat = b.Concat("cat", a, c);
        var d = b.Conv("d", Network.InputName, 8, 1);
        var sum = b.Sum("sum", cat, d);
        b.Linear("fc", b.Flatten("flat", b.GlobalAvgPool("gap", b.Conv("head", sum, 2, 1))), 2);
        var g = ChannelGraph.Build(b.Build());
        Assert.All(new[] { "a", "c", "d" }, n => Assert.Contains("differently split inputs of add 'sum'", g[n].Reason));
        Assert.True(g["head"].Prunable);
    }

    [Fact]
    public void A_residual_add_of_the_network_input_fixes_the_whole_stream()
    {
        var b = new NetworkBuilder("input-residual", new TensorShape(3, 8, 8));
        var h = b.Conv("c1", Network.InputName, 3, 3, 1, 1);
        var sum = b.Sum("sum", Network.InputName, h);
        b.Linear("fc", b.Flatten("flat", b.GlobalAvgPool("gap", b.Conv("head", sum, 4, 1))), 2);
        var g = ChannelGraph.Build(b.Build());
        Assert.Same(g.Groups[0], GroupOf(g, "c1"));
        Assert.False(g.Groups[0].Prunable);
        Assert.Equal(["c1", "head"], g.Groups[0].Consumers);
    }
}
