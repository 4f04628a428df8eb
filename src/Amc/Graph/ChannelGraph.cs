namespace Amc.Graph;

/// <summary>
/// The channel groups of a network and, for every tensor, how its channel axis is made of groups
/// (a Concat output holds several, a Flatten output repeats each channel h*w times). Derived from
/// the description alone: no tracing.
/// </summary>
public sealed class ChannelGraph
{
    public IReadOnlyList<ChannelGroup> Groups { get; }

    /// <summary>Layout of the channel axis of each tensor, by producing layer ("input" included).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<ChannelSegment>> Layout { get; }

    public IEnumerable<ChannelGroup> Prunable => Groups.Where(g => g.Prunable);

    public ChannelGroup this[string name] => Groups.FirstOrDefault(g => g.Name == name)
        ?? throw new KeyNotFoundException($"no channel group named '{name}'");

    ChannelGraph(IReadOnlyList<ChannelGroup> groups, IReadOnlyDictionary<string, IReadOnlyList<ChannelSegment>> layout)
    {
        Groups = groups;
        Layout = layout;
    }

    /// <summary>
    /// A grouped conv as wide as its input: output channel i reads only the block (group) of input
    /// channels holding i, so both sides keep the same blocks. A depthwise conv is the case of
    /// one-channel blocks; a 1-channel ordinary conv is not one.
    /// </summary>
    public static bool IsBlockwise(Layer l, int inChannels) =>
        l.Kind == LayerKind.Conv2d && l.GroupCount > 1 && l.Out == inChannels;

    /// <summary>Channels per group of a blockwise conv (1 for a depthwise one).</summary>
    public static int BlockOf(Layer l) => l.Out!.Value / l.GroupCount;

