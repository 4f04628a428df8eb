using System.Text.Json;
using Amc.Graph;
using Amc.Latency;
using Amc.Pruning;
using Amc.Search;
using Amc.Tests.Latency;

namespace Amc.Tests.Search;

/// <summary>The mixed-precision search: a width step and a precision step per group, a wall that
/// holds for both, the two-table latency prediction, and the policy's int8 groups in every file form.</summary>
public class MixedPrecisionTests(TinyLatencyTable tiny) : IClassFixture<TinyLatencyTable>
{
    SearchOptions Mixed(double target) => tiny.Search with { Target = target, MixedPrecision = true };

    /// <summary>A cost that reads the precisions: an int8 group's width costs a quarter of a float one's.</summary>
    static long Synthetic(Policy p) => 1000 + Enumerable.Range(0, p.Count).Sum(g => p.Width(g) * (p.IsInt8(g) ? 25L : 100L));

    [Fact]
    public void Each_group_takes_a_width_step_then_a_precision_step()
    {
        var env = new PruningEnvironment(tiny.Network, tiny.Graph, Mixed(0.9), TinyLatencyTable.Round, Synthetic);
        int groups = tiny.Graph.Prunable.Count();
        Assert.Equal(2 * groups, env.StepCount);
        Assert.Equal(StateEmbedding.Size + 1, env.StateSize);
        var state = env.Reset();
        Assert.Equal(env.StateSize, state.Length);
        Assert.Equal(0f, state[^1]);
        var width = env.Step(1.0);
        Assert.Equal(1f, width.Next[^1]);
        Assert.EndsWith(" precision", env.StepName(1));
        Assert.Equal(PruningEnvironment.FloatBits, env.StepSize(1));
        // Below the middle of [lbound, rbound] is int8, above it float.
        var precision = env.Step(0.25);
        Assert.Equal(PruningEnvironment.Int8Bits, precision.Channels);
        Assert.True(env.Policy.IsInt8(env.Steps[0].Id));
        Assert.Equal(0f, precision.Next[^1]);
        env.Step(1.0);
        Assert.Equal(PruningEnvironment.FloatBits, env.Step(0.95).Channels);
        Assert.False(env.Policy.IsInt8(env.Steps[1].Id));
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(0.6)]
    public void Any_actions_keep_the_budget_and_a_tight_one_forces_int8(double target)
    {
        var env = new PruningEnvironment(tiny.Network, tiny.Graph, Mixed(target), TinyLatencyTable.Round, Synthetic);
        var rng = new SearchRandom(7);
        for (int episode = 0; episode < 30; episode++)
        {
            env.Reset();
            var results = Enumerable.Range(0, env.StepCount).Select(_ => env.Step(episode % 3 == 0 ? 1.0 : rng.NextDouble())).ToList();
            var p = env.Policy;
            Assert.True(Synthetic(p) <= env.Wall!.Budget, $"{Synthetic(p)} > {env.Wall.Budget}");
            Assert.Equal(p, env.FromSteps(results.Select(r => r.Channels).ToList()));
            Assert.Equal(results.Select(r => r.Channels), env.ToSteps(p));
        }
        // All float at full width costs 4x all int8: a 30 % budget cannot be met by float groups
        // asking for everything (action 1), so the wall turns some of them int8.
        env.Reset();
        for (int t = 0; t < env.StepCount; t++) env.Step(1.0);
        if (target < 0.5) Assert.NotEmpty(env.Policy.Int8Groups());
    }

    [Fact]
    public void Where_int8_costs_more_the_wall_keeps_float_and_the_budget()
    {
        // As in a network whose int8 layers pay more conversions than they save (ShuffleNet's).
        static long Slower(Policy p) => 1000 + Enumerable.Range(0, p.Count).Sum(g => p.Width(g) * (p.IsInt8(g) ? 130L : 100L));
        var smallest = Policy.OfWidths(tiny.Reachable.Select(r => r[0]));
        double target = (Slower(smallest) + 10.0) / Slower(Policy.Full(tiny.Graph));
        var env = new PruningEnvironment(tiny.Network, tiny.Graph, Mixed(target), TinyLatencyTable.Round, Slower);
        env.Reset();
        // Asking for int8 everywhere: the budget only holds in float.
        for (int t = 0; t < env.StepCount; t++) env.Step(0.2);
        Assert.True(Slower(env.Policy) <= env.Wall!.Budget);
        Assert.True(env.Policy.Int8Groups().Length == 0, $"{env.Policy} vs smallest {smallest}, budget {env.Wall.Budget}, cost {Slower(env.Policy)}");
    }

