using Amc.Data;
using Amc.Graph;
using Amc.Models;
using Amc.Pruning;
using Amc.Search;
using Amc.Tests.Data;
using Amc.Tests.Search;
using Amc.Training;
using static TorchSharp.torch;
using Amc.Onnx;
using Amc.Torch;

namespace Amc.Tests.Robustness;

/// <summary>
/// Both scoring engines (TorchSharp and ONNX Runtime) give the same top-1, top-5 and loss, on a
/// healthy network and on degenerate ones (all logits equal, NaN logits), and a search never
/// takes a network with NaN outputs for its best.
/// </summary>
public class ScoringRobustnessTests
{
    const int Classes = 10, Images = 60;

    static Network Net() => ModelZoo.Build("plain20", new ModelOptions(new TensorShape(1, 8, 8), Classes, WidthMultiplier: 0.25));

    /// <summary>Random images, labels cycling through every class (so ties at any index are exercised).</summary>
    static Dataset Data()
    {
        var rng = new Random(5);
        var pixels = new byte[Images * 64];
        rng.NextBytes(pixels);
        return new Dataset("random", pixels, Enumerable.Range(0, Images).Select(i => i % Classes).ToArray(), new TensorShape(1, 8, 8), Classes, [0.5f], [0.3f]);
    }

    static (Evaluation Torch, Evaluation Ort) BothEngines(GraphModule module)
    {
        using var batches = new TensorBatches(Data(), Enumerable.Range(0, Images).ToArray(), 25);
        var torchResult = Evaluator.Evaluate(module, batches);
        var ortResult = new OnnxEvaluator(batches).Evaluate(module.Network, module.Tensors(), threads: 1);
        return (torchResult, ortResult);
    }

    static void Set(GraphModule module, string key, Action<Tensor> change)
    {
        using var _ = no_grad();
        change(module.Tensors()[key]);
    }

    [Fact]
    public void Engines_agree_on_a_healthy_network()
    {
        using var module = TestNetworks.Randomized(Net(), seed: 11);
        var (t, o) = BothEngines(module);

        Assert.Equal(0, t.NonFinite);
        Assert.Equal(t.Top1, o.Top1);
        Assert.Equal(t.Top5, o.Top5);
        Assert.Equal(t.Loss, o.Loss, 1e-4);
        Assert.Equal(Images, o.Count);
        // Not a degenerate case in disguise: some hits, some misses.
        Assert.InRange(t.Top5, 1.0 / Images, 1 - 1.0 / Images);
    }

    [Fact]
    public void A_zeroed_classifier_ties_every_class_and_the_tie_goes_to_the_lowest_index()
    {
        using var module = TestNetworks.Randomized(Net(), seed: 11);
        Set(module, "fc.weight", w => w.zero_());
        Set(module, "fc.bias", b => b.zero_());

        var (t, o) = BothEngines(module);

        // Every logit is 0: the prediction is class 0, the top five are classes 0-4.
        foreach (var e in new[] { t, o })
        {
            Assert.Equal(0.1, e.Top1, 12);
            Assert.Equal(0.5, e.Top5, 12);
            Assert.Equal(Math.Log(Classes), e.Loss, 6);
            Assert.Equal(0, e.NonFinite);
        }
    }

    [Fact]
    public void A_NaN_logit_makes_its_row_a_miss_in_both_engines()
    {
        using var module = TestNetworks.Randomized(Net(), seed: 11);
        // One class's logit is NaN on every image; the other nine stay finite and rank as usual.
        Set(module, "fc.weight", w => w[3].FillWith(float.NaN));

        var (t, o) = BothEngines(module);

        foreach (var e in new[] { t, o })
        {
            Assert.Equal(0, e.Top1);
            Assert.Equal(0, e.Top5);
            Assert.Equal(Images, e.NonFinite);
            Assert.Equal(Math.Log(Classes), e.Loss, 6);
        }
    }

    [Fact]
    public void A_NaN_weight_deep_inside_gives_the_same_scores_in_both_engines()
    {
        using var module = TestNetworks.Randomized(Net(), seed: 11);
        Set(module, "conv1.weight", w => w[0].FillWith(float.NaN));

        var (t, o) = BothEngines(module);

        // The NaN reaches every logit (through BN and ReLU) in both engines.
        Assert.Equal(Images, t.NonFinite);
        Assert.Equal(t, o with { Loss = t.Loss });
        Assert.Equal(t.Loss, o.Loss, 6);
    }

    [Fact]
    public void Infinite_logits_are_misses_too()
    {
        var tally = new ScoreTally();
        // Row 0: +Inf at the target; row 1: -Inf elsewhere; row 2: finite, target first.
        tally.Add([float.PositiveInfinity, 0, 0, 1, 0, 0, float.NegativeInfinity, 0, 0, 0, 2, 1], [0, 1, 2]);
        var e = tally.Result();
        Assert.Equal(1.0 / 3, e.Top1, 12);
        Assert.Equal(1.0 / 3, e.Top5, 12);
        Assert.Equal(2, e.NonFinite);
        Assert.True(double.IsFinite(e.Loss));
    }

