using Amc.Pruning;
using Amc.Search;
using Amc.Training;

namespace Amc.Tests.Search;

/// <summary>The rewards against hand-computed numbers (natural logs written out to 15 digits).</summary>
public class RewardTests
{
    const long OriginalMacs = 1_000_000, OriginalParams = 50_000;

    static CandidateScore Score(double top1, double top5, long macs = 1000, long prms = 20_000, int nonFinite = 0) =>
        new(Amc.Graph.Policy.OfWidths([8, 8]), macs, prms, new Evaluation(top1, top5, 100, 0.5, nonFinite), new StageTimes(0, 0, 0, 0));

    static double Of(CandidateScore s, SearchOptions o) => Reward.Of(s, o, OriginalMacs, OriginalParams);

    static void Near(double expected, double actual) => Assert.True(Math.Abs(expected - actual) < 1e-12, $"expected {expected}, got {actual}");

    [Fact]
    public void Resource_mode_reward_is_minus_the_top1_error()
    {
        Near(-0.25, Of(Score(0.75, 0.95), new SearchOptions()));
        Near(-0.25, Of(Score(0.75, 0.95), new SearchOptions { Resource = Resource.Params }));
        Near(-0.25, Of(Score(0.75, 0.95), new SearchOptions { Resource = Resource.Latency }));
        Near(0, Of(Score(1, 1), new SearchOptions()));
    }

    [Fact]
    public void Top5_option_uses_the_top5_error()
    {
        Near(-0.05, Of(Score(0.75, 0.95), new SearchOptions { TopFive = true }));
    }

    [Fact]
    public void Accuracy_mode_reward_is_minus_error_times_ln_resource()
    {
        // ln 1000 = 6.90775527898214, ln 20000 = 9.90348755253613
        var macs = new SearchOptions { Mode = SearchMode.Accuracy };
        Near(-0.25 * 6.90775527898214, Of(Score(0.75, 0.95, macs: 1000), macs));
        Near(-0.25 * 9.90348755253613, Of(Score(0.75, 0.95, prms: 20_000), macs with { Resource = Resource.Params }));
        Near(-0.05 * 6.90775527898214, Of(Score(0.75, 0.95, macs: 1000), macs with { TopFive = true }));
        // At equal error the smaller network is better.
        Assert.True(Of(Score(0.75, 0.95, macs: 1000), macs) > Of(Score(0.75, 0.95, macs: 2000), macs));
    }

    [Fact]
    public void Non_finite_networks_get_the_worst_reward_whatever_their_accuracy()
    {
        // Error 1, at the original size in accuracy mode: ln 1e6 = 13.8155105579643, ln 5e4 = 10.8197782844103.
        Near(-1, Of(Score(0.9, 0.99, nonFinite: 3), new SearchOptions()));
        Near(-1, Of(Score(0.9, 0.99, nonFinite: 1), new SearchOptions { TopFive = true }));
        var accuracy = new SearchOptions { Mode = SearchMode.Accuracy };
        Near(-13.8155105579643, Of(Score(0.9, 0.99, macs: 1000, nonFinite: 1), accuracy));
        Near(-10.8197782844103, Of(Score(0.9, 0.99, prms: 20_000, nonFinite: 1), accuracy with { Resource = Resource.Params }));
        // And no finite network of any accuracy gets less.
        Assert.True(Of(Score(0, 0, macs: OriginalMacs), accuracy) >= Of(Score(0.9, 0.99, nonFinite: 1), accuracy));
    }

    [Fact]
    public void Latency_is_no_accuracy_mode_reward_term()
    {
        Assert.Throws<ArgumentException>(() => Of(Score(0.75, 0.95), new SearchOptions { Mode = SearchMode.Accuracy, Resource = Resource.Latency }));
    }

    [Fact]
    public void Sparsity_mode_reward_is_minus_error_times_ln_nonzero_params()
    {
        var sparse = new SearchOptions { Mode = SearchMode.Sparsity, Resource = Resource.Params, Target = 0.2 };
        // ln 20000 = 9.90348755253613; a broken network: error 1 at the original 50000 params, ln 5e4 = 10.8197782844103.
        Near(-0.25 * 9.90348755253613, Of(Score(0.75, 0.95, prms: 20_000), sparse));
        Near(-0.25 * 9.90348755253613, Reward.Sparse(0.25, 20_000));
        Near(-10.8197782844103, Of(Score(0.9, 0.99, prms: 20_000, nonFinite: 2), sparse));
    }
}
