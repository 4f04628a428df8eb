using Amc.Graph;
using Amc.Search;

namespace Amc.Tests.Search;

public class ReplayedActionTests
{
    /// <summary>
    /// HandNet's groups have 16, 32 and 8 channels; with channels rounded up to multiples of 8 (a
    /// group of 8 or fewer is not rounded) and no budget, actions 0.3, 0.3, 0.7 become 8 of 16,
    /// 16 of 32 and 6 of 8 channels.
    /// </summary>
    [Theory]
    [InlineData(ReplayedAction.Realised, new[] { 0.5f, 0.5f, 0.75f })]
    [InlineData(ReplayedAction.Raw, new[] { 0.3f, 0.3f, 0.7f })]
    public void The_replay_keeps_the_realised_keep_ratio_or_the_raw_action(ReplayedAction kind, float[] expected)
    {
        var net = HandNet.Build();
        var options = new SearchOptions
        {
            Mode = SearchMode.Accuracy, Ddpg = new DdpgOptions { WarmupEpisodes = 10, Hidden = 8, ReplayedAction = kind },
        };
        var env = new PruningEnvironment(net, ChannelGraph.Build(net), options, round: 8);
        double[] actions = [0.3, 0.3, 0.7];
        int t = 0;
        var rollout = Rollout.Collect(0, "warmup", 0, env, _ => actions[t++]);
        Assert.Equal([8, 16, 6], rollout.Steps.Select(s => s.Result.Channels));
        using var ddpg = new DdpgAgent(StateEmbedding.Size, 30, options.Ddpg, seed: 1);
        new DdpgSearchAgent(ddpg, options, options.UpperBound).Learn([(rollout, -0.25)], new SearchRandom(1));
        var replayed = ddpg.Replay.InOrder();
        Assert.Equal(expected, replayed.Select(r => r.Action));
        Assert.All(replayed, r => Assert.Equal(-0.25f, r.Reward));
    }

    [Fact]
    public void Raw_replay_leaves_the_settings_json_as_before_the_option_existed()
    {
        string raw = System.Text.Json.JsonSerializer.Serialize(new DdpgOptions());
        string realised = System.Text.Json.JsonSerializer.Serialize(new DdpgOptions { ReplayedAction = ReplayedAction.Realised });
        Assert.DoesNotContain("ReplayedAction", raw);
        Assert.Contains("\"ReplayedAction\":\"Realised\"", realised);
    }
}
