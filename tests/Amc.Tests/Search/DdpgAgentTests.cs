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
}
