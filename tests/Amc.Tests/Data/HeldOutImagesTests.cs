using Amc.Data;
using Amc.Sessions;
using Amc.Tests.Cli;

namespace Amc.Tests.Data;

/// <summary>The images a checkpoint never trained on: recorded at training, kept out of training images later, scored and confirmed on.</summary>
public class HeldOutImagesTests
{
    [Fact]
    public void Smaller_splits_of_one_seed_are_part_of_larger_ones()
    {
        // What lets a search with a smaller --heldout score only on images the checkpoint never saw.
        var small = HeldOutSplit.Create(7000, seed: 2018, heldOut: 500);
        var large = HeldOutSplit.Create(7000, seed: 2018, heldOut: 1000);

        Assert.Empty(small.HeldOut.Except(large.HeldOut));
    }

    [Fact]
    public void The_record_gives_back_its_images_and_nothing_for_other_data()
    {
        var split = HeldOutSplit.Create(6000, seed: 7, heldOut: 600);
        var record = HeldOutImages.Of(split, 6000);

        Assert.Equal(split.HeldOut, record.Indices(6000));
        Assert.Null(record.Indices(6001));
        Assert.Null((record with { Hash = "000000000000" }).Indices(6000));
    }

    [Fact]
    public void Opened_data_keeps_the_unseen_images_out_of_training_and_confirms_on_the_unscored_ones()
    {
        using var temp = new TempFolder();
        string folder = TinyIdxData.Write(temp.File("data"));
        var trainedWith = HeldOutImages.Of(HeldOutSplit.Create(200, 2018, 40), 200);

        var data = OpenedData.Open(new DataSettings(folder, HeldOut: 25)).Sparing(trainedWith);

        var unseen = trainedWith.Indices(200)!;
        Assert.Equal(unseen, data.Unseen);
        Assert.Empty(data.Split.Train.Intersect(unseen));
        Assert.Equal(200 - 40, data.Split.Train.Length);
        // Confirmed on the 15 unseen images the search does not score on, not on the default split's 20 - 25 = none.
        Assert.Equal(unseen.Except(data.Split.HeldOut).Order(), data.UnscoredHeldOut().Order());
        Assert.Equal(15, data.UnscoredHeldOut().Length);
        Assert.Null(data.ScoringOnTrainedImagesWarning(trainedWith));
    }

    [Fact]
    public void Scoring_on_more_images_than_were_held_out_is_warned_of()
    {
        using var temp = new TempFolder();
        string folder = TinyIdxData.Write(temp.File("data"));
        var trainedWith = HeldOutImages.Of(HeldOutSplit.Create(200, 2018, 20), 200);

        var larger = OpenedData.Open(new DataSettings(folder, HeldOut: 50)).Sparing(trainedWith);
        var shuffledOtherwise = OpenedData.Open(new DataSettings(folder, HeldOut: 20, SplitSeed: 1)).Sparing(trainedWith);

        Assert.StartsWith("30 of the 50 held-out images trained this checkpoint", larger.ScoringOnTrainedImagesWarning(trainedWith));
        Assert.Contains("--heldout 20 or less and --split-seed 2018", larger.ScoringOnTrainedImagesWarning(trainedWith));
        Assert.NotNull(shuffledOtherwise.ScoringOnTrainedImagesWarning(trainedWith));
        Assert.Empty(larger.UnscoredHeldOut());
    }

    [Fact]
    public void The_default_split_shrinks_to_the_unseen_images_when_fewer_were_held_out()
    {
        using var temp = new TempFolder();
        string folder = TinyIdxData.Write(temp.File("data"));
        var trainedWith = HeldOutImages.Of(HeldOutSplit.Create(200, 2018, 15), 200);
        var byDefault = OpenedData.Open(new DataSettings(folder));   // 10 %: 20 images

        var shrunk = byDefault.WithinUnseen(trainedWith).Sparing(trainedWith);

        Assert.Equal(trainedWith.Indices(200), shrunk.Split.HeldOut);
        Assert.Null(shrunk.ScoringOnTrainedImagesWarning(trainedWith));
        // Only ever shrunk: a larger record, or one of another split seed, leaves the default alone.
        Assert.Same(byDefault, byDefault.WithinUnseen(HeldOutImages.Of(HeldOutSplit.Create(200, 2018, 40), 200)));
        Assert.Same(byDefault, byDefault.WithinUnseen(HeldOutImages.Of(HeldOutSplit.Create(200, 7, 15), 200)));
    }

    [Fact]
    public void Without_a_record_for_this_data_nothing_changes()
    {
        using var temp = new TempFolder();
        string folder = TinyIdxData.Write(temp.File("data"));
        var opened = OpenedData.Open(new DataSettings(folder, HeldOut: 10));
        var otherData = HeldOutImages.Of(HeldOutSplit.Create(300, 2018, 30), 300);

        Assert.Same(opened, opened.Sparing(null));
        Assert.Same(opened, opened.Sparing(otherData));
        Assert.Equal(10, opened.UnscoredHeldOut().Length);
    }
}
