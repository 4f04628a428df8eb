using Amc.Pruning;

namespace Amc.Tests.Pruning;

public class ChannelRoundingTests
{
    [Theory]
    [InlineData(64, 0.5, 8, 32)]
    [InlineData(64, 0.3, 8, 24)]     // 19.2 -> 19 -> up to 24
    [InlineData(64, 0.26, 8, 24)]    // 16.64 -> 17 -> up to 24: never rounded down
    [InlineData(64, 0.01, 8, 8)]     // 0.64 -> at least 1 -> up to 8
    [InlineData(64, 1.0, 8, 64)]
    [InlineData(20, 0.95, 8, 20)]    // 19 -> 24 exceeds the width: the full width
    [InlineData(20, 0.5, 8, 16)]
    [InlineData(6, 0.5, 8, 3)]       // a group no larger than the multiple is not rounded
    [InlineData(8, 0.01, 8, 1)]
    [InlineData(5, 0.01, 8, 1)]      // never below one channel
    [InlineData(64, 0.3, 1, 19)]     // multiple 1: exact
    [InlineData(10, 0.25, 1, 3)]     // 2.5 rounds half away from zero
    public void Channels_rounds_the_kept_count_up_to_an_allowed_value(int total, double keep, int multiple, int expected) =>
        Assert.Equal(expected, ChannelRounding.Channels(total, keep, multiple));

    [Fact]
    public void Channels_are_always_allowed_and_at_least_the_requested_count()
    {
        foreach (var total in new[] { 1, 3, 8, 9, 17, 64, 100 })
            foreach (var multiple in new[] { 1, 4, 8 })
            {
                var allowed = ChannelRounding.Allowed(total, multiple);
                for (double keep = 0.01; keep <= 1.0; keep += 0.01)
                {
                    int c = ChannelRounding.Channels(total, keep, multiple);
                    Assert.Contains(c, allowed);
                    Assert.True(c >= Math.Min(total, Math.Max(1, (int)Math.Round(total * keep, MidpointRounding.AwayFromZero))));
                }
            }
    }

    [Fact]
    public void Allowed_lists_the_multiples_below_the_width_and_the_width()
    {
        Assert.Equal([8, 16, 20], ChannelRounding.Allowed(20, 8));
        Assert.Equal([8, 16, 24, 32], ChannelRounding.Allowed(32, 8));
        Assert.Equal([1, 2, 3, 4, 5, 6], ChannelRounding.Allowed(6, 8));
        Assert.Equal(Enumerable.Range(1, 12), ChannelRounding.Allowed(12, 1));
    }

    [Fact]
    public void RoundUp_clamps_into_the_group()
    {
        Assert.Equal(8, ChannelRounding.RoundUp(64, 0, 8));
        Assert.Equal(64, ChannelRounding.RoundUp(64, 99, 8));
        Assert.Equal(16, ChannelRounding.RoundUp(64, 9, 8));
        Assert.Equal(16, ChannelRounding.RoundUp(64, 16, 8));
    }

    [Fact]
    public void An_empty_group_is_an_error() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ChannelRounding.Channels(0, 0.5, 8));
}
