using System.Text.Json;
using Amc.Graph;
using Amc.Pruning;
using Amc.Reports;
using Amc.Search;
using Amc.Sessions;
using Amc.Tests.Cli;

namespace Amc.Tests.Sessions;

/// <summary>The search and prune sessions called as a library user calls them, without the CLI.</summary>
[Collection(TrainedModelCollection.Name)]
public class SessionTests(TrainedModel model)
{
    SearchSettings Tiny(string outDir) => new()
    {
        Checkpoint = model.Checkpoint, OutputFolder = outDir, Data = new DataSettings(model.Data, HeldOut: 10),
        Search = new SearchOptions { Episodes = 3, Seed = 1, Ddpg = new DdpgOptions { WarmupEpisodes = 2 } },
        Calibration = new CalibrationSettings(Images: 40, BatchNormImages: 20),
    };

    [Fact]
    public void A_search_returns_typed_rows_writes_its_files_and_its_policy_prunes_to_the_searched_network()
    {
        string outDir = model.NewPath("search");
        var seen = new List<int>();
        var result = SearchSession.Run(Tiny(outDir), p => seen.Add(p.Episode));

        Assert.Equal([0, 1, 2], seen);
        Assert.Equal([PolicyKind.Original, PolicyKind.Baseline, PolicyKind.Baseline, PolicyKind.Baseline, PolicyKind.Search], result.Results.Select(r => r.Kind));
        Assert.Equal(Baselines.Names, result.Results.Where(r => r.Kind == PolicyKind.Baseline).Select(r => r.Name));
        Assert.Equal("uniform", result.Baseline("uniform")!.Name);
        Assert.StartsWith("AMC (DDPG), best of 3", result.Searched.Name);
        Assert.Equal(result.Best.Macs, result.Searched.Macs);
        Assert.True(result.Searched.MacsFraction <= 0.5 + 1e-9);
        // Tested in ONNX Runtime, the images streamed (the search scored in it): as training reported.
        Assert.Equal(model.TestTop1, result.Original.TestTop1!.Value, 6);
        foreach (var file in SearchSession.Files.Where(f => f != "ddpg.png"))
            Assert.True(File.Exists(Path.Combine(outDir, file)), file);
        var saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json"))).RootElement;
        Assert.Equal(result.Results.Select(r => r.Kind.ToString()), saved.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("kind").GetString()));
        Assert.Equal(result.Policy.ToJson(), PruningPolicy.Load(Path.Combine(outDir, "best-policy.json")).ToJson());

        var pruned = PruneSession.Run(new PruneSettings
        {
            Checkpoint = model.Checkpoint, Policy = result.Policy, Data = new DataSettings(model.Data, HeldOut: 10),
            Calibration = new CalibrationSettings(Images: 40, BatchNormImages: 20),
        });
        Assert.Equal(result.Searched.Macs, pruned.After.Macs);
        Assert.Equal(result.Searched.Macs, CostModel.Of(pruned.Pruned.Network).Macs);
        Assert.Equal(model.Checkpoint, pruned.Pruned.Info.Parent);
        Assert.Equal(Amc.Torch.Checkpoint.Load(model.Checkpoint).Info.HeldOut, pruned.Pruned.Info.HeldOut);
        Assert.Null(pruned.HeldOutWarning);
        // The fixture held out 20 images; a held-out split of 50 reaches 30 it trained on.
        var wider = PruneSession.Run(new PruneSettings
        {
            Checkpoint = model.Checkpoint, Policy = result.Policy, Data = new DataSettings(model.Data, HeldOut: 50),
            Calibration = new CalibrationSettings(Images: 40, BatchNormImages: 20),
        });
        Assert.StartsWith("30 of the 50 held-out images trained this checkpoint", wider.HeldOutWarning);

