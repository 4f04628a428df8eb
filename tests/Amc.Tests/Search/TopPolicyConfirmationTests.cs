using Amc.Data;
using Amc.Tests.Data;
using Amc.Pruning;
using Amc.Search;
using Amc.Training;

namespace Amc.Tests.Search;

public class TopPolicyConfirmationTests
{
    [Fact]
    public void The_best_of_the_top_k_on_the_new_images_wins_and_each_policy_is_scored_once()
    {
        using var tiny = new TinySearchSetup();
        using var folder = new TempFolder();
        var options = new SearchOptions { Episodes = 12, Seed = 3, Agent = AgentKind.Random };
        var runner = tiny.Runner(options, folder.Path);
        runner.Run(resume: false);
        var episodes = SearchRunner.ReadLog(runner.LogPath);
        var env = new PruningEnvironment(tiny.Network, tiny.Pruner.Graph, options, 2);
        var fresh = TinySearchSetup.Synthetic(tiny.Network.Input, 120, seed: 99);
        using var batches = new TensorBatches(fresh, Enumerable.Range(0, 120).ToArray(), 40);
        var confirm = new TorchCandidateScorer(new CandidateBuilder(tiny.Pruner, new PruneOptions(Round: 2, Seed: 3)), batches);

        var (best, scored) = TopPolicyConfirmation.Choose(episodes, env, confirm, 4);

        int distinct = episodes.Select(e => string.Join(',', e.Channels)).Distinct().Count();
        Assert.Equal(Math.Min(4, distinct), scored.Count);
        Assert.Equal(scored.Select(s => s.Episode).Distinct().Count(), scored.Count);
        // The candidates are the highest rewards of the log, in order.
        Assert.Equal(scored.Select(s => s.Reward).OrderByDescending(r => r), scored.Select(s => s.Reward));
        var policies = scored.Select(s => string.Join(',', episodes.Single(e => e.Episode == s.Episode).Channels)).ToHashSet();
        Assert.All(episodes.Where(e => !policies.Contains(string.Join(',', e.Channels))), e => Assert.True(e.Reward <= scored[^1].Reward));
        // The winner is the one the new images score best (the first such on a tie).
        var winner = scored.First(s => s.Confirm == scored.Max(c => c.Confirm));
        Assert.Equal(winner.Episode, best.Episode);
        var record = episodes.Single(e => e.Episode == best.Episode);
        Assert.Equal(record.Top1, best.Top1);
        Assert.Equal(record.Channels, best.Widths.StepWidths(env.Steps));
        Assert.Equal(confirm.Score(best.Widths).HeldOut.Top1, winner.Confirm);
    }
}
