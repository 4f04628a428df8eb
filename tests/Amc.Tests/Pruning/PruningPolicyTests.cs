using Amc.Graph;
using Amc.Models;
using Amc.Pruning;
using Amc.Tests.Data;

namespace Amc.Tests.Pruning;

public class PruningPolicyTests
{
    static readonly ChannelGraph Graph = ChannelGraph.Build(ModelZoo.Build("resnet20", new ModelOptions(new TensorShape(3, 32, 32))));

    static PolicyException Fails(params GroupDecision[] groups) =>
        Assert.Throws<PolicyException>(() => new PruningPolicy { Groups = groups }.Resolve(Graph, 8));

    [Fact]
    public void Json_round_trip_keeps_every_decision()
    {
        var channels = Policy.Full(Graph).WithWidths([(Graph["conv1"].Id, 8), (Graph["layer2.1.conv1"].Id, 24), (Graph["layer3.0.conv2"].Id, 40)]);
        var policy = PruningPolicy.From(channels, Graph, "resnet20", 8);
        using var folder = new TempFolder();
        var path = folder.File("policy.json");
        policy.Save(path);
        var back = PruningPolicy.Load(path);

        Assert.Equal(policy.ToJson(), back.ToJson());
        Assert.Equal("resnet20", back.Model);
        Assert.Equal(8, back.Round);
        Assert.Equal(Graph.Prunable.Count(), back.Groups.Count);
        var resolved = back.Resolve(Graph, 8);
        Assert.Equal(channels, resolved);
        // What a person reads: names, ratios, counts, widths.
        Assert.Contains("\"name\": \"layer2.1.conv1\"", back.ToJson());
        Assert.Contains("\"keep\": 0.75", back.ToJson());
    }

    [Fact]
    public void Uniform_keep_ratios_are_rounded_per_group()
    {
        var resolved = PruningPolicy.Uniform(Graph, 0.3).Resolve(Graph, 8);
        Assert.All(Graph.Prunable, g => Assert.True(resolved.Width(g.Id) < g.Channels, g.Name));
        Assert.Equal(8, resolved.Width(Graph["conv1"].Id));          // 16 * 0.3 = 4.8 -> 5 -> 8
        Assert.Equal(16, resolved.Width(Graph["layer2.0.conv1"].Id)); // 32 * 0.3 = 9.6 -> 10 -> 16
        Assert.Equal(24, resolved.Width(Graph["layer3.0.conv1"].Id)); // 64 * 0.3 = 19.2 -> 19 -> 24
        Assert.Equal(5, PruningPolicy.Uniform(Graph, 0.3).Resolve(Graph, 1).Width(Graph["conv1"].Id));
    }

    [Fact]
    public void An_exact_channel_count_wins_over_a_ratio_and_is_not_rounded()
    {
        var r = new PruningPolicy { Groups = [new GroupDecision { Name = "layer1.0.conv1", Keep = 0.5, Channels = 5 }] }.Resolve(Graph, 8);
        Assert.Equal(Policy.Full(Graph).WithWidth(Graph["layer1.0.conv1"].Id, 5), r);
    }

    [Fact]
    public void An_unknown_group_is_named_with_the_groups_that_exist()
    {
        var e = Fails(new GroupDecision { Name = "layer9.conv1", Keep = 0.5 });
        Assert.Contains("'layer9.conv1'", e.Message);
        Assert.Contains("layer1.0.conv1", e.Message);
        Assert.DoesNotContain("input", e.Message); // only prunable groups are offered
    }

    [Theory]
    [InlineData("input", "network input")]
    [InlineData("fc", "network output (logits)")]
    public void A_group_that_cannot_be_pruned_says_why(string name, string reason)
    {
        var e = Fails(new GroupDecision { Name = name, Keep = 0.5 });
        Assert.Contains($"'{name}'", e.Message);
        Assert.Contains(reason, e.Message);
    }

    [Theory]
    [InlineData(null, 0, "channels must be 1..16, got 0")]
    [InlineData(null, 17, "channels must be 1..16, got 17")]
    [InlineData(0.0, null, "keep must be in (0, 1], got 0")]
    [InlineData(1.5, null, "keep must be in (0, 1], got 1.5")]
    [InlineData(-0.2, null, "keep must be in (0, 1], got -0.2")]
    [InlineData(double.NaN, null, "keep must be in (0, 1]")]
    [InlineData(null, null, "neither 'keep' nor 'channels'")]
    public void Bad_counts_name_the_group_and_the_valid_range(double? keep, int? channels, string message)
    {
        var e = Fails(new GroupDecision { Name = "layer1.0.conv1", Keep = keep, Channels = channels });
        Assert.Contains("'layer1.0.conv1'", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void A_policy_for_another_width_is_caught_by_its_recorded_group_width()
    {
        var e = Fails(new GroupDecision { Name = "layer1.0.conv1", Keep = 0.5, Of = 32 });
        Assert.Contains("has 32 channels, the network has 16", e.Message);
    }

    [Fact]
    public void A_group_listed_twice_is_rejected()
    {
        var e = Fails(new GroupDecision { Name = "conv1", Keep = 0.5 }, new GroupDecision { Name = "conv1", Keep = 1 });
        Assert.Contains("'conv1'", e.Message);
        Assert.Contains("twice", e.Message);
    }

    [Fact]
    public void Unreadable_files_give_policy_errors()
    {
        using var folder = new TempFolder();
        Assert.Contains("not found", Assert.Throws<PolicyException>(() => PruningPolicy.Load(folder.File("missing.json"))).Message);
        var bad = folder.File("bad.json");
        File.WriteAllText(bad, "{ \"groups\": [ { \"name\": 3 } ] }");
        Assert.Contains("not a valid policy", Assert.Throws<PolicyException>(() => PruningPolicy.Load(bad)).Message);
        File.WriteAllText(bad, "{ \"model\": \"resnet20\" }");
        Assert.Contains("not a valid policy", Assert.Throws<PolicyException>(() => PruningPolicy.Load(bad)).Message);
        File.WriteAllText(bad, "null");
        Assert.Contains("empty policy", Assert.Throws<PolicyException>(() => PruningPolicy.Load(bad)).Message);
    }
}