    [Fact]
    public void A_mixed_search_needs_a_latency_budget()
    {
        var e = Assert.Throws<ArgumentException>(() => new PruningEnvironment(tiny.Network, tiny.Graph,
            new SearchOptions { Resource = Resource.Macs, MixedPrecision = true }, TinyLatencyTable.Round));
        Assert.Contains("latency budget", e.Message);
    }

    [Fact]
    public void The_mixed_prediction_is_each_table_at_its_end()
    {
        var int8 = LatencyTableBuilder.Build(tiny.Network, tiny.Graph, tiny.Reachable, tiny.Options with { Int8 = true }).Table;
        var mixed = new MixedPrecisionLatency(tiny.Table, int8, tiny.Graph);
        var full = Policy.Full(tiny.Graph);
        var smallest = Policy.OfWidths(tiny.Reachable.Select(r => r[0]));
        var prunable = tiny.Graph.Prunable.Select(g => g.Id).ToList();
        foreach (var widths in new[] { full, smallest })
        {
            Assert.Equal(tiny.Table.PredictMs(widths), mixed.PredictMs(widths), 9);
            Assert.Equal(int8.PredictMs(widths), mixed.PredictMs(widths.WithInt8(prunable)), 9);
        }
        // A group whose layers are all float in the int8 table (none eligible) changes nothing;
        // one with eligible layers moves the prediction away from the float table's.
        var eligible = prunable.Where(g => int8.Layers.Any(l => l.Full.Int8 && LayerPrecision.Group(tiny.Graph, l.Name) == g)).ToList();
        Assert.NotEmpty(eligible);
        Assert.NotEqual(tiny.Table.PredictMs(full), mixed.PredictMs(full.WithInt8(eligible[0], true)));
    }

    [Fact]
    public void A_groups_precision_covers_the_layers_making_its_channels_and_never_the_classifier()
    {
        var net = tiny.Network;
        var graph = tiny.Graph;
        var all = Policy.Full(graph).WithInt8(graph.Prunable.Select(g => g.Id));
        var int8 = LayerPrecision.Int8Layers(net, graph, all);
        var convs = net.Layers.Where(l => l.Kind is LayerKind.Conv2d or LayerKind.Linear).Select(l => l.Name).ToList();
        Assert.DoesNotContain(net.Layers.Last(l => l.Kind == LayerKind.Linear).Name, int8);
        Assert.Equal(convs.Except(int8), LayerPrecision.FloatLayers(net, graph, all));
        var g = graph.Prunable.First();
        var one = LayerPrecision.Int8Layers(net, graph, Policy.Full(graph).WithInt8(g.Id, true));
        Assert.Equal(g.Producers.Where(convs.Contains).Order(), one.Order());
        Assert.Empty(LayerPrecision.Int8Layers(net, graph, Policy.Full(graph)));
    }

    [Fact]
    public void Int8_groups_survive_every_file_form_and_plain_policies_read_as_before()
    {
        var graph = tiny.Graph;
        var ids = graph.Prunable.Select(g => g.Id).ToList();
        var policy = Policy.Full(graph).WithWidth(ids[0], 2).WithInt8([ids[0], ids[^1]]);
        string json = JsonSerializer.Serialize(policy);
        Assert.StartsWith("{", json);
        Assert.Equal(policy, JsonSerializer.Deserialize<Policy>(json));
        Assert.StartsWith("[", JsonSerializer.Serialize(Policy.Full(graph)));
        Assert.Equal(Policy.Full(graph), JsonSerializer.Deserialize<Policy>(JsonSerializer.Serialize(Policy.Full(graph))));
        Assert.NotEqual(policy, policy.WithInt8(ids[0], false));
        Assert.Contains("q", policy.ToString());

        var file = PruningPolicy.From(policy, graph, "resnet20", TinyLatencyTable.Round);
        Assert.Equal(2, file.Groups.Count(d => d.Precision == PruningPolicy.Int8));
        var read = JsonSerializer.Deserialize<PruningPolicy>(file.ToJson(), PruningPolicy.Json)!;
        Assert.Equal(policy, read.Resolve(graph, TinyLatencyTable.Round));
        Assert.Equal([ids[0], ids[^1]], read.Int8Groups(graph));
        var wrong = read with { Groups = [read.Groups[0] with { Precision = "int4" }] };
        Assert.Contains("precision must be", Assert.Throws<PolicyException>(() => wrong.Resolve(graph, TinyLatencyTable.Round)).Message);
    }
}
