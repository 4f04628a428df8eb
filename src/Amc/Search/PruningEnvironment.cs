using Amc.Graph;
using Amc.Pruning;

namespace Amc.Search;

/// <summary>What one step did: the agent's raw action, the keep ratio after clipping to
/// [lbound, rbound], and the width after rounding and the budget wall.</summary>
public sealed record StepResult(double RawAction, double ClippedKeep, int Channels, double RealizedKeep, float[] Next, bool Done);

/// <summary>
/// AMC's environment: an episode visits the prunable channel groups in forward order; each step
/// turns the agent's keep ratio into a width (clip, round, wall) and moves on. The reward is
/// computed outside, once the whole policy is known (it needs pruning and evaluation).
/// </summary>
public sealed class PruningEnvironment
{
    readonly ChannelGraph graph;
    readonly SearchOptions options;
    readonly StateEmbedding embedding;
    readonly GroupWidthCost cost;
    readonly BudgetWall? wall;
    readonly int[] minimum;
    readonly IReadOnlyList<int>[] candidates;
    readonly long originalMacs;
    int[] widths = [];
    int t;
    double previousKeep;

    public IReadOnlyList<ChannelGroup> Steps { get; }
    public int Round { get; }
    public BudgetWall? Wall => wall;

    /// <param name="latency">Predicted latency (ns) at given group widths; required when the
    /// budget is <see cref="Resource.Latency"/>, e.g. Amc.Latency.LatencyTable.PredictNanoseconds.</param>
    public PruningEnvironment(Network net, ChannelGraph graph, SearchOptions options, int round, Func<IReadOnlyList<int>, long>? latency = null)
    {
        if (!(options.LowerBound > 0 && options.LowerBound <= options.UpperBound && options.UpperBound <= 1))
            throw new ArgumentException($"need 0 < lbound <= rbound <= 1, got lbound {options.LowerBound}, rbound {options.UpperBound}");
        this.graph = graph;
        this.options = options;
        Round = round;
        Steps = graph.Prunable.ToList();
        if (Steps.Count == 0) throw new InvalidNetworkException($"network '{net.Name}' has no prunable channel group");
        cost = new GroupWidthCost(net, graph);
        originalMacs = cost.Of(cost.FullWidths()).Macs;
        embedding = new StateEmbedding(net, graph, Steps);
        candidates = ReachableWidths(graph, options, round);
        minimum = candidates.Select(c => c[0]).ToArray();
        if (options.Resource == Resource.Latency)
        {
            if (options.Mode != SearchMode.Resource)
                throw new ArgumentException("latency can only be a budget (resource-constrained mode), not an accuracy-mode reward term");
            if (latency is null) throw new ArgumentException("a latency budget needs the latency table's prediction");
            wall = new BudgetWall(latency, options.Resource, options.Target, minimum, cost.FullWidths());
        }
        else if (options.Mode == SearchMode.Resource)
            wall = new BudgetWall(cost, options.Resource, options.Target, minimum);
    }

    /// <summary>
    /// The widths each group can end at, ascending, by group id: the allowed rounded widths within
    /// [lbound, rbound] for a prunable group, the full width for a fixed one. What a latency table
    /// must cover.
    /// </summary>
    public static IReadOnlyList<int>[] ReachableWidths(ChannelGraph graph, SearchOptions options, int round)
    {
        var result = graph.Groups.Select(g => (IReadOnlyList<int>)[g.Channels]).ToArray();
        foreach (var g in graph.Prunable)
        {
            int low = ChannelRounding.Channels(g.Channels, options.LowerBound, round);
            int high = ChannelRounding.Channels(g.Channels, options.UpperBound, round);
            result[g.Id] = ChannelRounding.Allowed(g.Channels, round).Where(c => c >= low && c <= high).ToList();
        }
        return result;
    }

    public int StepCount => Steps.Count;

    /// <summary>Current widths of every group (undecided groups at full width).</summary>
    public int[] Widths => (int[])widths.Clone();

    public (long Macs, long Params) Cost(IReadOnlyList<int> w) => cost.Of(w);

    /// <summary>Every group at its original width.</summary>
    public int[] FullWidths() => cost.FullWidths();

    /// <summary>Every group's width from one channel count per step (as episodes and policies list them).</summary>
    public int[] WidthsOf(IReadOnlyList<int> stepChannels)
    {
        var w = cost.FullWidths();
        for (int i = 0; i < Steps.Count; i++) w[Steps[i].Id] = stepChannels[i];
        return w;
    }

    public float[] Reset()
    {
        widths = cost.FullWidths();
        t = 0;
        previousKeep = 1.0;
        return State(0);
    }

    /// <summary>
    /// The state for deciding step t. Under a params or latency budget, "reduced" and "rest" are in
    /// that resource, as the wall measures it, not in MACs: latency has a large part that no width
    /// removes, so MAC fractions would hide how close the budget is. There "rest" is what the later
    /// groups can still remove (down to their minimum widths). Under a MAC budget (or none) the
    /// paper's features are kept exactly.
    /// </summary>
    float[] State(int step)
    {
        if (wall is null || options.Resource == Resource.Macs)
            return embedding.State(step, originalMacs - cost.Of(widths).Macs, previousKeep);
        long now = wall.Measure(widths);
        var floor = (int[])widths.Clone();
        for (int later = step + 1; later < Steps.Count; later++) floor[Steps[later].Id] = minimum[Steps[later].Id];
        double original = wall.Original;
        return embedding.State(step, (original - now) / original, (now - wall.Measure(floor)) / original, previousKeep);
    }

    public StepResult Step(double action)
    {
        if (t >= Steps.Count) throw new InvalidOperationException("episode is over; call Reset");
        var g = Steps[t];
        double keep = Math.Clamp(action, options.LowerBound, options.UpperBound);
        int channels = ChannelRounding.Channels(g.Channels, keep, Round);
        channels = Math.Clamp(channels, candidates[g.Id][0], candidates[g.Id][^1]);
        if (wall is not null)
        {
            // Later groups at their minimum: the most this group may keep while the budget stays reachable.
            var probe = (int[])widths.Clone();
            for (int later = t + 1; later < Steps.Count; later++) probe[Steps[later].Id] = minimum[Steps[later].Id];
            int cap = wall.Cap(probe, g.Id, candidates[g.Id]);
            if (channels >= cap) channels = cap;
            else if (!wall.Fits(probe, g.Id, channels))
            {
                // A timed cost need not fall with the width (noise, a different kernel): a width
                // below the cap can cost more than the cap. Take the largest feasible one below it,
                // else the cap, which is always feasible.
                int wanted = channels;
                channels = candidates[g.Id].Where(c => c < wanted).LastOrDefault(c => wall.Fits(probe, g.Id, c), cap);
            }
        }
        widths[g.Id] = channels;
        previousKeep = (double)channels / g.Channels;
        t++;
        bool done = t == Steps.Count;
        var next = State(done ? t - 1 : t);
        return new StepResult(action, keep, channels, previousKeep, next, done);
    }
}
