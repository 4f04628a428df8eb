using Amc.Graph;
using Amc.Latency;
using Amc.Pruning;
using Amc.Quantization;
using Amc.Search;
using Amc.Torch;

// How well the mixed-precision latency prediction (float and int8 tables of one network) matches
// the network ONNX Runtime runs, policy by policy (docs/BENCHMARKS.md, "Mixed-precision latency"):
// every group int8, every group float, each group alone in float, and random mixes at random
// widths, all timed end to end, interleaved, at batch 1.
//   MixedLatency CHECKPOINT [RANDOM-POLICIES] [THREADS] [SEED] [--fresh]
// --fresh measures both tables again (into the cache) instead of reading them from it.
bool fresh = args.Contains("--fresh");
args = args.Where(a => a != "--fresh").ToArray();
string path = args[0];
int randomPolicies = args.Length > 1 ? int.Parse(args[1]) : 8;
int threads = args.Length > 2 ? int.Parse(args[2]) : 1;
var rng = new Random(args.Length > 3 ? int.Parse(args[3]) : 1);

var ck = Checkpoint.Load(path);
var graph = ChannelGraph.Build(ck.Network);
var options = new SearchOptions { Resource = Resource.Latency, MixedPrecision = true };
var reachable = PruningEnvironment.ReachableWidths(graph, options, 8);
var floatTable = LatencyTableBuilder.Build(ck.Network, graph, reachable, new LatencyTableOptions(Threads: threads, UseCache: !fresh)).Table;
var int8Table = LatencyTableBuilder.Build(ck.Network, graph, reachable, new LatencyTableOptions(Threads: threads, Int8: true, UseCache: !fresh)).Table;
var mixed = new MixedPrecisionLatency(floatTable, int8Table, ck.Network, graph);

var prunable = graph.Prunable.Select(g => g.Id).ToArray();
var full = Policy.Full(graph);
var policies = new List<(string Name, Policy Policy)>
{
    ("every group float", full),
    ("every group int8", full.WithInt8(prunable)),
};
var probed = int8Table.Probes?.FloatGroups.Select(p => p.Group).ToHashSet() ?? [];
foreach (int g in prunable)
    policies.Add(($"group {g} ({graph.Groups[g].Name}) float, the rest int8{(probed.Contains(g) ? " (a probe)" : "")}", full.WithInt8(prunable.Where(x => x != g))));
for (int i = 0; i < randomPolicies; i++)
{
    var widths = reachable.Select(r => r[rng.Next(r.Count)]);
    var policy = Policy.OfWidths(widths).WithInt8(prunable.Where(_ => rng.NextDouble() < 0.7));
    policies.Add(($"random {i + 1}: {policy}", policy));
}

using var module = new GraphModule(ck.Network);
var weights = module.Tensors();
var candidates = policies.Select(p =>
{
    var pruned = NetworkPruner.ToWidths(ck.Network, graph, weights, p.Policy);
    return new LatencyCandidate(p.Name, pruned.Network, pruned.Weights, mixed.PredictMs(p.Policy),
        QuantizationSettings.ForMixedPolicy(pruned.Network, ChannelGraph.Build(pruned.Network), p.Policy));
}).ToList();
var measured = LatencyCheck.Measure(candidates, threads, warmup: 20, repeats: 300);
Console.WriteLine($"{Path.GetFileName(path)}, {threads} thread(s): tables {floatTable.WholeNetworkMs:F3} ms float, {int8Table.WholeNetworkMs:F3} ms int8 at full width; " +
    $"conversions fitted to the probes at {mixed.Conversion?.PerElementNs:F3} ns per element");
Console.WriteLine("| policy | predicted ms | predicted without conversions | measured ms (p10–p90) | error | error without conversions |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|");
for (int i = 0; i < policies.Count; i++)
{
    var m = measured[i];
    double plain = mixed.PredictMsWithoutConversions(policies[i].Policy);
    Console.WriteLine($"| {policies[i].Name} | {m.PredictedMs:F3} | {plain:F3} | {m.Measured.Median:F3} ({m.Measured.P10:F3}–{m.Measured.P90:F3}) | " +
        $"{100 * (m.PredictedMs / m.Measured.Median - 1):+0.0;-0.0} % | {100 * (plain / m.Measured.Median - 1):+0.0;-0.0} % |");
}
