using Amc.Graph;

namespace Amc.Search;

/// <summary>
/// AMC's fine-grained pruning under a parameter budget: an episode visits every Conv2d and Linear
/// layer in forward order and the agent's action is the fraction of the layer's weights kept
/// (1 - sparsity; the smallest magnitudes go). Its <see cref="Policy"/> holds one count of kept
/// weights per layer, by layer index (<see cref="SparsityLayers"/>). As in the channel search, the
/// action is clipped to [lbound, rbound], rounded (to a whole weight) and capped by the wall so that
/// the budget of non-zero parameters stays reachable with every later layer at its minimum; the
/// cap is exact arithmetic, as the count is linear in the kept weights.
/// </summary>
public sealed class SparsityEnvironment : ISearchEnvironment
{
    readonly SearchOptions options;
    readonly SparsityLayers layers;
    readonly SparsityStateEmbedding embedding;
    readonly long macs;
    readonly int[] low, high;
    Policy policy;
    int t;
    double previousKeep;

    public int StateSize => StateEmbedding.Size;

    public Policy Full { get; }
    public BudgetWall Wall { get; }
    BudgetWall? ISearchEnvironment.Wall => Wall;
    public SparsityLayers Layers => layers;

    public SparsityEnvironment(Network net, SearchOptions options)
    {
        if (options.Mode != SearchMode.Sparsity) throw new ArgumentException($"the sparsity environment is for {SearchMode.Sparsity} mode, not {options.Mode}");
        if (options.Resource != Resource.Params) throw new ArgumentException($"a sparsity search's budget is in parameters, not {options.Resource}");
        if (!(options.Target > 0 && options.Target < 1)) throw new ArgumentException($"the parameter budget must be in (0, 1), got {options.Target}");
        if (!(options.LowerBound > 0 && options.LowerBound <= options.UpperBound && options.UpperBound <= 1))
            throw new ArgumentException($"need 0 < lbound <= rbound <= 1, got lbound {options.LowerBound}, rbound {options.UpperBound}");
        this.options = options;
        layers = SparsityLayers.Of(net);
        macs = CostModel.Of(net).Macs;
        var sizes = layers.Layers.Select(l => l.Size).ToArray();
        // A layer keeps at least one weight: one with none would cut the network.
        low = sizes.Select(n => Math.Max(1, Kept(n, options.LowerBound))).ToArray();
        high = sizes.Select((n, i) => Math.Max(low[i], Kept(n, options.UpperBound))).ToArray();
        Full = Policy.OfWidths(sizes);
        policy = Full;
        embedding = new SparsityStateEmbedding(net, layers);
        Wall = new BudgetWall(layers.NonZero, Resource.Params, options.Target, Policy.OfWidths(low), Full, hint: "lower --lbound to go further");
    }

    /// <summary>Weights kept of <paramref name="n"/> at a kept fraction: SparsityMasks zeroes round(sparsity * n), so this keeps the rest.</summary>
    public static int Kept(int n, double keep) => n - (int)Math.Round((1 - keep) * n, MidpointRounding.AwayFromZero);

    public int StepCount => layers.Layers.Count;
    public string StepName(int step) => layers.Layers[step].Name;
    public int StepSize(int step) => layers.Layers[step].Size;
    public Policy Policy => policy;
    public Policy FromSteps(IReadOnlyList<int> steps) => Policy.OfWidths(steps);

    /// <summary>The dense MACs (zeros are still multiplied by a dense runtime) and the non-zero parameters.</summary>
    public (long Macs, long Params) Cost(Policy p) => (macs, layers.NonZero(p));

    /// <summary>Every layer's sparsity (fraction of its weights zeroed) under a policy, by layer name.</summary>
    public Dictionary<string, double> Sparsity(Policy p) =>
        layers.Layers.Select((l, i) => (l.Name, Value: 1 - (double)p.Width(i) / l.Size)).ToDictionary(x => x.Name, x => x.Value);

    Policy LaterAtMinimum(int step) => policy.WithWidths(Enumerable.Range(step + 1, StepCount - step - 1).Select(i => (i, low[i])));

    public float[] Reset()
    {
        policy = Full;
        t = 0;
        previousKeep = 1.0;
        return State(0);
    }

    /// <summary>As the channel search under a params budget: reduced so far and what the later layers can still remove, as fractions of the original parameters.</summary>
    float[] State(int step)
    {
        long now = Wall.Measure(policy);
        double original = Wall.Original;
        return embedding.State(step, (original - now) / original, (now - Wall.Measure(LaterAtMinimum(step))) / original, previousKeep);
    }

    public StepResult Step(double action)
    {
        if (t >= StepCount) throw new InvalidOperationException("episode is over; call Reset");
        int n = layers.Layers[t].Size;
        double keep = Math.Clamp(action, options.LowerBound, options.UpperBound);
        int kept = Math.Clamp(Kept(n, keep), low[t], high[t]);
        // With later layers at their minimum, this layer may keep what the budget leaves; never below
        // its own minimum, which the feasibility check and the earlier caps guarantee fits.
        var probe = LaterAtMinimum(t);
        long cap = Wall.Budget - (Wall.Measure(probe) - probe.Width(t));
        kept = (int)Math.Max(low[t], Math.Min(kept, cap));
        policy = policy.WithWidth(t, kept);
        previousKeep = (double)kept / n;
        t++;
        bool done = t == StepCount;
        var next = State(done ? t - 1 : t);
        return new StepResult(action, keep, kept, previousKeep, next, done);
    }
}
