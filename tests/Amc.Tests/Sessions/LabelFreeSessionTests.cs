using System.Text.Json;
using Amc.Onnx;
using Amc.Pruning;
using Amc.Reports;
using Amc.Search;
using Amc.Sessions;
using Amc.Tests.Cli;
using Amc.Torch;
using Amc.Training;

namespace Amc.Tests.Sessions;

/// <summary>Searches scored against the unpruned network (agreement, fidelity), as a library user runs them.</summary>
[Collection(TrainedModelCollection.Name)]
public class LabelFreeSessionTests(TrainedModel model)
{
    SearchSettings Tiny(string outDir, RewardKind reward, ScoringEngine engine) => new()
    {
        Checkpoint = model.Checkpoint, OutputFolder = outDir, Data = new DataSettings(model.Data, HeldOut: 10), Engine = engine,
        Search = new SearchOptions { Episodes = 3, Seed = 1, Reward = reward, Ddpg = new DdpgOptions { WarmupEpisodes = 2 } },
        Calibration = new CalibrationSettings(Images: 40, BatchNormImages: 20),
    };

    [Theory]
    [InlineData(ScoringEngine.OnnxRuntime)]
    [InlineData(ScoringEngine.Torch)]
    public void The_unpruned_network_agrees_with_itself_on_the_scoring_images(ScoringEngine engine)
    {
        var ck = Checkpoint.Load(model.Checkpoint);
        var data = OpenedData.OpenFor(new DataSettings(model.Data, HeldOut: 10), ck);
        using var scoring = new SearchScoring(ck, data, new CalibrationSettings(Images: 40, BatchNormImages: 20), new PruneOptions(), engine, RewardKind.Agreement);
        Assert.NotNull(scoring.HeldOut.Reference);
        var e = engine == ScoringEngine.OnnxRuntime
            ? new OnnxEvaluator(scoring.HeldOut).Evaluate(ck.Network, ck.Weights, TorchSharp.torch.get_num_threads())
            : Evaluator.Evaluate(ck.ToModule(), scoring.HeldOut);
        Assert.Equal(1, e.Agreement);
        Assert.Equal(0, e.RelativeError);
        // Under accuracy the images carry no reference: nothing is computed that the reward does not use.
        using var accuracy = new SearchScoring(ck, data, new CalibrationSettings(Images: 40, BatchNormImages: 20), new PruneOptions(), engine);
        Assert.Null(accuracy.HeldOut.Reference);
    }

    [Fact]
    public void A_fidelity_search_reports_relative_errors_with_the_original_at_zero()
    {
        string outDir = model.NewPath("fidelity");
        var result = SearchSession.Run(Tiny(outDir, RewardKind.Fidelity, ScoringEngine.Torch));
        Assert.Equal("relative error", result.Metric);
        Assert.Equal(0, result.Original.HeldOut);
        Assert.Equal(0, result.Original.TestRelativeError);
        Assert.Equal(1, result.Original.TestAgreement);
        Assert.Equal(model.TestTop1, result.Original.TestTop1!.Value, 6);
        Assert.All(result.Results.Where(r => r.Kind != PolicyKind.Original), r => Assert.InRange(r.HeldOut, 1e-6, 10));
        Assert.Equal(result.Best.RelativeError, result.Searched.HeldOut);
        var episodes = File.ReadAllLines(Path.Combine(outDir, SearchSession.LogFile)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(episodes, e => Assert.True(e.TryGetProperty("relativeError", out _)));
        var saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json"))).RootElement;
        Assert.Equal("relative error", saved.GetProperty("metric").GetString());
        Assert.Contains("held-out relative error", File.ReadAllText(Path.Combine(outDir, "summary.md")));
        Assert.Contains("\"reward\": \"Fidelity\"", File.ReadAllText(Path.Combine(outDir, SearchSession.ConfigFile)));
    }

    [Fact]
    public void The_reward_kind_changes_the_fingerprint_and_an_accuracy_log_holds_no_reference_fields()
    {
        string outDir = model.NewPath("accuracy");
        var accuracy = SearchSession.Run(Tiny(outDir, RewardKind.Accuracy, ScoringEngine.OnnxRuntime) with { ConfirmTop = 0, Baselines = false });
        Assert.Equal("top-1", accuracy.Metric);
        Assert.Null(accuracy.Original.TestAgreement);
        Assert.DoesNotContain("agreement", File.ReadAllText(Path.Combine(outDir, SearchSession.LogFile)));
        var e = Assert.Throws<CheckpointException>(() =>
        {
            using var resumed = SearchSession.Open(Tiny(outDir, RewardKind.Agreement, ScoringEngine.OnnxRuntime) with { Resume = true });
            resumed.Search();
        });
        Assert.Contains("other settings", e.Message);
    }

    [Fact]
    public void Top5_with_an_agreement_reward_is_refused()
    {
        var settings = Tiny(model.NewPath("t5"), RewardKind.Agreement, ScoringEngine.OnnxRuntime);
        var e = Assert.Throws<SettingsException>(() => SearchSession.Open(settings with { Search = settings.Search with { TopFive = true } }));
        Assert.Contains("--top5 is for --reward accuracy", e.Message);
    }
}
