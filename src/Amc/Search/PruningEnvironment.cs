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
/// With <see cref="SearchOptions.MixedPrecision"/> each group takes two steps: its width, then the
/// precision of the layers making its channels (<see cref="LayerPrecision"/>), read from the same
/// kind of action: a keep ratio below the middle of [lbound, rbound] is int8 (8 bits), above it
/// float (32 bits). The wall's smallest policy gives each group the precision that is cheaper at
/// the smallest widths (usually int8; not where int8 adds more conversions than it saves), so a
/// width step assumes its group and every later one will end at that precision, and a precision
/// step takes the other one when the chosen would break the budget. The state then has a twelfth
/// feature: 1 on a precision step.
/// </summary>
public sealed class PruningEnvironment : ISearchEnvironment
{
    readonly ChannelGraph graph;
    readonly SearchOptions options;
    readonly StateEmbedding embedding;
    readonly GroupWidthCost cost;
    readonly BudgetWall? wall;
    readonly Policy full, minimum;
    // What the wall may assume the undecided groups end at, all at their smallest widths: the
    // minimum (each group at the precision cheaper at its smallest width) and, in a mixed-precision
    // search, all int8 and all float; a width step also assumes its own group ends at the
    // completion's precision. Assuming the minimum alone capped a group's width as if it were going
    // to stay float (the cheaper at the smallest width, an int8 group carrying fixed costs), which
    // cut ResNet-20's full-width all-int8 policy, within a 50 % budget, to half its channels in layer 2.
    readonly Policy[] completions;
    readonly IReadOnlyList<int>[] candidates;
    readonly long originalMacs;
    readonly bool mixed;
    Policy policy;
    int t;
    double previousKeep;

    public IReadOnlyList<ChannelGroup> Steps { get; }
    public int Round { get; }
    public BudgetWall? Wall => wall;
    /// <summary>The cheapest policy the wall knows of: every group at its smallest width, at the precisions that make it cheapest.</summary>
    public Policy Smallest { get; }
    /// <summary>Whether each group also chooses its precision (<see cref="SearchOptions.MixedPrecision"/>).</summary>
    public bool MixedPrecision => mixed;

    /// <summary>
    /// Whether the budget leaves nothing to search: from the smallest policy, no single group can
    /// take its next width (or, mixed, its other precision) and stay within the wall, so every
    /// episode ends at that one policy.
    /// </summary>
    public bool LeavesNoChoice => wall is not null && !Steps.Any(g =>
        (candidates[g.Id].Count > 1 && wall.Fits(Smallest, g.Id, candidates[g.Id][1]))
        || (mixed && wall.Measure(Smallest.WithInt8(g.Id, !Smallest.IsInt8(g.Id))) <= wall.Budget));

    /// <summary>The bits a precision step gives an int8 and a float group (its "channels" in episodes and results).</summary>
    public const int Int8Bits = 8, FloatBits = 32;

