using Amc.Latency;

namespace Amc.Tests.Latency;

public class LatencyMeterTests
{
    [Fact]
    public void Candidates_run_in_blocks_each_after_one_untimed_rewarm()
    {
        var order = new List<char>();
        var result = LatencyMeter.MeasureInterleaved([() => order.Add('A'), () => order.Add('B')], warmup: 2, repeats: 25);

        Assert.All(result, r => Assert.Equal(25, r.Repeats));
        string warm = "ABAB";
        string Block(char c, int timed) => new(c, 1 + timed);
        string expected = warm + Block('A', 10) + Block('B', 10) + Block('A', 10) + Block('B', 10) + Block('A', 5) + Block('B', 5);
        Assert.Equal(expected, new string(order.ToArray()));
    }

    [Fact]
    public void A_single_candidate_needs_no_rewarm()
    {
        int calls = 0;
        var r = LatencyMeter.Measure(() => calls++, warmup: 3, repeats: 30);
        Assert.Equal(33, calls);
        Assert.Equal(30, r.Repeats);
        Assert.InRange(r.Min, 0, r.Median);
    }
}
