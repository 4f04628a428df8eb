using Amc.Search;
using static TorchSharp.torch;

namespace Amc.Tests.Search;

public class DdpgAgentTests
{
    [Fact]
    public void Initial_weights_come_from_the_seed_alone_not_the_global_random_state()
    {
        var options = new DdpgOptions { Hidden = 16 };
        manual_seed(1);
        using var a = new DdpgAgent(11, 10, options, seed: 5);
        manual_seed(2); // another global state must not matter
        using var b = new DdpgAgent(11, 10, options, seed: 5);
        using var c = new DdpgAgent(11, 10, options, seed: 6);
        var ta = a.Tensors();
        foreach (var (key, t) in b.Tensors()) Assert.True(t.allclose(ta[key], 0, 0), key);
        Assert.False(c.Tensors()["actor.fc1.weight"].allclose(ta["actor.fc1.weight"]));
        // PyTorch's default bounds, and really random: fc1 has fan-in 11.
        var w = ta["actor.fc1.weight"];
        Assert.True(w.abs().max().item<float>() <= 1 / Math.Sqrt(11) + 1e-6);
        Assert.True(w.std().item<float>() > 0.1);
        Assert.True(ta["actor_target.fc1.weight"].allclose(w, 0, 0));
    }

    /// <summary>The same 40 random transitions (5-value states) in each agent's replay.</summary>
    static void FillReplays(params DdpgAgent[] agents)
    {
        var data = new Random(3);
        float[] State() => Enumerable.Range(0, 5).Select(_ => (float)data.NextDouble()).ToArray();
        foreach (var i in Enumerable.Range(0, 40))
        {
            var t = new Transition(State(), (float)data.NextDouble(), -0.3f, State(), i % 4 == 3);
            foreach (var agent in agents) agent.Replay.Add(t);
        }
    }

    [Fact]
    public void Td3_holds_the_actor_between_delayed_steps_and_smooths_the_target_action()
    {
        var plain = new DdpgOptions { Hidden = 16, BatchSize = 8 };
        var td3 = plain.WithTd3();
        using var a = new DdpgAgent(5, 40, td3, seed: 5);
        using var b = new DdpgAgent(5, 40, plain with { TwinCritics = true }, seed: 5);
        FillReplays(a, b);
        var probe = Enumerable.Repeat(0.5f, 5).ToArray();
        double before = a.Act(probe);
        var held = a.Update(new SearchRandom(9), moveActor: false);
        Assert.Equal(before, a.Act(probe));
        Assert.True(a.Tensors()["actor_target.fc1.weight"].allclose(b.Tensors()["actor_target.fc1.weight"], 0, 0));
        // Same minibatch and critics as the twin-critic agent's first step: only the target action's noise differs.
        var twin = b.Update(new SearchRandom(9));
        Assert.Equal(twin.MeanQ, held.MeanQ, 6);
        Assert.NotEqual(twin.MeanTarget, held.MeanTarget, 6);
        a.Update(new SearchRandom(10), moveActor: true);
        Assert.NotEqual(before, a.Act(probe));

        var json = System.Text.Json.JsonSerializer.Serialize(td3);
        Assert.Contains("\"ActorDelay\":2", json);
        Assert.DoesNotContain("ActorDelay", System.Text.Json.JsonSerializer.Serialize(plain));
        Assert.Contains("actor and targets every 2 steps", Amc.Sessions.SearchFinish.AgentLine(new SearchOptions { Ddpg = td3 }));
    }

    [Fact]
    public void Twin_critics_fit_the_smaller_target_and_leave_the_single_critic_search_as_it_was()
    {
        var single = new DdpgOptions { Hidden = 16, BatchSize = 8 };
        var twin = single with { TwinCritics = true };
        using var a = new DdpgAgent(5, 40, single, seed: 5);
        using var b = new DdpgAgent(5, 40, twin, seed: 5);
        // The second critic is drawn after the others, so actor and first critic start the same.
        var ta = a.Tensors();
        foreach (var (key, t) in ta) Assert.True(t.allclose(b.Tensors()[key], 0, 0), key);
        Assert.Contains("critic2_target.fc3.weight", b.Tensors().Keys);

        FillReplays(a, b);
        // Same minibatch, same first critic: the target with min(Q1', Q2') is at most the single one, and below it
        // wherever the second target critic is the lower.
        var sa = a.Update(new SearchRandom(9));
        var sb = b.Update(new SearchRandom(9));
        Assert.Equal(sa.MeanQ, sb.MeanQ, 6);
        Assert.True(sb.MeanTarget < sa.MeanTarget - 1e-4, $"{sb.MeanTarget} vs {sa.MeanTarget}");

        // Off, the option is not in the settings' JSON, so earlier searches keep their fingerprint.
        Assert.DoesNotContain("TwinCritics", System.Text.Json.JsonSerializer.Serialize(single));
        Assert.Contains("\"TwinCritics\":true", System.Text.Json.JsonSerializer.Serialize(twin));
        // And summary.md says which DDPG ran.
        Assert.Contains("twin critics", Amc.Sessions.SearchFinish.AgentLine(new SearchOptions { Ddpg = twin }));
        Assert.DoesNotContain("twin", Amc.Sessions.SearchFinish.AgentLine(new SearchOptions { Ddpg = single }));
    }
}
