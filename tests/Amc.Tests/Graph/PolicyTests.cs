using System.Text.Json;
using Amc.Graph;
using Amc.Models;
using Amc.Search;

namespace Amc.Tests.Graph;

public class PolicyTests
{
    static readonly ChannelGraph Graph = ChannelGraph.Build(ModelZoo.Build("resnet20", new ModelOptions(new TensorShape(3, 32, 32))));

    [Fact]
    public void Full_is_every_group_at_its_width_and_with_width_changes_one_group_of_a_copy()
    {
        var full = Policy.Full(Graph);
        Assert.Equal(Graph.Groups.Count, full.Count);
        Assert.All(Graph.Groups, g => Assert.Equal(g.Channels, full.Width(g.Id)));
        int id = Graph["conv1"].Id;
        var smaller = full.WithWidth(id, 8);
        Assert.Equal(8, smaller.Width(id));
        Assert.Equal(Graph["conv1"].Channels, full.Width(id));
        Assert.Equal(1, Graph.Groups.Count(g => smaller.Width(g.Id) != full.Width(g.Id)));
    }

    [Fact]
    public void Equal_choices_are_equal_policies_with_equal_hashes()
    {
        int id = Graph["layer2.0.conv1"].Id;
        var a = Policy.Full(Graph).WithWidth(id, 16);
        var b = Policy.OfWidths(Graph.Groups.Select(g => g.Id == id ? 16 : g.Channels));
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, a.WithWidth(id, 24));
        Assert.Single(new[] { a, b, Policy.Full(Graph).WithWidth(id, 16) }.Distinct());
    }

    [Fact]
    public void The_step_view_lists_the_steps_widths_in_their_order_and_builds_back()
    {
        var steps = Graph.Prunable.Reverse().Take(3).ToList();
        var policy = Policy.Full(Graph).WithStepWidths(steps, [8, 16, 24]);
        Assert.Equal([8, 16, 24], policy.StepWidths(steps));
        Assert.Equal(Graph.Groups.Count - 3, Graph.Groups.Count(g => policy.Width(g.Id) == g.Channels));
    }

    [Fact]
    public void In_json_a_policy_is_its_widths_as_search_states_held_them()
    {
        var policy = Policy.Full(Graph).WithWidth(0, 4);
        string json = JsonSerializer.Serialize(policy);
        Assert.Equal(JsonSerializer.Serialize(policy.Widths()), json);
        Assert.Equal(policy, JsonSerializer.Deserialize<Policy>(json));
        // A best policy saved before the type existed reads back.
        var best = JsonSerializer.Deserialize<BestPolicy>("{\"Episode\":3,\"Reward\":-0.5,\"Widths\":[4,8,16],\"Top1\":0.5,\"Top5\":1,\"Macs\":10,\"Params\":2}")!;
        Assert.Equal(Policy.OfWidths([4, 8, 16]), best.Widths);
    }
}
