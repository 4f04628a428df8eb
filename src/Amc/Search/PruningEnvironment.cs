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
public sealed class PruningEnvironment : ISearchEnvironment
{
    readonly ChannelGraph graph;
    readonly SearchOptions options;
    readonly StateEmbedding embedding;
    readonly GroupWidthCost cost;
    readonly BudgetWall? wall;
    readonly Policy full, minimum;
    readonly IReadOnlyList<int>[] candidates;
    readonly long originalMacs;
    Policy policy;
    int t;
    double previousKeep;

    public IReadOnlyList<ChannelGroup> Steps { get; }
    public int Round { get; }
    public BudgetWall? Wall => wall;

    /// <param name="latency">Predicted latency (ns) of the network under a policy; required when the
    /// budget is <see cref="Resource.Latency"/>, e.g. Amc.Latency.LatencyTable.PredictNanoseconds.</param>
    public PruningEnvironment(Network net, ChannelGraph graph, SearchOptions options, int round, Func<Policy, long>? latency = null)
    {
        if (!(options.LowerBound > 0 && options.LowerBound <= options.UpperBound && options.UpperBound <= 1))
            throw new ArgumentException($"need 0 < lbound <= rbound <= 1, got lbound {options.LowerBound}, rbound {options.UpperBound}");
        if (options.Mode == SearchMode.Sparsity) throw new ArgumentException("sparsity mode steps layers, not channel groups: use SparsityEnvironment");
        this.graph = graph;
        this.options = options;
        Round = round;
        Steps = graph.Prunable.ToList();
        if (Steps.Count == 0) throw new InvalidNetworkException($"network '{net.Name}' has no prunable channel group");
        cost = new GroupWidthCost(net, graph);
        full = cost.Full();
        policy = full;
        originalMacs = cost.Of(full).Macs;
        embedding = new StateEmbedding(net, graph, Steps);
        candidates = ReachableWidths(graph, options, round);
        minimum = Policy.OfWidths(candidates.Select(c => c[0]));
        if (options.Resource == Resource.Latency)
        {
            if (options.Mode != SearchMode.Resource)
                throw new ArgumentException("latency can only be a budget (resource-constrained mode), not an accuracy-mode reward term");
            if (latency is null) throw new ArgumentException("a latency budget needs the latency table's prediction");
            wall = new BudgetWall(latency, options.Resource, options.Target, minimum, full);
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

    public string StepName(int step) => Steps[step].Name;

    public int StepSize(int step) => Steps[step].Channels;

    /// <summary>The policy decided so far (undecided groups at full width).</summary>
    public Policy Policy => policy;

    public (long Macs, long Params) Cost(Policy p) => cost.Of(p);

    /// <summary>Every group at its original width.</summary>
    public Policy Full => full;

    /// <summary>The policy of one channel count per step (as episodes list them), other groups at full width.</summary>
    public Policy FromSteps(IReadOnlyList<int> stepChannels) => full.WithStepWidths(Steps, stepChannels);

    /// <summary>The policy with every group after <paramref name="step"/> at its minimum width: how far the budget can still fall.</summary>
    Policy LaterAtMinimum(int step) => policy.WithWidths(Steps.Skip(step + 1).Select(g => (g.Id, minimum.Width(g.Id))));

    public float[] Reset()
    {
        policy = full;
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
            return embedding.State(step, originalMacs - cost.Of(policy).Macs, previousKeep);
        long now = wall.Measure(policy);
        double original = wall.Original;
        return embedding.State(step, (original - now) / original, (now - wall.Measure(LaterAtMinimum(step))) / original, previousKeep);
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
            var probe = LaterAtMinimum(t);
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
        policy = policy.WithWidth(g.Id, channels);
        previousKeep = (double)channels / g.Channels;
        t++;
        bool done = t == Steps.Count;
        var next = State(done ? t - 1 : t);
        return new StepResult(action, keep, channels, previousKeep, next, done);
    }
}