    /// <summary>
    /// A search on weights whose classifier reads NaN from channel 0 of the stream it reads: every
    /// policy that keeps that whole group outputs NaN, one that prunes it drops channel 0 first
    /// (channels are ranked by their consumer weights, and NaN ranks lowest) and is healthy.
    /// </summary>
    static (SearchRunner Runner, PruningEnvironment Env, ICandidateScorer Scorer) NaNSearch(TinySearchSetup tiny, string outDir, Action<Dictionary<string, Tensor>> poison)
    {
        var weights = tiny.Weights.ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using (no_grad()) poison(weights);
        var pruner = new ChannelPruner(tiny.Network, weights, tiny.Calibration.Images, batchNormImages: 32, pointsPerImage: 4);
        // Accuracy mode: no budget wall forcing groups down, so policies that keep the group whole come up often.
        var options = new SearchOptions { Episodes = 10, Seed = 3, Agent = AgentKind.Random, Mode = SearchMode.Accuracy, LowerBound = 0.9 };
        var env = new PruningEnvironment(tiny.Network, pruner.Graph, options, 2);
        // Without least squares, which would spread the NaN into every refit weight.
        var scorer = new OnnxCandidateScorer(new CandidateBuilder(pruner, new PruneOptions(Round: 2, Reconstruct: false, Seed: 3)), tiny.HeldOut);
        return (new SearchRunner(env, scorer, options, outDir, "nan-test"), env, scorer);
    }

    [Fact]
    public void A_search_gives_NaN_networks_the_worst_reward_flags_them_and_never_picks_one()
    {
        using var tiny = new TinySearchSetup();
        using var folder = new TempFolder();
        var (runner, env, scorer) = NaNSearch(tiny, folder.Path, w => w["fc.weight"][.., 0].FillWith(float.NaN));
        int step = env.Steps.ToList().FindIndex(g => g.Consumers.Contains("fc"));
        Assert.True(step >= 0, "the classifier's input group should be searched");

        var best = runner.Run(resume: false);

        var log = SearchRunner.ReadLog(runner.LogPath);
        var broken = log.Where(e => e.NonFiniteImages > 0).ToList();
        var healthy = log.Where(e => e.NonFiniteImages == 0).ToList();
        // The test needs both kinds; the seed gives them.
        Assert.True(broken.Count > 0 && healthy.Count > 0, "widths of the group fc reads: " + string.Join(" ", log.Select(e => e.Channels[step])));
        foreach (var e in log)
            Assert.Equal(e.Channels[step] == env.Steps[step].Channels ? tiny.HeldOut.Count : 0, e.NonFiniteImages);
        // The worst reward of accuracy mode: error 1 at the original size, below every healthy policy's.
        double worst = -Math.Log(env.Cost(env.Full).Macs);
        Assert.All(broken, e => Assert.Equal(worst, e.Reward));
        Assert.All(healthy, e => Assert.True(e.Reward > worst, $"episode {e.Episode}: {e.Reward}"));
        Assert.Contains(best.Episode, healthy.Select(e => e.Episode));
        Assert.Equal(healthy.Max(e => e.Reward), best.Reward);
        Assert.Contains("\"nonFiniteImages\":", File.ReadLines(runner.LogPath).First());

        // Re-scoring the top policies never considers a broken one, even when asked for all of them.
        var (confirmed, scored) = TopPolicyConfirmation.Choose(log, env, scorer, log.Count);
        Assert.All(scored, s => Assert.Contains(s.Episode, healthy.Select(e => e.Episode)));
        Assert.Contains(confirmed.Episode, healthy.Select(e => e.Episode));
    }

    [Fact]
    public void A_search_where_every_network_gives_NaN_fails_with_a_clear_message()
    {
        using var tiny = new TinySearchSetup();
        using var folder = new TempFolder();
        var (runner, _, _) = NaNSearch(tiny, folder.Path, w => w["fc.bias"][0].FillWith(float.NaN));

        var e = Assert.Throws<CheckpointException>(() => runner.Run(resume: false));

        Assert.Contains("NaN or Inf", e.Message);
        Assert.All(SearchRunner.ReadLog(runner.LogPath), r => Assert.Equal(tiny.HeldOut.Count, r.NonFiniteImages));
    }

    [Fact]
    public void An_episode_log_written_before_the_flag_still_reads()
    {
        var line = """{"episode":0,"phase":"random","rawActions":[0.5],"keep":[0.5],"channels":[4],"macs":10,"params":5,"macsFraction":0.5,"paramsFraction":0.5,"top1":0.25,"top5":1,"reward":-0.75,"sigma":0,"seconds":0.1,"times":{"prune":0,"leastSquares":0,"batchNorm":0,"evaluate":0},"agentSeconds":0,"budgetFraction":0.5}""";
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("episodes.jsonl"), line + "\n");

        var record = Assert.Single(SearchRunner.ReadLog(folder.File("episodes.jsonl")));

        Assert.Equal(0, record.NonFiniteImages);
        Assert.Equal(-0.75, record.Reward);
    }
}
