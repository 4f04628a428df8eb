using Amc.Data;

namespace Amc.Tests.Data;

public class HeldOutSplitTests
{
    [Fact]
    public void Same_seed_gives_the_same_split_and_hash()
    {
        var a = HeldOutSplit.Create(60000, seed: 2018);
        var b = HeldOutSplit.Create(60000, seed: 2018);

        Assert.Equal(a.HeldOut, b.HeldOut);
        Assert.Equal(a.Train, b.Train);
        Assert.Equal(a.Hash, b.Hash);
        Assert.Equal(12, a.Hash.Length);
    }

    [Fact]
    public void Another_seed_gives_another_split()
    {
        var a = HeldOutSplit.Create(60000, seed: 1);
        var b = HeldOutSplit.Create(60000, seed: 2);

        Assert.NotEqual(a.HeldOut, b.HeldOut);
        Assert.NotEqual(a.Hash, b.Hash);
    }

    [Fact]
    public void Parts_are_disjoint_sorted_and_cover_everything()
    {
        var split = HeldOutSplit.Create(6000, seed: 7);

        Assert.Equal(Enumerable.Range(0, 6000), split.Train.Concat(split.HeldOut).Order());
        Assert.Equal(split.HeldOut.Order(), split.HeldOut);
        Assert.Equal(split.Train.Order(), split.Train);
        // Spread over the whole range, not a block at one end.
        Assert.InRange(split.HeldOut.Average(), 2400, 3600);
    }

    [Theory]
    [InlineData(60000, 5000)]
    [InlineData(50000, 5000)]
    [InlineData(6000, 600)]
    [InlineData(100, 10)]
    public void Default_size_is_5000_but_at_most_a_tenth(int count, int expected)
    {
        var split = HeldOutSplit.Create(count, seed: 0);

        Assert.Equal(expected, split.HeldOut.Length);
        Assert.Equal(count - expected, split.Train.Length);
    }

    [Fact]
    public void Explicit_size_is_honoured_and_checked()
    {
        Assert.Equal(3000, HeldOutSplit.Create(10000, 1, heldOut: 3000).HeldOut.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => HeldOutSplit.Create(10, 1, heldOut: 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => HeldOutSplit.Create(10, 1, heldOut: 0));
    }

    [Fact]
    public void Hash_identifies_the_held_out_indices()
    {
        Assert.Equal(HeldOutSplit.HashOf([1, 5, 9]), HeldOutSplit.HashOf([1, 5, 9]));
        Assert.NotEqual(HeldOutSplit.HashOf([1, 5, 9]), HeldOutSplit.HashOf([1, 5, 10]));
    }
}
