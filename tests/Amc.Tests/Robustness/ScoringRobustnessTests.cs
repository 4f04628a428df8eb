using Amc.Data;
using Amc.Deploy;
using Amc.Graph;
using Amc.Models;
using Amc.Runtime;
using Amc.Training;
using static TorchSharp.torch;

namespace Amc.Tests.Robustness;

/// <summary>
/// Both scoring engines (TorchSharp and ONNX Runtime) give the same top-1, top-5 and loss, on a
/// healthy network and on degenerate ones: all logits equal, NaN logits.
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
        Set(module, "fc.weight", w => w[3].fill_(float.NaN));

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
        Set(module, "conv1.weight", w => w[0].fill_(float.NaN));

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
}
