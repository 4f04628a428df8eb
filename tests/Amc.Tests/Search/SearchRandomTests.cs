using Amc.Search;

namespace Amc.Tests.Search;

public class SearchRandomTests
{
    [Fact]
    public void Saved_state_continues_the_same_stream()
    {
        var a = new SearchRandom(5);
        for (int i = 0; i < 10; i++) a.NextDouble();
        var b = SearchRandom.FromState(a.State);
        for (int i = 0; i < 100; i++) Assert.Equal(a.NextUInt64(), b.NextUInt64());
    }

    [Fact]
    public void Truncated_normal_stays_in_range_with_the_right_mean_and_spread()
    {
        var r = new SearchRandom(1);
        var xs = Enumerable.Range(0, 20000).Select(_ => r.TruncatedNormal(0.5, 0.1, 0.2, 1.0)).ToArray();
        Assert.All(xs, x => Assert.InRange(x, 0.2, 1.0));
        Assert.InRange(xs.Average(), 0.49, 0.51);
        double sd = Math.Sqrt(xs.Select(x => (x - 0.5) * (x - 0.5)).Average());
        Assert.InRange(sd, 0.095, 0.105); // 3 sigma inside the interval: barely truncated
        // Far outside the interval it still terminates inside it.
        Assert.InRange(r.TruncatedNormal(5.0, 0.01, 0.2, 1.0), 0.2, 1.0);
    }

    [Fact]
    public void Replay_ring_keeps_the_newest_and_restores_in_order()
    {
        var buffer = new ReplayBuffer(3);
        for (int i = 0; i < 5; i++) buffer.Add(new Transition([i], i, 0, [i], false));
        Assert.Equal(new float[] { 2, 3, 4 }, buffer.InOrder().Select(t => t.Action));
        var copy = new ReplayBuffer(3);
        copy.Restore(buffer.InOrder());
        copy.Add(new Transition([5], 5, 0, [5], false));
        buffer.Add(new Transition([5], 5, 0, [5], false));
        Assert.Equal(buffer.InOrder().Select(t => t.Action), copy.InOrder().Select(t => t.Action));
    }
}