    /// <param name="latency">Predicted latency (ns) of the network under a policy; required when the
    /// budget is <see cref="Resource.Latency"/>, e.g. Amc.Latency.LatencyTable.PredictNanoseconds
    /// (a mixed-precision search: Amc.Latency.MixedPrecisionLatency's, which reads the precisions).</param>
    public PruningEnvironment(Network net, ChannelGraph graph, SearchOptions options, int round, Func<Policy, long>? latency = null)
    {
        if (!(options.LowerBound > 0 && options.LowerBound <= options.UpperBound && options.UpperBound <= 1))
            throw new ArgumentException($"need 0 < lbound <= rbound <= 1, got lbound {options.LowerBound}, rbound {options.UpperBound}");
        if (options.Mode == SearchMode.Sparsity) throw new ArgumentException("sparsity mode steps layers, not channel groups: use SparsityEnvironment");
        this.graph = graph;
        this.options = options;
        mixed = options.MixedPrecision;
        if (mixed && options.Resource != Resource.Latency)
            throw new ArgumentException("a mixed-precision search needs a latency budget: int8 changes neither MACs nor parameters");
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
        if (mixed) minimum = CheaperPrecisions(minimum, latency ?? throw new ArgumentException("a latency budget needs the latency table's prediction"));
        completions = mixed ? new[] { minimum, AllInt8(minimum), Steps.Aggregate(minimum, (p, g) => p.WithInt8(g.Id, false)) }.Distinct().ToArray() : [minimum];
        Smallest = latency is null ? minimum : completions.MinBy(c => latency(c))!;
        if (options.Resource == Resource.Latency)
        {
            if (options.Mode != SearchMode.Resource)
                throw new ArgumentException("latency can only be a budget (resource-constrained mode), not an accuracy-mode reward term");
            if (latency is null) throw new ArgumentException("a latency budget needs the latency table's prediction");
            wall = new BudgetWall(latency, options.Resource, options.Target, Smallest, full);
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
            int multiple = ChannelRounding.Multiple(g, round);
            int low = ChannelRounding.Channels(g.Channels, options.LowerBound, multiple);
            int high = ChannelRounding.Channels(g.Channels, options.UpperBound, multiple);
            result[g.Id] = ChannelRounding.Allowed(g.Channels, multiple).Where(c => c >= low && c <= high).ToList();
        }
        return result;
    }

    public int StepCount => mixed ? 2 * Steps.Count : Steps.Count;

    public int StateSize => mixed ? StateEmbedding.Size + 1 : StateEmbedding.Size;

    public string StepName(int step) => IsPrecisionStep(step) ? $"{GroupOf(step).Name} precision" : GroupOf(step).Name;

    public int StepSize(int step) => IsPrecisionStep(step) ? FloatBits : GroupOf(step).Channels;

    bool IsPrecisionStep(int step) => mixed && step % 2 == 1;

    int GroupIndex(int step) => mixed ? step / 2 : step;

    ChannelGroup GroupOf(int step) => Steps[GroupIndex(step)];

    /// <summary>The smallest widths with each searched group at the precision that makes them cheaper, one group after another from all int8.</summary>
    Policy CheaperPrecisions(Policy smallest, Func<Policy, long> latency)
    {
        var p = AllInt8(smallest);
        foreach (var g in Steps)
            if (p.WithInt8(g.Id, false) is var f && latency(f) < latency(p)) p = f;
        return p;
    }

    /// <summary>The policy with every searched group in int8 in a mixed-precision search (the baselines' precision); unchanged otherwise.</summary>
    public Policy AllInt8(Policy p) => mixed ? p.WithInt8(Steps.Select(g => g.Id)) : p;

    /// <summary>The policy decided so far (undecided groups at full width).</summary>
    public Policy Policy => policy;

    public (long Macs, long Params) Cost(Policy p) => cost.Of(p);

    /// <summary>Every group at its original width.</summary>
    public Policy Full => full;

    /// <summary>The policy of one integer per step (as episodes list them: a channel count, and in a
    /// mixed-precision search each group's bits after it), other groups at full width in float.</summary>
    public Policy FromSteps(IReadOnlyList<int> steps)
    {
        if (!mixed) return full.WithStepWidths(Steps, steps);
        var widths = full.WithStepWidths(Steps, Enumerable.Range(0, Steps.Count).Select(i => steps[2 * i]).ToList());
        return widths.WithInt8(Enumerable.Range(0, Steps.Count).Where(i => steps[2 * i + 1] == Int8Bits).Select(i => Steps[i].Id));
    }

    /// <summary>The integer per step of a policy: the inverse of <see cref="FromSteps"/>.</summary>
    public int[] ToSteps(Policy p) => mixed
        ? Steps.SelectMany(g => new[] { p.Width(g.Id), p.IsInt8(g.Id) ? Int8Bits : FloatBits }).ToArray()
        : p.StepWidths(Steps);

    /// <summary>
    /// The actions that lead an episode to <paramref name="p"/>: each group's keep ratio (its width
    /// over its channels, which the rounding maps back to the width) and, in a mixed-precision
    /// search, the lowest action for int8 and the highest for float.
    /// </summary>
    public double[] ActionsFor(Policy p) => mixed
        ? Steps.SelectMany(g => new[] { (double)p.Width(g.Id) / g.Channels, p.IsInt8(g.Id) ? options.LowerBound : options.UpperBound }).ToArray()
        : Steps.Select(g => (double)p.Width(g.Id) / g.Channels).ToArray();