        // The folder now holds a search: a new one is refused, a resume of it is not (and runs no more episodes).
        var again = Assert.Throws<SettingsException>(() => SearchSession.Open(Tiny(outDir)));
        Assert.Contains("already holds a search", again.Message);
        using (var resumed = SearchSession.Open(Tiny(outDir) with { Resume = true }))
            resumed.Search(p => Assert.Fail($"episode {p.Episode} ran again"));
        Assert.Equal(3, File.ReadAllLines(Path.Combine(outDir, SearchSession.LogFile)).Length);
    }

    [Fact]
    public void Training_records_the_images_it_held_out_and_a_fine_tune_keeps_them_on_the_same_data_only()
    {
        var trained = Amc.Torch.Checkpoint.Load(model.Checkpoint).Info.HeldOut;
        // The fixture trains on 200 images with the default split: 20 held out, split seed 2018.
        Assert.Equal(new Amc.Data.HeldOutImages(200, 2018, 20, Amc.Data.HeldOutSplit.Create(200, 2018).Hash), trained);

        Amc.Data.HeldOutImages? FineTuned(string data)
        {
            string outPath = model.NewPath("ft.amc");
            TrainSession.Run(new TrainSettings
            {
                Out = outPath, Checkpoint = model.Checkpoint, Data = new DataSettings(data, HeldOut: 30), TrainImages = 20,
                Training = new Amc.Training.TrainOptions { Epochs = 1, Seed = 1 }, BatchNormImages = 10,
            });
            return Amc.Torch.Checkpoint.Load(outPath).Info.HeldOut;
        }
        Assert.Equal(trained, FineTuned(model.Data));
        Assert.Null(FineTuned(TinyIdxData.Write(model.NewPath("other-data"), train: 300)));
    }

    [Fact]
    public void Resuming_a_folder_without_a_search_is_refused()
    {
        var e = Assert.Throws<SettingsException>(() => SearchSession.Open(Tiny(model.NewPath("none")) with { Resume = true }));
        Assert.Contains("--resume: no search state", e.Message);
    }

    [Fact]
    public void A_held_out_split_larger_than_the_training_set_is_refused()
    {
        var settings = Tiny(model.NewPath("s"));
        var e = Assert.Throws<SettingsException>(() => SearchSession.Open(settings with { Data = settings.Data with { HeldOut = 10_000 } }));
        Assert.Contains("--heldout must be between 1 and 199", e.Message);
    }

    [Fact]
    public void A_search_saved_before_sessions_existed_has_the_same_fingerprint()
    {
        // From search-config.json of `amc search --checkpoint bench/models/resnet20-fmnist.amc
        // --data fashion-mnist-subset --episodes 2 --warmup 1` run by the CLI of commit ef56c25, which
        // computed the fingerprint itself: a session must accept that search's --resume.
        using var temp = new Amc.Tests.Data.TempFolder();
        string path = temp.File("base.amc");
        using (var shipped = typeof(Amc.Cli.Commands.DemoCommand).Assembly.GetManifestResourceStream("base-resnet20-fmnist.amc")!)
        using (var file = File.Create(path))
            shipped.CopyTo(file);
        var data = OpenedData.OpenFor(new DataSettings("fashion-mnist-subset"), Amc.Torch.Checkpoint.Load(path));
        var options = new SearchOptions { Episodes = 2, Ddpg = new DdpgOptions { WarmupEpisodes = 1 } };
        Assert.Equal("783D0D4B56FF6063", SearchFingerprint.Of(path, options, new PruneOptions(), data, ScoringEngine.OnnxRuntime, null));
        Assert.NotEqual("783D0D4B56FF6063", SearchFingerprint.Of(path, options, new PruneOptions(), data, ScoringEngine.Torch, null));
    }

    [Theory]
    [InlineData(0.5, null)]
    [InlineData(null, null)]
    public void A_prune_needs_exactly_one_target(double? uniform, double? sparsity)
    {
        var settings = new PruneSettings { Checkpoint = model.Checkpoint, Uniform = uniform, Sparsity = sparsity, PolicyFile = uniform is null ? null : "p.json" };
        var e = Assert.Throws<SettingsException>(() => PruneSession.Run(settings));
        Assert.Contains("exactly one", e.Message);
    }
}
