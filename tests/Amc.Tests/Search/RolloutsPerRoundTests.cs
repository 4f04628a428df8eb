using System.Text.Json;
using Amc.Pruning;
using Amc.Search;
using Amc.Tests.Data;

namespace Amc.Tests.Search;

/// <summary>
/// Rounds of K rollouts: proposed in episode order from one agent and one random stream, scored
/// together, learned from in episode order, saved per round. The K = 1 search is pinned by the
/// golden logs (<see cref="SearchGoldenTests"/>), which these compare against.
/// </summary>
[Collection(SerialSearchCollection.Name)]
public class RolloutsPerRoundTests
{
    /// <summary>The golden tests' search (12 episodes, 4 warm-up), with K rollouts per round.</summary>
    static SearchOptions Options(AgentKind agent, int k, int episodes = 12) => new()
    {
        Episodes = episodes, Seed = 5, Target = 0.6, Agent = agent, RolloutsPerRound = k,
        Ddpg = new DdpgOptions { WarmupEpisodes = 4, BatchSize = 8, Hidden = 32 },
    };

    static string[] Log(string path) => File.ReadAllLines(path).Select(SearchGoldenTests.WithoutTimes).ToArray();

    static string[] Golden(string name) => Log(Path.Combine(AppContext.BaseDirectory, "Search", "golden", name));

    static EpisodeRecord Record(string line) => JsonSerializer.Deserialize<EpisodeRecord>(line, SearchRunner.LogJson)!;

    [Fact]
    public void Two_rollouts_per_round_repeat_and_differ_from_one_only_after_the_first_learning_round()
    {
        using var setup = new TinySearchSetup();
        using var dir = new TempFolder();
        var a = setup.Runner(Options(AgentKind.Ddpg, 2), dir.Folder("a"));
        var b = setup.Runner(Options(AgentKind.Ddpg, 2), dir.Folder("b"));
        a.Run(false);
        b.Run(false);
        var log = Log(a.LogPath);
        Assert.Equal(log, Log(b.LogPath));

        // Warm-up draws nothing when it learns: episodes 0-3 are the K = 1 search's. The first
        // learning round is proposed from the same weights and stream position, so episode 4's
        // policy and score are too; its updates sample replay after episode 5's noise was drawn.
        var golden = Golden("episodes-ddpg.jsonl");
        Assert.Equal(golden.Length, log.Length);
        Assert.Equal(golden[..4], log[..4]);
        var (k1, k2) = (Record(golden[4]), Record(log[4]));
        Assert.Equal(k1.RawActions, k2.RawActions);
        Assert.Equal((k1.Top1, k1.Reward), (k2.Top1, k2.Reward));
        Assert.NotNull(k2.CriticLoss);
        // Episode 5 was proposed before the agent learned from episode 4: another policy.
        var (one, two) = (Record(golden[5]), Record(log[5]));
        Assert.Equal(("explore", one.Sigma), (two.Phase, two.Sigma));
        Assert.NotEqual(one.RawActions, two.RawActions);
        Assert.Equal(Enumerable.Range(0, 12), log.Select(l => Record(l).Episode));
    }

    [Fact]
    public void A_random_search_is_the_same_whatever_the_rollouts_per_round()
    {
        // Random rollouts draw from the one stream in episode order and learn nothing.
        using var setup = new TinySearchSetup();
        using var dir = new TempFolder();
        var runner = setup.Runner(Options(AgentKind.Random, 5), dir.Folder("k5"));
        runner.Run(false);
        Assert.Equal(Golden("episodes-random.jsonl"), Log(runner.LogPath));
    }

    sealed class Interrupt : Exception;

    [Fact]
    public void A_search_stopped_after_a_round_resumes_exactly()
    {
        using var setup = new TinySearchSetup();
        using var dir = new TempFolder();
        var whole = setup.Runner(Options(AgentKind.Ddpg, 2, episodes: 10), dir.Folder("whole"));
        var wholeBest = whole.Run(false);

        var stopped = dir.Folder("stopped");
        // Stopped once the round of episodes 4 and 5 is saved, after the first learning round.
        Assert.Throws<Interrupt>(() => setup.Runner(Options(AgentKind.Ddpg, 2, episodes: 10), stopped).Run(false, p => { if (p.Episode == 5) throw new Interrupt(); }));
        Assert.Equal(6, File.ReadAllLines(Path.Combine(stopped, "episodes.jsonl")).Length);
        var resumed = setup.Runner(Options(AgentKind.Ddpg, 2, episodes: 10), stopped);
        var resumedBest = resumed.Run(true);

        Assert.Equal(Log(whole.LogPath), Log(resumed.LogPath));
        Assert.Equal(wholeBest, resumedBest);
    }

    [Fact]
    public void Concurrent_onnx_runtime_scoring_gives_the_scores_of_one_at_a_time()
    {
        using var setup = new TinySearchSetup();
        using var dir = new TempFolder();
        SearchRunner Runner(int k, string name)
        {
            var options = Options(AgentKind.Random, k, episodes: 6);
            var env = new PruningEnvironment(setup.Network, setup.Pruner.Graph, options, 2);
            var scorer = new OnnxCandidateScorer(new CandidateBuilder(setup.Pruner, new PruneOptions(Round: 2, Seed: options.Seed)), setup.HeldOut);
            return new SearchRunner(env, scorer, options, dir.Folder(name), "test-fingerprint");
        }
        var one = Runner(1, "one");
        var three = Runner(3, "three");
        one.Run(false);
        three.Run(false);
        Assert.Equal(Log(one.LogPath), Log(three.LogPath));
    }

    [Fact]
    public void K_is_in_the_settings_json_only_when_it_is_not_one()
    {
        // The resume fingerprint hashes these settings: a search saved before K existed still resumes.
        string one = JsonSerializer.Serialize(new SearchOptions());
        Assert.DoesNotContain("RolloutsPerRound", one);
        Assert.Equal(one, JsonSerializer.Serialize(new SearchOptions { RolloutsPerRound = 1 }));
        Assert.Contains("\"RolloutsPerRound\":4", JsonSerializer.Serialize(new SearchOptions { RolloutsPerRound = 4 }));
    }

    [Fact]
    public void Zero_rollouts_per_round_is_refused()
    {
        using var setup = new TinySearchSetup();
        using var dir = new TempFolder();
        Assert.Throws<ArgumentException>(() => setup.Runner(Options(AgentKind.Ddpg, 0), dir.Folder("zero")));
    }
}
