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
            AssertSame(Parse(WithoutTimes(expected[i])), Parse(WithoutTimes(actual[i])), $"{name} line {i + 1}");
    }

    static System.Text.Json.Nodes.JsonNode? Parse(string line) => System.Text.Json.Nodes.JsonNode.Parse(line);

    /// <summary>
    /// Equal JSON, except that fractional numbers may differ in their last digits: libtorch's
    /// kernels round differently on other CPUs (the logs were written on an Intel Xeon; an AMD EPYC
    /// gives a critic loss 2e-7 apart). Integers (channels, MACs, episodes) and strings must match exactly.
    /// </summary>
    static void AssertSame(System.Text.Json.Nodes.JsonNode? expected, System.Text.Json.Nodes.JsonNode? actual, string where)
    {
        switch (expected)
        {
            case System.Text.Json.Nodes.JsonObject e:
                var a = Assert.IsType<System.Text.Json.Nodes.JsonObject>(actual);
                Assert.Equal(e.Select(p => p.Key), a.Select(p => p.Key));
                foreach (var (key, value) in e) AssertSame(value, a[key], $"{where}, {key}");
                break;
            case System.Text.Json.Nodes.JsonArray e:
                var arr = Assert.IsType<System.Text.Json.Nodes.JsonArray>(actual);
                Assert.Equal(e.Count, arr.Count);
                for (int i = 0; i < e.Count; i++) AssertSame(e[i], arr[i], $"{where}[{i}]");
                break;
            case System.Text.Json.Nodes.JsonValue e when e.GetValueKind() == System.Text.Json.JsonValueKind.Number:
                var v = Assert.IsAssignableFrom<System.Text.Json.Nodes.JsonValue>(actual);
                if (e.TryGetValue<long>(out long whole) && v.TryGetValue<long>(out long other)) { Assert.True(whole == other, $"{where}: {whole} != {other}"); break; }
                double x = e.GetValue<double>(), y = v.GetValue<double>();
                Assert.True(Math.Abs(x - y) <= 1e-6 * Math.Max(1, Math.Max(Math.Abs(x), Math.Abs(y))), $"{where}: {x:R} != {y:R}");
                break;
            default:
                Assert.Equal(expected?.ToJsonString(), actual?.ToJsonString());
                break;
        }
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
