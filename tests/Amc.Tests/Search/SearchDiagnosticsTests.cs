using System.Text.Json;
using Amc.Reports;
using Amc.Search;
using Amc.Tests.Data;

namespace Amc.Tests.Search;

public class SearchDiagnosticsTests
{
    [Fact]
    public void Ddpg_diagnostics_are_logged_for_learning_episodes_only()
    {
        using var setup = new TinySearchSetup();
        using var dir = new TempFolder();
        var options = new SearchOptions
        {
            Episodes = 6, Seed = 1, Target = 0.6,
            Ddpg = new DdpgOptions { WarmupEpisodes = 3, BatchSize = 8, Hidden = 32 },
        };
        var runner = setup.Runner(options, dir.Folder("s"));
        runner.Run(resume: false);
        var log = SearchRunner.ReadLog(runner.LogPath);

        foreach (var e in log.Take(3))
            Assert.True(e.CriticLoss is null && e.ActorLoss is null && e.MeanQ is null && e.MeanTarget is null && e.Baseline is null);
        foreach (var e in log.Skip(3))
        {
            Assert.True(e.CriticLoss >= 0);
            Assert.True(double.IsFinite(e.ActorLoss!.Value) && double.IsFinite(e.MeanQ!.Value) && double.IsFinite(e.MeanTarget!.Value));
            // The baseline moves within the rewards it averages (all in [-1, 0] here).
            Assert.InRange(e.Baseline!.Value, -1, 0);
        }
    }

    [Fact]
    public void Random_search_logs_no_ddpg_diagnostics()
    {
        using var setup = new TinySearchSetup();
        using var dir = new TempFolder();
        var runner = setup.Runner(new SearchOptions { Episodes = 2, Seed = 1, Target = 0.6, Agent = AgentKind.Random }, dir.Folder("r"));
        runner.Run(resume: false);
        Assert.All(SearchRunner.ReadLog(runner.LogPath), e => Assert.Null(e.CriticLoss));
    }

    [Fact]
    public void A_log_line_written_before_the_diagnostics_is_still_read()
    {
        const string old = """
            {"episode":4,"phase":"explore","rawActions":[0.5],"keep":[0.5],"channels":[8],"macs":100,"params":10,
             "macsFraction":0.5,"paramsFraction":0.5,"top1":0.9,"top5":1,"reward":-0.1,"sigma":0.4,"seconds":1,
             "times":{"prune":0,"leastSquares":0,"batchNorm":0,"evaluate":0},"agentSeconds":0.1,"budgetFraction":0.5}
            """;
        var e = JsonSerializer.Deserialize<EpisodeRecord>(old, SearchRunner.LogJson)!;
        Assert.Equal(4, e.Episode);
        Assert.Equal(0.9, e.Top1);
        Assert.Null(e.CriticLoss);
        Assert.Null(e.Baseline);
    }

    [Fact]
    public void Rolling_median_covers_the_window_before_each_value()
    {
        Assert.Equal([1.0, 2.0, 2.0, 3.0, 4.0], SearchPlots.RollingMedian([1, 3, 2, 4, 5], 3));
        Assert.Equal([5.0, 7.5], SearchPlots.RollingMedian([5, 10], 4));
    }

    [Fact]
    public void Ddpg_plot_is_written_only_when_the_log_has_diagnostics()
    {
        using var dir = new TempFolder();
        EpisodeRecord Record(int i, double? loss) => new(i, "explore", [0.5, 0.5], [0.5, 0.5], [4, 4], 10, 10, 0.5, 0.5, 0.8, 1, -0.2, 0.1, 1,
            new Amc.Pruning.StageTimes(0, 0, 0, 0), 0, 0.5, 0, loss, loss is null ? null : -0.1, loss is null ? null : 0.1, loss is null ? null : 0.05, loss is null ? null : -0.2);
        var without = new[] { Record(0, null), Record(1, null) };
        Assert.False(SearchPlots.Ddpg(without, dir.File("a.png")));
        Assert.False(File.Exists(dir.File("a.png")));
        Assert.True(SearchPlots.Ddpg([Record(0, null), Record(1, 0.01), Record(2, 0.02)], dir.File("b.png")));
        Assert.True(new FileInfo(dir.File("b.png")).Length > 1000);
        SearchPlots.Actions(without, ["g0", "g1"], dir.File("c.png"));
        Assert.True(new FileInfo(dir.File("c.png")).Length > 1000);
    }
}

public class NoiseScheduleTests
{
    [Fact]
    public void Default_sigma_falls_from_initial_to_final_over_the_learning_episodes()
    {
        var o = new DdpgOptions { WarmupEpisodes = 100 };
        Assert.Equal(0, o.Sigma(99, 300));
        Assert.Equal(0.5, o.Sigma(100, 300), 12);
        Assert.Equal(0.05, o.Sigma(299, 300), 12);
        // Exponential: equal ratios per episode.
        Assert.Equal(o.Sigma(150, 300) / o.Sigma(149, 300), o.Sigma(250, 300) / o.Sigma(249, 300), 12);
        // Longer searches decay more slowly and end at the same sigma.
        Assert.True(o.Decay(400) > o.Decay(300));
        Assert.Equal(0.05, o.Sigma(399, 400), 12);
        Assert.Equal(0.1, (o with { FinalSigma = 0.1 }).Sigma(299, 300), 12);
    }

    [Fact]
    public void A_given_decay_is_the_official_codes_schedule()
    {
        var o = new DdpgOptions { WarmupEpisodes = 100, SigmaDecay = 0.95 };
        Assert.Equal(0.5 * Math.Pow(0.95, 100), o.Sigma(200, 300), 12);
        Assert.True(o.Sigma(299, 300) < 1e-4);
    }

    [Fact]
    public void One_learning_episode_keeps_the_initial_sigma()
    {
        var o = new DdpgOptions { WarmupEpisodes = 4 };
        Assert.Equal(0.5, o.Sigma(4, 5), 12);
    }
}

public class SearchOptionsJsonTests
{
    [Fact]
    public void Old_ddpg_settings_serialize_as_before_the_new_options_so_their_saved_searches_resume()
    {
        // The settings fingerprint hashes this JSON; before these options it had SigmaDecay 0.95,
        // ActorLearningRate 1e-4 and no FinalSigma.
        string json = System.Text.Json.JsonSerializer.Serialize(new DdpgOptions { SigmaDecay = 0.95, ActorLearningRate = 1e-4 });
        Assert.DoesNotContain("FinalSigma", json);
        Assert.Contains("\"SigmaDecay\":0.95", json);
        Assert.Contains("\"ActorLearningRate\":0.0001", json);
    }

    [Fact]
    public void Defaults_are_the_slower_noise_and_the_smaller_actor_learning_rate()
    {
        var o = new DdpgOptions();
        Assert.Null(o.SigmaDecay);
        Assert.Equal(1e-5, o.ActorLearningRate);
        Assert.Equal(1e-3, o.CriticLearningRate);
    }
}
