using System.Text.Json.Nodes;
using Amc.Data;
using Amc.Graph;
using Amc.Pruning;
using Amc.Search;
using Amc.Sessions;
using Amc.Tests.Data;
using Amc.Torch;
using static TorchSharp.torch;

namespace Amc.Tests.Search;

/// <summary>The fine-grained search (--mode sparsity) on the tiny setting: the wall, the scorer's masks, determinism and resume.</summary>
[Collection(SerialSearchCollection.Name)]
public class SparsitySearchTests
{
    static SearchOptions Options(int seed = 3, double target = 0.3) => new()
    {
        Mode = SearchMode.Sparsity, Resource = Resource.Params, Target = target, LowerBound = 0.05,
        Episodes = 8, Seed = seed, Ddpg = new DdpgOptions { WarmupEpisodes = 3, BatchSize = 8, Hidden = 32 },
    };

    static SparsityCandidateScorer Scorer(TinySearchSetup setup) =>
        new(setup.Network, setup.Weights, setup.HeldOut, setup.Pruner.BatchNormBatches, onnxRuntime: false);

    static SearchRunner Runner(TinySearchSetup setup, SearchOptions options, string outDir, SparsityCandidateScorer scorer) =>
        new(new SparsityEnvironment(setup.Network, options), scorer, options, outDir, "test-fingerprint");

    sealed class Interrupt : Exception;

    [Fact]
    public void Every_episode_meets_the_budget_of_nonzero_parameters_in_the_weights_it_scored()
    {
        using var setup = new TinySearchSetup();
        using var dir = new TempFolder();
        using var scorer = Scorer(setup);
        var options = Options() with { Episodes = 10 };
        var env = new SparsityEnvironment(setup.Network, options);
        Runner(setup, options, dir.Folder("s"), scorer).Run(resume: false);
        // The budget counts every parameter slot (the untrained tiny network's BN betas are zeros, which NonZeroParams leaves out).
        long original = CostModel.Of(setup.Network).Params;
        long budget = (long)Math.Floor(0.3 * original);
        Assert.Equal(original, env.Wall.Original);
        var log = SearchRunner.ReadLog(dir.File("s", "episodes.jsonl"));
        Assert.Equal(10, log.Count);
        foreach (var e in log)
        {
            using var scope = NewDisposeScope();
            long nonZero = SparsityMasks.NonZeroParams(setup.Network, scorer.Sparse(env.FromSteps(e.Channels)));
            Assert.True(nonZero <= budget, $"episode {e.Episode}: {nonZero} non-zero parameters, budget {budget}");
            Assert.True(e.Params <= budget);
            Assert.True(e.BudgetFraction <= 0.3);
            for (int i = 0; i < e.Channels.Length; i++) Assert.InRange(e.Channels[i], 1, env.StepSize(i));
        }
    }

    [Fact]
    public void The_wall_caps_the_last_layers_so_even_a_greedy_agent_meets_the_budget()
    {
        using var setup = new TinySearchSetup();
        var env = new SparsityEnvironment(setup.Network, Options(target: 0.25));
        env.Reset();
        StepResult? last = null;
        for (int t = 0; t < env.StepCount; t++) last = env.Step(1.0);
        Assert.True(last!.Done);
        // Keeping everything early leaves the later layers at their minimum, and the budget is met with at most one weight to spare per layer's rounding.
        Assert.True(env.Wall.Measure(env.Policy) <= env.Wall.Budget);
        Assert.True(env.Wall.Measure(env.Policy) > env.Wall.Budget - env.StepCount);
        Assert.Equal(env.StepSize(0), env.Policy.Width(0));
    }

