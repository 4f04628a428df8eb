using System.Runtime.CompilerServices;
using Amc.Search;
using Amc.Tests.Data;

namespace Amc.Tests.Search;

/// <summary>
/// The search's episode log pinned to files written by an earlier version of the search loop:
/// any change to the loop that should not change the search (a refactor, one rollout per round)
/// must reproduce them line by line. Only the wall-clock fields are ignored. Set
/// AMC_WRITE_GOLDEN=1 to write the files again, and only when the search is MEANT to change.
/// </summary>
[Collection(SerialSearchCollection.Name)]
public class SearchGoldenTests
{
    static SearchOptions Options(AgentKind agent, ReplayedAction replayed = ReplayedAction.Raw) => new()
    {
        Episodes = 12, Seed = 5, Target = 0.6, Agent = agent,
        Ddpg = new DdpgOptions { WarmupEpisodes = 4, BatchSize = 8, Hidden = 32, ReplayedAction = replayed },
    };

    sealed class Interrupt : Exception;

    [Fact]
    public void Ddpg_search_reproduces_the_golden_log()
    {
        using var setup = new TinySearchSetup();
        using var dir = new TempFolder();
        var runner = setup.Runner(Options(AgentKind.Ddpg), dir.Folder("ddpg"));
        runner.Run(resume: false);
        AssertGolden("episodes-ddpg.jsonl", runner.LogPath);
    }

    [Fact]
    public void Ddpg_search_replaying_realised_keep_ratios_reproduces_the_golden_log()
    {
        using var setup = new TinySearchSetup();
        using var dir = new TempFolder();
        var runner = setup.Runner(Options(AgentKind.Ddpg, ReplayedAction.Realised), dir.Folder("ddpg-realised"));
        runner.Run(resume: false);
        AssertGolden("episodes-ddpg-realised.jsonl", runner.LogPath);
    }

    [Fact]
    public void Random_search_reproduces_the_golden_log()
    {
        using var setup = new TinySearchSetup();
        using var dir = new TempFolder();
        var runner = setup.Runner(Options(AgentKind.Random), dir.Folder("random"));
        runner.Run(resume: false);
        AssertGolden("episodes-random.jsonl", runner.LogPath);
    }

    [Fact]
    public void Resumed_ddpg_search_reproduces_the_golden_log()
    {
        using var setup = new TinySearchSetup();
        using var dir = new TempFolder();
        var outDir = dir.Folder("resumed");
        // Stopped after episode 6 (inside the learning phase), then resumed to the end.
        Assert.Throws<Interrupt>(() => setup.Runner(Options(AgentKind.Ddpg), outDir).Run(false, p => { if (p.Episode == 6) throw new Interrupt(); }));
        var runner = setup.Runner(Options(AgentKind.Ddpg), outDir);
        runner.Run(resume: true);
        AssertGolden("episodes-ddpg.jsonl", runner.LogPath);
    }

    static void AssertGolden(string name, string logPath, [CallerFilePath] string source = "")
    {
        var actual = File.ReadAllLines(logPath);
        if (Environment.GetEnvironmentVariable("AMC_WRITE_GOLDEN") == "1")
            File.WriteAllLines(Path.Combine(Path.GetDirectoryName(source)!, "golden", name), actual);
        var expected = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Search", "golden", name));
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(WithoutTimes(expected[i]), WithoutTimes(actual[i]));
    }

    /// <summary>A log line without its wall-clock fields.</summary>
    public static string WithoutTimes(string jsonLine)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(jsonLine)!.AsObject();
        node.Remove("seconds");
        node.Remove("times");
        node.Remove("agentSeconds");
        return node.ToJsonString();
    }
}
