using System.Text.Json.Serialization;

namespace Amc.Graph;

/// <summary>
/// What a policy decides for one channel group: how many channels it keeps, and whether the layers
/// that make its channels run in int8 (a mixed-precision search) or in float.
/// </summary>
internal readonly record struct GroupChoice(int Width, bool Int8 = false);

/// <summary>
/// A compression policy in memory: one <see cref="GroupChoice"/> per channel group of a network,
/// by group id, fixed groups included (at their full width). Immutable, and equal to any policy
/// with the same choices, so policies can be compared and deduplicated. On disk it is a
/// <see cref="Amc.Pruning.PruningPolicy"/> (by group name), in the search's files its widths.
/// The fine-grained search (Amc.Search.SparsityEnvironment) uses the same type for one count of
/// kept weights per conv / linear layer, by layer index; on disk that is a Amc.Pruning.SparsityPolicy.
/// </summary>
[JsonConverter(typeof(PolicyJsonConverter))]
public sealed record Policy
{
    readonly GroupChoice[] groups;

    Policy(GroupChoice[] groups) => this.groups = groups;

    /// <summary>Every group of the graph at its original width: the unpruned network.</summary>
    public static Policy Full(ChannelGraph graph) => new(graph.Groups.Select(g => new GroupChoice(g.Channels)).ToArray());

    /// <summary>A policy from every group's width, by group id.</summary>
    public static Policy OfWidths(IEnumerable<int> widths) => new(widths.Select(w => new GroupChoice(w)).ToArray());

    /// <summary>Groups it decides (all the network's).</summary>
    public int Count => groups.Length;

    public int Width(int group) => groups[group].Width;

    /// <summary>The width of a tensor whose channels are laid out as <paramref name="layout"/> (<see cref="ChannelGraph.Layout"/>).</summary>
    public int Width(IReadOnlyList<ChannelSegment> layout)
    {
        int total = 0;
        foreach (var s in layout) total += groups[s.Group].Width * s.Repeat;
        return total;
    }

    /// <summary>Every group's width, by group id.</summary>
    public int[] Widths() => groups.Select(g => g.Width).ToArray();

    /// <summary>Whether the layers making group <paramref name="group"/>'s channels run in int8.</summary>
    public bool IsInt8(int group) => groups[group].Int8;

    /// <summary>Ids of the groups chosen int8, ascending.</summary>
    public int[] Int8Groups() => Enumerable.Range(0, groups.Length).Where(i => groups[i].Int8).ToArray();

    public Policy WithInt8(int group, bool int8)
    {
        var copy = (GroupChoice[])groups.Clone();
        copy[group] = copy[group] with { Int8 = int8 };
        return new Policy(copy);
    }

    /// <summary>This policy with the given groups int8 (others unchanged).</summary>
    public Policy WithInt8(IEnumerable<int> int8Groups)
    {
        var copy = (GroupChoice[])groups.Clone();
        foreach (int g in int8Groups) copy[g] = copy[g] with { Int8 = true };
        return new Policy(copy);
    }

    public Policy WithWidth(int group, int width)
    {
        var copy = (GroupChoice[])groups.Clone();
        copy[group] = copy[group] with { Width = width };
        return new Policy(copy);
    }

    /// <summary>This policy with the given groups' widths replaced.</summary>
    public Policy WithWidths(IEnumerable<(int Group, int Width)> changes)
    {
        var copy = (GroupChoice[])groups.Clone();
        foreach (var (group, width) in changes) copy[group] = copy[group] with { Width = width };
        return new Policy(copy);
    }

    /// <summary>This policy with the given groups' choices (width and precision) taken from <paramref name="other"/>.</summary>
    public Policy WithChoicesOf(Policy other, IEnumerable<int> groupIds)
    {
        var copy = (GroupChoice[])groups.Clone();
        foreach (int g in groupIds) copy[g] = other.groups[g];
        return new Policy(copy);
    }

    /// <summary>The widths of the given groups in their order: the per-step view of a search (one channel count per step).</summary>
    public int[] StepWidths(IReadOnlyList<ChannelGroup> steps) => steps.Select(g => Width(g.Id)).ToArray();

    /// <summary>This policy with the steps' groups at the given widths (one per step, in step order).</summary>
    public Policy WithStepWidths(IReadOnlyList<ChannelGroup> steps, IReadOnlyList<int> widths) =>
        WithWidths(steps.Select((g, i) => (g.Id, widths[i])));

    public bool Equals(Policy? other) => other is not null && groups.AsSpan().SequenceEqual(other.groups);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var g in groups) hash.Add(g);
        return hash.ToHashCode();
    }

    /// <summary>Widths by group id, an int8 group's marked "q": [16q, 12, ...].</summary>
    public override string ToString() => $"[{string.Join(", ", groups.Select(g => g.Int8 ? $"{g.Width}q" : g.Width.ToString()))}]";
}
