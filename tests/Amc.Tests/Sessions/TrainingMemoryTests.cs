using Amc.Graph;
using Amc.Models;
using Amc.Sessions;

namespace Amc.Tests.Sessions;

/// <summary>
/// Training picks a batch that fits its memory budget: the default is lowered to the largest
/// power of two that fits (and says so), a batch the user gave is refused with the one to use;
/// before, `amc train --model resnet50` on 224x224 images was killed by the OS at 24 GB.
/// </summary>
public class TrainingMemoryTests
{
    const long GB = 1L << 30;

    static readonly Network R50 = ModelZoo.Build("resnet50", new ModelOptions(new TensorShape(3, 224, 224), 10));

    [Fact]
    public void The_default_batch_is_lowered_to_the_largest_power_of_two_that_fits()
    {
        var choice = TrainingMemory.Choose(R50, requested: null, trainImages: 100_000, 6 * GB, TrainingMemory.BudgetOption);

        Assert.InRange(choice.Batch, 1, TrainingMemory.DefaultBatch / 2);
        Assert.Equal(choice.Batch, MemoryCheck.PowerOfTwoAtMost(choice.Batch));
        Assert.True(TrainingMemory.Estimate(R50, choice.Batch).Fits(6 * GB));
        Assert.False(TrainingMemory.Estimate(R50, 2 * choice.Batch).Fits(6 * GB));
        Assert.StartsWith($"--batch-size {choice.Batch}: the default 128 would need about ", choice.Note);
        Assert.Contains("more than the 6.0 GB --max-memory allows", choice.Note);
    }

    /// <summary>
    /// The BN re-estimation between epochs runs 100 images at a time whatever the training batch:
    /// at small batches its pass is the peak (a pruned MobileNetV2-224 at batch 8 measured 1.8 GB
    /// against an estimate of 1.0 GB without it), at large ones the steps are.
    /// </summary>
    [Fact]
    public void The_batchnorm_pass_between_epochs_is_the_floor_at_small_batches()
    {
        var net = ModelZoo.Build("mobilenetv2", new ModelOptions(new TensorShape(3, 224, 224), 10));
        var (small, large) = (TrainingMemory.Estimate(net, 4, batchNormImages: 500), TrainingMemory.Estimate(net, 128, batchNormImages: 500));
        var (smallWithout, largeWithout) = (TrainingMemory.Estimate(net, 4), TrainingMemory.Estimate(net, 128));

        Assert.True(small.Total > smallWithout.Total + GB / 2, $"{small.Total} vs {smallWithout.Total}");
        Assert.Equal(small.Phase, small.Activations);
        Assert.Contains("(BN re-estimation between epochs)", small.Describe(GB));
        Assert.Equal(largeWithout.Total, large.Total);
        Assert.DoesNotContain("BN re-estimation", large.Describe(GB));
        // No batch fits a budget the pass alone exceeds.
        Assert.Equal(0, small.LargestBatch(small.Total - small.Activations + small.Phase - 1));
    }

    [Fact]
    public void A_network_that_fits_keeps_the_default_and_says_nothing()
    {
        var small = ModelZoo.Build("resnet20", new ModelOptions(new TensorShape(1, 28, 28), 10));
        Assert.Equal(new BatchChoice(TrainingMemory.DefaultBatch, null), TrainingMemory.Choose(small, null, 50_000, 6 * GB, TrainingMemory.BudgetOption));
        // A small training set caps the batch the estimate is made at, not the batch itself.
        Assert.Equal(TrainingMemory.DefaultBatch, TrainingMemory.Choose(R50, null, trainImages: 2, 6 * GB, TrainingMemory.BudgetOption).Batch);
    }

    [Fact]
    public void A_given_batch_that_does_not_fit_is_refused_with_the_batch_to_use()
    {
        var e = Assert.Throws<SettingsException>(() => TrainingMemory.Choose(R50, requested: 128, 100_000, 6 * GB, TrainingMemory.BudgetOption));
        Assert.StartsWith("training resnet50 at batch 128 needs about ", e.Message);
        Assert.Contains("--max-memory allows 6.0 GB", e.Message);
        int fits = TrainingMemory.Choose(R50, null, 100_000, 6 * GB, TrainingMemory.BudgetOption).Batch;
        Assert.EndsWith($"; use --batch-size {fits} or smaller", e.Message);

        Assert.Equal(new BatchChoice(fits, null), TrainingMemory.Choose(R50, fits, 100_000, 6 * GB, TrainingMemory.BudgetOption));
    }

    [Fact]
    public void A_distillation_teacher_counts_and_lowers_the_batch()
    {
        // The walkthrough's case: a pruned network distilled from its unpruned original took 7.5 GB
        // at the batch chosen for the student alone.
        var student = ModelZoo.Build("resnet50", new ModelOptions(new TensorShape(3, 224, 224), 10, WidthMultiplier: 0.5));
        var alone = TrainingMemory.Choose(student, null, 100_000, 6 * GB, TrainingMemory.BudgetOption);
        var taught = TrainingMemory.Choose(student, null, 100_000, 6 * GB, TrainingMemory.BudgetOption, teacher: R50);

        Assert.True(TrainingMemory.Estimate(student, alone.Batch, R50).Total > TrainingMemory.Estimate(student, alone.Batch).Total);
        Assert.True(taught.Batch < alone.Batch, $"batch {alone.Batch} alone, {taught.Batch} with the teacher");
        Assert.True(TrainingMemory.Estimate(student, taught.Batch, R50).Fits(6 * GB));
    }

    [Fact]
    public void When_not_even_one_image_fits_the_run_is_refused()
    {
        var e = Assert.Throws<SettingsException>(() => TrainingMemory.Choose(R50, null, 100_000, 100L << 20, TrainingMemory.BudgetOption));
        Assert.StartsWith("training resnet50 at batch 1 needs about ", e.Message);
    }

    [Fact]
    public void The_budget_is_the_stated_one_unless_less_memory_is_free()
    {
        Assert.Equal((TrainingMemory.DefaultBudget, TrainingMemory.BudgetOption), TrainingMemory.Budget(null, 20 * GB));
        Assert.Equal((3 * GB, (string?)TrainingMemory.BudgetOption), TrainingMemory.Budget(3 * GB, 20 * GB));
        Assert.Equal((2 * GB, (string?)null), TrainingMemory.Budget(null, 2 * GB));
        Assert.Equal((2 * GB, (string?)null), TrainingMemory.Budget(10 * GB, 2 * GB));
    }
}
