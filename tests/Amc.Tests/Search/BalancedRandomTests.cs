using Amc.Search;
using Amc.Tests.Data;

namespace Amc.Tests.Search;

[Collection(SerialSearchCollection.Name)]
public class BalancedRandomTests
{
    [Fact]
    public void Balanced_random_actions_stay_below_twice_the_uniform_keep_ratio()
    {
        using var tiny = new TinySearchSetup();
        using var folder = new TempFolder();
        var plain = new SearchOptions { Episodes = 12, Seed = 3, Target = 0.3, Agent = AgentKind.Random };
        var balanced = plain with { BalancedRandom = true };
        var env = new PruningEnvironment(tiny.Network, tiny.Pruner.Graph, plain, 2);
        var uniform = Baselines.Policy("uniform", env, plain);
        double high = 2 * env.Steps.Average(g => (double)uniform.Width(g.Id) / g.Channels) - plain.LowerBound;
        Assert.InRange(high, plain.LowerBound, plain.UpperBound - 0.1);

        double[] Actions(SearchOptions options, string name)
        {
            var runner = tiny.Runner(options, folder.Folder(name));
            runner.Run(resume: false);
            return SearchRunner.ReadLog(runner.LogPath).SelectMany(e => e.RawActions).ToArray();
        }
        Assert.All(Actions(balanced, "balanced"), a => Assert.InRange(a, plain.LowerBound, high + 1e-9));
        Assert.Contains(Actions(plain, "plain"), a => a > high);
        Assert.Contains("centred on the uniform", Amc.Sessions.SearchFinish.AgentLine(balanced with { Agent = AgentKind.Ddpg }));
    }

    [Fact]
    public void Balanced_random_actions_need_a_budget()
    {
        using var tiny = new TinySearchSetup();
        using var folder = new TempFolder();
        var e = Assert.Throws<ArgumentException>(() => tiny.Runner(new SearchOptions { Mode = SearchMode.Accuracy, BalancedRandom = true }, folder.Path));
        Assert.Contains("resource mode", e.Message);
    }
}