    /// <summary>The policy with every group after the <paramref name="group"/>-th searched one at its minimum
    /// (width, and precision in a mixed-precision search): how far the budget can still fall.</summary>
    Policy LaterAtMinimum(int group) => LaterAt(minimum, group);

    Policy LaterAt(Policy completion, int group) => policy.WithChoicesOf(completion, Steps.Skip(group + 1).Select(g => g.Id));

    /// <summary>Whether some completion of the later groups (<see cref="completions"/>) meets the budget with <paramref name="group"/>'s choice in <paramref name="decided"/>.</summary>
    bool Reachable(int group, Func<Policy, Policy> decided) =>
        completions.Any(c => wall!.Measure(decided(LaterAt(c, group))) <= wall.Budget);

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
        int k = GroupIndex(step);
        if (wall is null || options.Resource == Resource.Macs)
            return embedding.State(k, originalMacs - cost.Of(policy).Macs, previousKeep);
        long now = wall.Measure(policy);
        double original = wall.Original;
        var state = embedding.State(k, (original - now) / original, (now - wall.Measure(LaterAtMinimum(k))) / original, previousKeep);
        return mixed ? [.. state, IsPrecisionStep(step) ? 1f : 0f] : state;
    }

    public StepResult Step(double action)
    {
        if (t >= StepCount) throw new InvalidOperationException("episode is over; call Reset");
        var g = GroupOf(t);
        double keep = Math.Clamp(action, options.LowerBound, options.UpperBound);
        if (IsPrecisionStep(t)) return Precision(g, action, keep);
        int channels = ChannelRounding.Channels(g, keep, Round);
        channels = Math.Clamp(channels, candidates[g.Id][0], candidates[g.Id][^1]);
        if (wall is not null)
        {
            // Later groups at a completion: the most this group may keep while the budget stays reachable.
            // Its own precision is decided next: at the completion's, every width below the cap stays feasible.
            int index = GroupIndex(t);
            Policy Probe(Policy c) => mixed ? LaterAt(c, index).WithInt8(g.Id, c.IsInt8(g.Id)) : LaterAt(c, index);
            int cap = completions.Max(c => wall.Cap(Probe(c), g.Id, candidates[g.Id]));
            bool Fits(int width) => completions.Any(c => wall.Fits(Probe(c), g.Id, width));
            if (channels >= cap) channels = cap;
            else if (!Fits(channels))
            {
                // A timed cost need not fall with the width (noise, a different kernel): a width
                // below the cap can cost more than the cap. Take the largest feasible one below it,
                // else the cap, which is always feasible.
                int wanted = channels;
                channels = candidates[g.Id].Where(c => c < wanted).LastOrDefault(Fits, cap);
            }
        }
        policy = policy.WithWidth(g.Id, channels);
        return Advance(action, keep, channels, (double)channels / g.Channels);
    }

    /// <summary>A precision step: int8 below the middle of the action range, float above it; the other
    /// one when no completion of the later groups meets the budget with the chosen (the width step
    /// made sure one does with the other).</summary>
    StepResult Precision(ChannelGroup g, double action, double keep)
    {
        bool int8 = keep < (options.LowerBound + options.UpperBound) / 2;
        if (wall is not null && !Reachable(GroupIndex(t), p => p.WithInt8(g.Id, int8))) int8 = !int8;
        policy = policy.WithInt8(g.Id, int8);
        int bits = int8 ? Int8Bits : FloatBits;
        return Advance(action, keep, bits, (double)bits / FloatBits);
    }

    StepResult Advance(double action, double keep, int value, double realizedKeep)
    {
        previousKeep = realizedKeep;
        t++;
        bool done = t == StepCount;
        var next = State(done ? t - 1 : t);
        return new StepResult(action, keep, value, realizedKeep, next, done);
    }
}
