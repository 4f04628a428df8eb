using Amc.Graph;

namespace Amc.Pruning;

/// <summary>
/// Kept channel counts are rounded to a multiple (default 8) because CPUs and phone kernels run
/// whole vector lanes; a group no larger than the multiple is never rounded. AMC rounds up; so
/// do we, and the search's budget wall reasons about the rounded counts so the budget holds.
/// </summary>
internal static class ChannelRounding
{
    /// <summary>
    /// The multiple a group's kept count is rounded to: <paramref name="round"/>, or for a group
    /// kept in blocks (<see cref="ChannelGroup.Block"/>) the least common multiple of both, or
    /// the block alone where that multiple would leave the group nothing to choose.
    /// </summary>
    public static int Multiple(ChannelGroup group, int round)
    {
        if (group.Block <= 1) return round;
        int lcm = ChannelGraph.Lcm(Math.Max(round, 1), group.Block);
        return lcm < group.Channels ? lcm : group.Block;
    }

    /// <summary>The kept count for a keep ratio, rounded up to the group's <see cref="Multiple"/>.</summary>
    public static int Channels(ChannelGroup group, double keep, int round) => Channels(group.Channels, keep, Multiple(group, round));

    public static int Channels(int total, double keep, int multiple)
    {
        if (total < 1) throw new ArgumentOutOfRangeException(nameof(total));
        int d = Math.Clamp((int)Math.Round(total * keep, MidpointRounding.AwayFromZero), 1, total);
        return RoundUp(total, d, multiple);
    }

    /// <summary>Rounds a count up to the next allowed value (a multiple, or the full width).</summary>
    public static int RoundUp(int total, int count, int multiple)
    {
        count = Math.Clamp(count, 1, total);
        if (multiple <= 1 || total <= multiple) return count;
        return Math.Min(total, (count + multiple - 1) / multiple * multiple);
    }

    /// <summary>Every count a group can be pruned to, ascending (the full width always included).</summary>
    public static IReadOnlyList<int> Allowed(int total, int multiple)
    {
        if (multiple <= 1 || total <= multiple) return Enumerable.Range(1, total).ToList();
        var values = new List<int>();
        for (int c = multiple; c < total; c += multiple) values.Add(c);
        values.Add(total);
        return values;
    }
}
