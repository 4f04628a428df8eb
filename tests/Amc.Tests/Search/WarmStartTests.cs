using Amc.Search;
using Amc.Tests.Data;

namespace Amc.Tests.Search;

[Collection(SerialSearchCollection.Name)]
public class WarmStartTests
{
    [Fact]
    public void A_warm_started_search_begins_with_the_hand_crafted_policies_then_explores()
    {
        using var tiny = new TinySearchSetup();
        using var folder = new TempFolder();
        var options = new SearchOptions { Episodes = 6, Seed = 3, Target = 0.6, WarmStart = true, Ddpg = new DdpgOptions { WarmupEpisodes = 4, BatchSize = 8, Hidden = 16 } };
        var runner = tiny.Runner(options, folder.Path);
        runner.Run(resume: false);
        var episodes = SearchRunner.ReadLog(runner.LogPath);

        var env = new PruningEnvironment(tiny.Network, tiny.Pruner.Graph, options, 2);
        Assert.Equal(["seed", "seed", "seed", "warmup", "explore", "explore"], episodes.Select(e => e.Phase));
        for (int i = 0; i < Baselines.Names.Length; i++)
            Assert.Equal(env.ToSteps(Baselines.Policy(Baselines.Names[i], env, options)), episodes[i].Channels);
        // The rest as without the warm start: a seed is an episode like any other, never the budget's exception.
        Assert.All(episodes, e => Assert.True(e.MacsFraction <= 0.6 + 1e-9));
    }

    [Fact]
    public void A_warm_start_needs_a_budget()
    {
        using var tiny = new TinySearchSetup();
        using var folder = new TempFolder();
        var e = Assert.Throws<ArgumentException>(() => tiny.Runner(new SearchOptions { Mode = SearchMode.Accuracy, WarmStart = true }, folder.Path));
        Assert.Contains("resource mode", e.Message);
    }
}