    [Fact]
    public void The_scorer_zeroes_the_weights_SparsityMasks_zeroes()
    {
        using var setup = new TinySearchSetup();
        using var scorer = Scorer(setup);
        var env = new SparsityEnvironment(setup.Network, Options());
        env.Reset();
        var rng = new Random(1);
        for (int t = 0; t < env.StepCount; t++) env.Step(0.05 + 0.9 * rng.NextDouble());
        using var scope = NewDisposeScope();
        var sparse = scorer.Sparse(env.Policy);
        using var module = new Checkpoint(setup.Network, setup.Weights, new CheckpointInfo()).ToModule();
        SparsityMasks.Prune(module, env.Sparsity(env.Policy));
        var masked = module.Tensors();
        foreach (var l in env.Layers.Layers)
            Assert.True(sparse[$"{l.Name}.weight"].eq(masked[$"{l.Name}.weight"]).all().item<bool>(), l.Name);
    }

    [Fact]
    public void Same_seed_same_search_other_seed_other_search()
    {
        using var setup = new TinySearchSetup();
        using var dir = new TempFolder();
        using var scorer = Scorer(setup);
        Runner(setup, Options(1), dir.Folder("a"), scorer).Run(false);
        Runner(setup, Options(1), dir.Folder("b"), scorer).Run(false);
        Runner(setup, Options(2), dir.Folder("c"), scorer).Run(false);
        string Decisions(string d) => string.Join("\n", File.ReadAllLines(dir.File(d, "episodes.jsonl")).Select(Strip));
        Assert.Equal(Decisions("a"), Decisions("b"));
        Assert.NotEqual(Decisions("a"), Decisions("c"));
    }

    [Fact]
    public void Resume_after_a_crash_ends_with_the_same_log_and_best_policy()
    {
        using var setup = new TinySearchSetup();
        using var dir = new TempFolder();
        using var scorer = Scorer(setup);
        var full = Runner(setup, Options(), dir.Folder("full"), scorer).Run(false);
        var crashed = dir.Folder("crashed");
        Assert.Throws<Interrupt>(() => Runner(setup, Options(), crashed, scorer).Run(false, p => { if (p.Episode == 4) throw new Interrupt(); }));
        var resumed = Runner(setup, Options(), crashed, scorer).Run(resume: true);
        Assert.Equal(full.Widths, resumed.Widths);
        Assert.Equal(full.Reward, resumed.Reward);
        Assert.Equal(File.ReadAllLines(dir.File("full", "episodes.jsonl")).Select(Strip), File.ReadAllLines(Path.Combine(crashed, "episodes.jsonl")).Select(Strip));
    }

    [Fact]
    public void The_mode_is_part_of_the_resume_fingerprint()
    {
        var data = new OpenedData(TinySearchSetup.Synthetic(new TensorShape(1, 8, 8), 40, 1), TinySearchSetup.Synthetic(new TensorShape(1, 8, 8), 10, 2), HeldOutSplit.Create(40, 1, 10));
        using var dir = new TempFolder();
        var ck = dir.File("ck.bin");
        File.WriteAllText(ck, "checkpoint bytes");
        var channels = new SearchOptions { Resource = Resource.Params, Target = 0.2 };
        Assert.NotEqual(SearchFingerprint.Of(ck, channels, new PruneOptions(), data, ScoringEngine.OnnxRuntime, null),
            SearchFingerprint.Of(ck, channels with { Mode = SearchMode.Sparsity }, new PruneOptions(), data, ScoringEngine.OnnxRuntime, null));
    }

    [Theory]
    [InlineData(0.0, "must be in (0, 1)")]
    [InlineData(1.0, "must be in (0, 1)")]
    [InlineData(0.01, "smallest feasible target")]
    [InlineData(0.01, "(lower --lbound to go further)")] // a sparsity search has no --round
    public void A_budget_outside_0_1_or_below_every_layers_minimum_is_refused(double target, string message)
    {
        using var setup = new TinySearchSetup();
        var e = Assert.ThrowsAny<Exception>(() => new SparsityEnvironment(setup.Network, Options(target: target)));
        Assert.Contains(message, e.Message);
    }

    static string Strip(string jsonLine)
    {
        var node = JsonNode.Parse(jsonLine)!.AsObject();
        node.Remove("seconds");
        node.Remove("times");
        node.Remove("agentSeconds");
        return node.ToJsonString();
    }
}