    public static ChannelGraph Build(Network net)
    {
        var shapes = ShapeInference.Infer(net);
        var spaces = new UnionFind();
        var size = new List<int>();
        var fixedReason = new Dictionary<int, string>();
        var layout = new Dictionary<string, List<(int Space, int Channels, int Repeat)>>();
        var blocks = new List<(int Space, int Block)>();

        int NewSpace(int channels)
        {
            size.Add(channels);
            return spaces.Add();
        }
        void Fix(IEnumerable<(int Space, int Channels, int Repeat)> segs, string reason)
        {
            foreach (var s in segs) fixedReason.TryAdd(s.Space, reason);
        }

        int inputSpace = NewSpace(net.Input.C);
        fixedReason[inputSpace] = "network input";
        layout[Network.InputName] = [(inputSpace, net.Input.C, 1)];
        var producerOf = new Dictionary<string, int>();

        foreach (var l in net.Layers)
        {
            var inLayout = layout[l.Inputs[0]];
            var inShape = shapes[l.Inputs[0]];
            var outShape = shapes[l.Name];
            switch (LayerRules.Of(l).Role(l, inShape))
            {
                case ChannelRole.Grouped:
                {
                    // A grouped conv wider or narrower than its input ties blocks of different sizes on its
                    // two sides; we leave both whole.
                    Fix(inLayout, $"read by grouped conv '{l.Name}'");
                    int s = NewSpace(outShape.C);
                    fixedReason[s] = $"output of grouped conv '{l.Name}'";
                    layout[l.Name] = [(s, outShape.C, 1)];
                    break;
                }
                case ChannelRole.Producer:
                {
                    int s = NewSpace(outShape.C);
                    producerOf[l.Name] = s;
                    layout[l.Name] = [(s, outShape.C, 1)];
                    break;
                }
                case ChannelRole.Flatten:
                {
                    int repeat = inShape.Flat ? 1 : inShape.H * inShape.W;
                    layout[l.Name] = inLayout.Select(s => (s.Space, s.Channels, s.Repeat * repeat)).ToList();
                    break;
                }
                case ChannelRole.Add:
                {
                    var layouts = l.Inputs.Select(i => layout[i]).ToList();
                    bool aligned = layouts.All(x => x.Count == inLayout.Count &&
                        x.Zip(inLayout).All(p => p.First.Channels == p.Second.Channels && p.First.Repeat == p.Second.Repeat));
                    if (aligned)
                    {
                        foreach (var other in layouts.Skip(1))
                            for (int i = 0; i < other.Count; i++) spaces.Union(inLayout[i].Space, other[i].Space);
                    }
                    else
                    {
                        foreach (var x in layouts) Fix(x, $"differently split inputs of add '{l.Name}'");
                    }
                    layout[l.Name] = inLayout;
                    break;
                }
                case ChannelRole.Concat:
                    layout[l.Name] = l.Inputs.SelectMany(i => layout[i]).ToList();
                    break;
                case ChannelRole.PassThrough when IsBlockwise(l, inShape.C) && BlockOf(l) > 1:
                    // Whole blocks of one group can be dropped; blocks cutting across the groups of
                    // a concat (or a flatten) cannot, so those inputs stay whole.
                    if (inLayout is [{ Repeat: 1 } only]) blocks.Add((only.Space, BlockOf(l)));
                    else Fix(inLayout, $"read by grouped conv '{l.Name}', whose groups span {inLayout.Count} channel groups");
                    layout[l.Name] = inLayout;
                    break;
                default: // Keep and PassThrough (BN, depthwise conv, activations, pooling...) keep the channel axis
                    layout[l.Name] = inLayout;
                    break;
            }
        }
        Fix(layout[net.Output.Name], "network output (logits)");

        // Collapse spaces into groups, numbered in forward order of their first appearance.
        var groupOfRoot = new Dictionary<int, int>();
        var order = new List<int>();
        foreach (var l in net.Layers.Select(l => l.Name).Prepend(Network.InputName))
            foreach (var s in layout[l])
            {
                int root = spaces.Find(s.Space);
                if (groupOfRoot.TryAdd(root, order.Count)) order.Add(root);
            }
        var reasons = new Dictionary<int, string>();
        foreach (var (space, reason) in fixedReason) reasons.TryAdd(spaces.Find(space), reason);
        // Blocks start at channel 0, so a block of the least common multiple holds whole blocks of each conv.
        var blockOfRoot = new Dictionary<int, int>();
        foreach (var (space, block) in blocks)
        {
            int root = spaces.Find(space);
            blockOfRoot[root] = Lcm(blockOfRoot.GetValueOrDefault(root, 1), block);
        }

        var producers = order.Select(_ => new List<string>()).ToList();
        var passThrough = order.Select(_ => new List<string>()).ToList();
        var consumers = order.Select(_ => new List<string>()).ToList();
        foreach (var l in net.Layers)
        {
            var inShape = shapes[l.Inputs[0]];
            if (producerOf.TryGetValue(l.Name, out var ps)) producers[groupOfRoot[spaces.Find(ps)]].Add(l.Name);
            var role = LayerRules.Of(l).Role(l, inShape);
            bool consumes = role == ChannelRole.Producer, passes = role == ChannelRole.PassThrough;
            foreach (var g in layout[l.Inputs[0]].Select(s => groupOfRoot[spaces.Find(s.Space)]).Distinct())
            {
                if (consumes) consumers[g].Add(l.Name);
                if (passes) passThrough[g].Add(l.Name);
            }
        }

        var groups = order.Select((root, id) =>
        {
            string name = producers[id].FirstOrDefault() ?? (id == 0 ? Network.InputName : $"group{id}");
            string? reason = reasons.GetValueOrDefault(root);
            if (reason is null && producers[id].Count == 0) reason = "no producing layer";
            if (reason is null && consumers[id].Count == 0) reason = "no consuming layer";
            int block = blockOfRoot.GetValueOrDefault(root, 1);
            if (reason is null && block >= size[root]) reason = $"its grouped convs' blocks of {block} channels span the whole group";
            return new ChannelGroup(id, name, size[root], producers[id], passThrough[id], consumers[id], reason, block);
        }).ToList();

        var result = layout.ToDictionary(
            kv => kv.Key,
            kv => (IReadOnlyList<ChannelSegment>)kv.Value.Select(s => new ChannelSegment(groupOfRoot[spaces.Find(s.Space)], s.Channels, s.Repeat)).ToList());
        return new ChannelGraph(groups, result);
    }

    /// <summary>
    /// Indices kept along a tensor's channel axis when each group keeps the given channels (sorted
    /// ascending); groups missing from <paramref name="kept"/> keep everything.
    /// </summary>
    public long[] KeptIndices(string tensor, IReadOnlyDictionary<int, int[]> kept)
    {
        var result = new List<long>();
        long offset = 0;
        foreach (var seg in Layout[tensor])
        {
            if (kept.TryGetValue(seg.Group, out var channels))
            {
                foreach (var c in channels)
                    for (int r = 0; r < seg.Repeat; r++) result.Add(offset + (long)c * seg.Repeat + r);
            }
            else
            {
                for (long i = 0; i < (long)seg.Channels * seg.Repeat; i++) result.Add(offset + i);
            }
            offset += (long)seg.Channels * seg.Repeat;
        }
        return result.ToArray();
    }

    internal static int Lcm(int a, int b)
    {
        int x = a, y = b;
        while (y != 0) (x, y) = (y, x % y);
        return a / x * b;
    }

    sealed class UnionFind
    {
        readonly List<int> parent = [];
        public int Add() { parent.Add(parent.Count); return parent.Count - 1; }
        public int Find(int x) { while (parent[x] != x) x = parent[x] = parent[parent[x]]; return x; }
        public void Union(int a, int b) { a = Find(a); b = Find(b); if (a != b) parent[Math.Max(a, b)] = Math.Min(a, b); }
    }
}
