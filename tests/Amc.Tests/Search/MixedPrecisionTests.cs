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
    [InlineData(0.4)]
    [InlineData(0.7)]
    public void The_actions_for_a_hand_crafted_policy_lead_an_episode_to_it(double target)
    {
        var options = Mixed(target);
        var env = new PruningEnvironment(tiny.Network, tiny.Graph, options, TinyLatencyTable.Round, Synthetic);
        foreach (var name in Baselines.Names)
        {
            var baseline = Baselines.Policy(name, env, options);
            env.Reset();
            foreach (var action in env.ActionsFor(baseline)) env.Step(action);
            Assert.Equal(env.ToSteps(baseline), env.ToSteps(env.Policy));
        }
        // A float group's precision action is the highest, an int8 one's the lowest.
        var mix = env.Full.WithInt8(env.Steps[0].Id, true);
        var actions = env.ActionsFor(mix);
        Assert.Equal([options.LowerBound, options.UpperBound], new[] { actions[1], actions[3] });
    }

    /// <summary>
    /// A cost where an int8 group carries a fixed overhead (a quantize step, a slower kernel at a
    /// few channels), so at its smallest width float is the cheaper and at full width int8 is.
    /// </summary>
    static long WithInt8Overhead(Policy p) => 1000 + Enumerable.Range(0, p.Count).Sum(g => p.IsInt8(g) ? 500 + p.Width(g) * 25L : p.Width(g) * 100L);

    [Fact]
    public void The_wall_lets_a_full_width_all_int8_policy_through_when_it_meets_the_budget()
    {
        var prunable = tiny.Graph.Prunable.Select(g => g.Id).ToList();
        var full = Policy.Full(tiny.Graph);
        var allInt8 = full.WithInt8(prunable);
        // The budget is exactly what the full-width all-int8 network costs.
        double target = (WithInt8Overhead(allInt8) + 0.5) / WithInt8Overhead(full);
        Assert.True(target < 1);
        var env = new PruningEnvironment(tiny.Network, tiny.Graph, Mixed(target), TinyLatencyTable.Round, WithInt8Overhead);
        // The smallest widths are cheaper in float: the wall must not cap a width as if its group
        // were going to stay float when int8 at that width meets the budget.
        var smallest = Policy.OfWidths(tiny.Reachable.Select(r => r[0]));
        Assert.Contains(prunable, g => WithInt8Overhead(smallest.WithInt8(g, false)) < WithInt8Overhead(smallest.WithInt8(g, true)));
        env.Reset();
        foreach (var action in env.ActionsFor(allInt8)) env.Step(action);
        Assert.Equal(env.ToSteps(allInt8), env.ToSteps(env.Policy));
    }

    [Fact]
    public void Hand_crafted_policies_meet_a_budget_that_all_int8_cannot()
    {
        var full = Policy.Full(tiny.Graph);
        var probe = new PruningEnvironment(tiny.Network, tiny.Graph, Mixed(0.99), TinyLatencyTable.Round, WithInt8Overhead);
        long cheapest = WithInt8Overhead(probe.Smallest), allInt8 = WithInt8Overhead(probe.AllInt8(Policy.OfWidths(tiny.Reachable.Select(r => r[0]))));
        Assert.True(cheapest < allInt8);
        var options = Mixed((cheapest + 0.5) / WithInt8Overhead(full));
        var env = new PruningEnvironment(tiny.Network, tiny.Graph, options, TinyLatencyTable.Round, WithInt8Overhead);
        foreach (var name in Baselines.Names)
            Assert.True(env.Wall!.Measure(Baselines.Policy(name, env, options)) <= env.Wall.Budget, name);
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
        var mixed = new MixedPrecisionLatency(tiny.Table, int8, tiny.Network, tiny.Graph);
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
    public void A_mix_is_predicted_between_the_all_float_and_the_all_int8_network_at_its_widths()
    {
        var int8 = LatencyTableBuilder.Build(tiny.Network, tiny.Graph, tiny.Reachable, tiny.Options with { Int8 = true }).Table;
        var mixed = new MixedPrecisionLatency(tiny.Table, int8, tiny.Network, tiny.Graph);
        var prunable = tiny.Graph.Prunable.Select(g => g.Id).ToList();
        var rng = new Random(4);
        for (int i = 0; i < 300; i++)
        {
            // Random widths, then a random set of int8 groups: at small widths a tiny network's int8
            // layers can save more than all of them together (others slower in int8).
            var widths = Policy.OfWidths(tiny.Reachable.Select(r => r[rng.Next(r.Count)]));
            var mix = widths.WithInt8(prunable.Where(_ => rng.Next(2) == 0));
            double allFloat = tiny.Table.PredictMs(widths), allInt8 = int8.PredictMs(widths.WithInt8(prunable));
            Assert.InRange(mixed.PredictMsWithoutConversions(mix), Math.Min(allFloat, allInt8) - 1e-9, Math.Max(allFloat, allInt8) + 1e-9);
        }
    }

    /// <summary>The layers that can run in int8 (all but the first and the last), with their groups.</summary>
    Dictionary<string, int> Eligible()
    {
        var convs = tiny.Network.Layers.Where(l => l.Kind is LayerKind.Conv2d or LayerKind.Linear).ToList();
        return convs.Skip(1).SkipLast(1).Where(l => LayerPrecision.Group(tiny.Graph, l.Name) is not null)
            .ToDictionary(l => l.Name, l => LayerPrecision.Group(tiny.Graph, l.Name)!.Value);
    }

    [Fact]
    public void Every_layer_int8_converts_only_around_the_float_first_and_last_layers()
    {
        var conversions = new PrecisionConversions(tiny.Network, tiny.Graph, Eligible());
        var full = Policy.Full(tiny.Graph);
        string stem = tiny.Network.Layers.Single(l => l.Name == "layer1.0.conv1").Inputs[0], head = tiny.Network.Layers.Single(l => l.Name == "fc").Inputs[0];

        Assert.Equal([(stem, true), (head, false)], conversions.AllInt8);
        Assert.Equal(conversions.AllInt8, conversions.Of(full.WithInt8(tiny.Graph.Prunable.Select(g => g.Id))));
        Assert.Empty(conversions.Of(full));
    }

    [Fact]
    public void A_float_block_conv_between_int8_ones_converts_its_output_the_add_and_the_next_input()
    {
        var eligible = Eligible();
        var conversions = new PrecisionConversions(tiny.Network, tiny.Graph, eligible);
        var policy = Policy.Full(tiny.Graph).WithInt8(eligible.Values.Distinct().Where(g => g != eligible["layer1.0.conv1"]));

        // layer1.0.conv1 in float reads the stem's output as it is; conv2 (int8) needs conv1's
        // output quantized; the block's add then meets an int8 and a float input and runs in float,
        // dequantizing conv2's; layer1.1.conv1 (int8) needs the block's output quantized.
        string head = tiny.Network.Layers.Single(l => l.Name == "fc").Inputs[0];
        Assert.Equal([("layer1.0.relu1", true), ("layer1.0.bn2", false), ("layer1.0.relu2", true), (head, false)], conversions.Of(policy));
    }

    [Fact]
    public void Conversions_cost_by_the_elements_they_pass_over()
    {
        var conversions = new PrecisionConversions(tiny.Network, tiny.Graph, Eligible());
        var full = Policy.Full(tiny.Graph);
        var perElement = new ConversionCost(1e6); // 1 ms per element
        string stem = tiny.Network.Layers.Single(l => l.Name == "layer1.0.conv1").Inputs[0];
        var shapes = ShapeInference.Infer(tiny.Network);
        long elements = shapes[stem].Elements + shapes[tiny.Network.Layers.Single(l => l.Name == "fc").Inputs[0]].Elements;

        Assert.Equal(elements, conversions.Ms(full, perElement, allInt8: true), 6);
    }

    [Fact]
    public void The_conversion_cost_is_fitted_to_the_probes_and_reproduces_them()
    {
        var built = LatencyTableBuilder.Build(tiny.Network, tiny.Graph, tiny.Reachable, tiny.Options with { Int8 = true }).Table;
        Assert.NotNull(built.Probes);
        Assert.InRange(built.Probes!.FloatGroups.Count, 1, 4);
        // Probes as a machine would time them if a conversion cost 2 ns per element, on top of a
        // drift of 10 % since the tables were measured.
        var plain = new MixedPrecisionLatency(tiny.Table, Without(built), tiny.Network, tiny.Graph);
        var conversions = new PrecisionConversions(tiny.Network, tiny.Graph, Eligible());
        var all = Policy.Full(tiny.Graph).WithInt8(tiny.Graph.Prunable.Select(g => g.Id));
        var cost = new ConversionCost(2);
        double Timed(Policy p) => 1.1 * (plain.PredictMs(p) + conversions.Ms(p, cost) - Share(p) * conversions.Ms(p, cost, allInt8: true));
        double Share(Policy p) => (tiny.Table.PredictMs(p) - plain.PredictMs(p)) / (tiny.Table.PredictMs(p) - built.PredictMs(p));
        var probes = new MixedPrecisionProbes(1.1 * plain.PredictMs(all), built.Probes.FloatGroups.Select(g => new FloatGroupProbe(g.Group, Timed(all.WithInt8(g.Group, false)))).ToList());

        var mixed = new MixedPrecisionLatency(tiny.Table, With(built, probes), tiny.Network, tiny.Graph);

        Assert.Equal(2, mixed.Conversion!.PerElementNs, 1);
        // Between the ends the conversions are added; at the ends nothing changes.
        var policy = all.WithInt8(built.Probes.FloatGroups[0].Group, false);
        Assert.True(mixed.PredictMs(policy) > plain.PredictMs(policy));
        Assert.Equal(built.PredictMs(all), mixed.PredictMs(all), 9);
    }

    LatencyTable Without(LatencyTable t) => With(t, null);

    LatencyTable With(LatencyTable t, MixedPrecisionProbes? probes) =>
        new(t.Layers, tiny.Graph.Layout, t.Entries.Select(e => new LatencyTableEntry(e.Key, e.Value)), Policy.OfWidths(tiny.Reachable.Select(r => r[0])),
            t.WholeNetworkMs, t.SmallestNetworkMs) { Probes = probes };

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
    public void A_group_pruned_to_one_channel_keeps_the_precision_the_search_scored_it_in()
    {
        // One channel is fixed in the pruned network's graph (nothing left to prune), yet the policy
        // decided its precision: `amc quantize --policy` on the pruned network must run it as scored.
        var net = Amc.Models.ModelZoo.Build("resnet20", new Amc.Models.ModelOptions(new TensorShape(1, 16, 16), 10, 0.25));
        var graph = ChannelGraph.Build(net);
        using var module = Amc.Tests.Pruning.RandomWeights.Module(net, seed: 2);
        var g = graph.Prunable.First(x => x.Name == "layer1.0.conv1");
        var all = Policy.Full(graph).WithWidth(g.Id, 1).WithInt8(graph.Prunable.Select(x => x.Id));
        var pruned = NetworkPruner.ToWidths(net, graph, module.Tensors(), all);
        var prunedGraph = ChannelGraph.Build(pruned.Network);
        Assert.False(prunedGraph.Groups.Single(x => x.Name == g.Name).Prunable);
        var int8 = PruningPolicy.From(all, graph, "resnet20", round: 1).Int8Groups(prunedGraph); // as best-policy.json reads
        var deployed = LayerPrecision.Int8Layers(pruned.Network, prunedGraph, Policy.Full(prunedGraph).WithInt8(int8));
        Assert.Equal(LayerPrecision.Int8Layers(net, graph, all), deployed);
        Assert.Contains("layer1.0.conv1", deployed);
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
