using Amc.Search;
using Amc.Tests.Data;

namespace Amc.Tests.Search;

public class SearchResumeTests
{
    static SearchOptions Options(int seed = 3, bool twinCritics = false, bool td3 = false)
    {
        var ddpg = new DdpgOptions { WarmupEpisodes = 3, BatchSize = 8, Hidden = 32, TwinCritics = twinCritics };
        return new() { Episodes = 8, Seed = seed, Target = 0.6, Ddpg = td3 ? ddpg.WithTd3() : ddpg };
    }

    sealed class Interrupt : Exception;

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)] // the second critic, its target and its optimizer moments are in the state too
    [InlineData(false, true)] // TD3: the actor's delay counts steps within an episode, the target noise draws from the search's random stream
    public void Resume_after_a_crash_ends_with_the_same_log_and_best_policy(bool twinCritics, bool td3)
    {
        using var setup = new TinySearchSetup();
        using var dir = new TempFolder();
        SearchOptions Options() => SearchResumeTests.Options(twinCritics: twinCritics, td3: td3);
        var full = setup.Runner(Options(), dir.Folder("full")).Run(resume: false);
        var fullLog = File.ReadAllLines(dir.File("full", "episodes.jsonl"));

        var crashed = dir.Folder("crashed");
        // Crash after episode 5 was logged and saved ...
        Assert.Throws<Interrupt>(() => setup.Runner(Options(), crashed).Run(false, p => { if (p.Episode == 4) throw new Interrupt(); }));
        // ... and as if the process died while appending the next episode's line.
        File.AppendAllText(Path.Combine(crashed, "episodes.jsonl"), "{\"episode\":5,\"pha");
        var resumed = setup.Runner(Options(), crashed).Run(resume: true);

        Assert.Equal(full.Widths, resumed.Widths);
        Assert.Equal(full.Reward, resumed.Reward);
        var resumedLog = File.ReadAllLines(Path.Combine(crashed, "episodes.jsonl"));
        Assert.Equal(fullLog.Length, resumedLog.Length);
        // Same decisions and scores; only the wall-clock timings may differ.
        for (int i = 0; i < fullLog.Length; i++)
            Assert.Equal(Strip(fullLog[i]), Strip(resumedLog[i]));
    }

    [Fact]
    public void Same_seed_same_search_other_seed_other_search()
    {
        using var setup = new TinySearchSetup();
        using var dir = new TempFolder();
        setup.Runner(Options(1), dir.Folder("a")).Run(false);
        setup.Runner(Options(1), dir.Folder("b")).Run(false);
        setup.Runner(Options(2), dir.Folder("c")).Run(false);
        string Decisions(string d) => string.Join("\n", File.ReadAllLines(dir.File(d, "episodes.jsonl")).Select(Strip));
        Assert.Equal(Decisions("a"), Decisions("b"));
        Assert.NotEqual(Decisions("a"), Decisions("c"));
    }

    [Fact]
    public void Resume_refuses_a_state_from_other_settings()
    {
        using var setup = new TinySearchSetup();
        using var dir = new TempFolder();
        var outDir = dir.Folder("x");
        setup.Runner(Options() with { Episodes = 2 }, outDir).Run(false);
        var env = new PruningEnvironment(setup.Network, setup.Pruner.Graph, Options(), 2);
        var runner = new SearchRunner(env, new TorchCandidateScorer(new CandidateBuilder(setup.Pruner, new()), setup.HeldOut), Options(), outDir, "another-fingerprint");
        var e = Assert.Throws<Amc.Torch.CheckpointException>(() => runner.Run(resume: true));
        Assert.Contains("other settings", e.Message);
    }

    static string Strip(string jsonLine)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(jsonLine)!.AsObject();
        node.Remove("seconds");
        node.Remove("times");
        node.Remove("agentSeconds");
        return node.ToJsonString();
    }
}
