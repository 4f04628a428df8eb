using Amc.Graph;
using Amc.Models;
using Amc.Pruning;
using Amc.Search;

namespace Amc.Tests.Search;

public class EnvironmentTests
{
    static Network Resnet20() => ModelZoo.Build("resnet20", new ModelOptions(new TensorShape(3, 32, 32)));

    [Theory]
    [InlineData(0.5, 8, Resource.Macs)]
    [InlineData(0.3, 8, Resource.Macs)]
    [InlineData(0.5, 1, Resource.Macs)]
    [InlineData(0.4, 4, Resource.Params)]
    public void Any_actions_end_within_the_budget_after_rounding(double target, int round, Resource resource)
    {
        var net = Resnet20();
        var graph = ChannelGraph.Build(net);
        var options = new SearchOptions { Target = target, Resource = resource };
        var env = new PruningEnvironment(net, graph, options, round);
        var rng = new SearchRandom(11);
        var full = CostModel.Of(net);
        long original = resource == Resource.Macs ? full.Macs : full.Params;
        for (int episode = 0; episode < 30; episode++)
        {
            env.Reset();
            StepResult? last = null;
            for (int t = 0; t < env.StepCount; t++) last = env.Step(episode % 3 == 0 ? 1.0 : rng.NextDouble());
            Assert.True(last!.Done);
            // Build the pruned description for real and count it with the cost model.
            var widths = env.Policy;
            var kept = graph.Prunable.ToDictionary(g => g.Id, g => Enumerable.Range(0, widths.Width(g.Id)).ToArray());
            var layers = net.Layers.Select(l => LayerRules.Of(l).Resize is { } resize ? resize(l, graph.KeptIndices(l.Name, kept).Length) : l).ToList();
            var cost = CostModel.Of(net.WithLayers(layers));
            long used = resource == Resource.Macs ? cost.Macs : cost.Params;
            Assert.True(used <= target * original, $"episode {episode}: {used} > {target} * {original}");
            foreach (var g in graph.Prunable)
                Assert.Contains(widths.Width(g.Id), ChannelRounding.Allowed(g.Channels, round));
        }
    }

    [Fact]
    public void Full_keep_actions_are_walled_down_to_the_budget_not_far_below()
    {
        var net = Resnet20();
        var env = new PruningEnvironment(net, ChannelGraph.Build(net), new SearchOptions { Target = 0.5 }, 1);
        env.Reset();
        for (int t = 0; t < env.StepCount; t++) env.Step(1.0);
        long macs = env.Cost(env.Policy).Macs, original = CostModel.Of(net).Macs;
        Assert.InRange((double)macs / original, 0.47, 0.5);
    }

    [Fact]
    public void Infeasible_budget_is_refused_with_the_smallest_feasible_value()
    {
        var net = Resnet20();
        var e = Assert.Throws<InfeasibleBudgetException>(() => new PruningEnvironment(net, ChannelGraph.Build(net), new SearchOptions { Target = 0.01 }, 8));
        Assert.Contains("smallest feasible target is", e.Message);
        Assert.Contains("(lower --lbound or --round to go further)", e.Message);
    }

    [Fact]
    public void A_budget_only_the_smallest_policy_meets_is_told_apart_from_one_with_room()
    {
        var net = Resnet20();
        var graph = ChannelGraph.Build(net);
        var probe = new PruningEnvironment(net, graph, new SearchOptions { Target = 0.5 }, 8);
        Assert.False(probe.LeavesNoChoice);
        // Exactly the smallest widths' MACs: any group one step wider breaks the budget.
        double smallest = (double)probe.Cost(probe.Smallest).Macs / CostModel.Of(net).Macs;
        var tight = new PruningEnvironment(net, graph, new SearchOptions { Target = smallest + 1e-9 }, 8);
        Assert.True(tight.LeavesNoChoice);
        tight.Reset();
        for (int t = 0; t < tight.StepCount; t++) tight.Step(1.0);
        Assert.Equal(tight.Smallest, tight.Policy);
    }

    [Fact]
    public void State_has_the_papers_eleven_features_scaled_to_unit_range()
    {
        var net = Resnet20();
        var env = new PruningEnvironment(net, ChannelGraph.Build(net), new SearchOptions(), 8);
        var s = env.Reset();
        Assert.Equal(11, s.Length);
        Assert.Equal(1f, s[10]); // a_{-1} = 1
        Assert.Equal(0f, s[8]);  // nothing reduced yet
        for (int t = 0; t < env.StepCount; t++)
        {
            var r = env.Step(0.5);
            Assert.All(r.Next, v => Assert.InRange(v, 0f, 1f));
        }
    }

    [Fact]
    public void Baselines_meet_the_budget_and_differ_in_shape()
    {
        var net = Resnet20();
        var options = new SearchOptions { Target = 0.5 };
        var env = new PruningEnvironment(net, ChannelGraph.Build(net), options, 1);
        var original = CostModel.Of(net).Macs;
        var keeps = new Dictionary<string, double[]>();
        foreach (var name in Baselines.Names)
        {
            var w = Baselines.Policy(name, env, options);
            long macs = env.Cost(w).Macs;
            Assert.InRange((double)macs / original, 0.45, 0.5);
            keeps[name] = env.Steps.Select(g => (double)w.Width(g.Id) / g.Channels).ToArray();
        }
        Assert.True(keeps["deep"][0] > keeps["deep"][^1]);
        Assert.True(keeps["shallow"][0] < keeps["shallow"][^1]);
    }
}
