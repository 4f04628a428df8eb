using Amc.Pruning;
using Amc.Search;
using Amc.Training;

namespace Amc.Tests.Training;

/// <summary>Agreement and relative error against reference outputs (ScoreTally) and the rewards made of them.</summary>
public class ReferenceScoringTests
{
    static void Near(double expected, double actual) => Assert.True(Math.Abs(expected - actual) < 1e-12, $"expected {expected}, got {actual}");

    [Fact]
    public void Outputs_compared_with_themselves_agree_fully_with_no_error()
    {
        float[] logits = [1, 3, 2, -1, 0.5f, 0.25f];
        var tally = new ScoreTally();
        tally.Add(logits, [1, 0], logits);
        var e = tally.Result();
        Assert.Equal(1, e.Agreement);
        Assert.Equal(0, e.RelativeError);
        Assert.Equal(0.5, e.Top1); // accuracy still reads the labels
    }

    [Fact]
    public void Agreement_counts_equal_argmaxes_and_the_error_is_over_the_whole_set()
    {
        // Row 1 agrees (argmax 1 in both), row 2 does not (1 vs 0).
        float[] reference = [0, 2, 1, 0];
        float[] outputs = [0, 1, 0, 1];
        var tally = new ScoreTally();
        tally.Add(outputs, [0, 0], reference);
        var e = tally.Result();
        Assert.Equal(0.5, e.Agreement);
        // ||Y - Y0||^2 = 1 + 2, ||Y0||^2 = 4 + 1: sqrt(3 / 5), not the mean of the rows' own ratios (1/2 and sqrt 2).
        Near(Math.Sqrt(0.6), e.RelativeError!.Value);
        Assert.Null(new ScoreTally().Result().Agreement);
        var plain = new ScoreTally();
        plain.Add(outputs, [0, 0]);
        Assert.Null(plain.Result().RelativeError);
    }

    [Fact]
    public void A_non_finite_row_disagrees_and_leaves_the_error_undefined()
    {
        float[] reference = [0, 2, 1, 0];
        float[] outputs = [0, 2, float.NaN, 0];
        var tally = new ScoreTally();
        tally.Add(outputs, [0, 0], reference);
        var e = tally.Result();
        Assert.Equal(0.5, e.Agreement);
        // The finite row alone matches exactly: an error of its rows only would read a perfect 0.
        Assert.Null(e.RelativeError);
        Assert.Equal(1, e.NonFinite);

        // A reference with NaN or Inf outputs cannot measure an error either.
        var broken = new ScoreTally();
        broken.Add([0, 2, 1, 0], [0, 0], [0, 2, float.PositiveInfinity, 0]);
        Assert.Equal(0.5, broken.Result().Agreement);
        Assert.Null(broken.Result().RelativeError);
        Assert.Contains("reference", broken.Result().DescribeRelativeError());
    }

    [Fact]
    public void An_all_zero_reference_has_no_relative_error_unless_the_outputs_are_zero_too()
    {
        float[] zeros = [0, 0, 0, 0];
        var differs = new ScoreTally();
        differs.Add([0, 1, 0, 0], [0, 0], zeros);
        // Not +Infinity: JSON cannot hold it, and the ratio has no meaning.
        Assert.Null(differs.Result().RelativeError);
        Assert.Contains("all zero", differs.Result().DescribeRelativeError());
        var same = new ScoreTally();
        same.Add(zeros, [0, 0], zeros);
        Assert.Equal(0, same.Result().RelativeError);
        Assert.Equal("0.0000", same.Result().DescribeRelativeError());
    }

    [Fact]
    public void Reference_outputs_of_another_shape_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new ScoreTally().Add([1, 2, 3, 4], [0, 0], [1, 2]));
        Assert.Contains("differ in shape", e.Message);
    }

    static CandidateScore Score(double? agreement, double? relativeError, int nonFinite = 0) =>
        new(Amc.Graph.Policy.OfWidths([8]), 1000, 100, new Evaluation(0.1, 0.2, 10, 1, nonFinite, agreement, relativeError), new StageTimes(0, 0, 0, 0));

    [Fact]
    public void Agreement_and_fidelity_rewards_are_minus_disagreement_and_minus_the_capped_relative_error()
    {
        var agreement = new SearchOptions { Reward = RewardKind.Agreement };
        var fidelity = new SearchOptions { Reward = RewardKind.Fidelity };
        Near(-0.25, Reward.Of(Score(0.75, 0.1), agreement, 1000, 100));
        Near(-0.1, Reward.Of(Score(0.75, 0.1), fidelity, 1000, 100));
        Near(-1, Reward.Of(Score(0.75, 3.5), fidelity, 1000, 100));
        Near(-1, Reward.Of(Score(0.75, double.NaN), fidelity, 1000, 100));
        Near(-1, Reward.Of(Score(1, 0, nonFinite: 1), agreement, 1000, 100));
        Near(-0.1 * Math.Log(1000), Reward.Of(Score(0.75, 0.1), fidelity with { Mode = SearchMode.Accuracy }, 1000, 100));
        Assert.Throws<InvalidOperationException>(() => Reward.Of(Score(null, null), agreement, 1000, 100));
    }

    [Fact]
    public void The_metric_is_named_and_read_as_the_reward_measures_it()
    {
        var e = new Evaluation(0.8, 0.9, 10, 1, 0, 0.7, 0.3);
        Assert.Equal(("top-1", 0.8), (Reward.MetricName(new SearchOptions()), Reward.Score(new SearchOptions(), e)));
        Assert.Equal(("top-5", 0.9), (Reward.MetricName(new SearchOptions { TopFive = true }), Reward.Score(new SearchOptions { TopFive = true }, e)));
        Assert.Equal(("top-1 agreement", 0.7), (Reward.MetricName(new SearchOptions { Reward = RewardKind.Agreement }), Reward.Score(new SearchOptions { Reward = RewardKind.Agreement }, e)));
        var fidelity = new SearchOptions { Reward = RewardKind.Fidelity };
        Assert.Equal(("relative error", 0.3), (Reward.MetricName(fidelity), Reward.Score(fidelity, e)));
        Assert.Equal("0.3000", Reward.Format(fidelity, 0.3));
        Assert.Equal("70.00 %", Reward.Format(new SearchOptions(), 0.7));
    }

    [Fact]
    public void The_reward_kind_is_in_the_options_json_only_when_it_is_not_accuracy()
    {
        // The fingerprint serializes the options: a default search keeps the fingerprint it had.
        Assert.DoesNotContain("Reward", System.Text.Json.JsonSerializer.Serialize(new SearchOptions()));
        Assert.Contains("\"Reward\":\"Agreement\"", System.Text.Json.JsonSerializer.Serialize(new SearchOptions { Reward = RewardKind.Agreement }));
    }
}
