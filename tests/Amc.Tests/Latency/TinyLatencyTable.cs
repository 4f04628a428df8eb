using Amc.Graph;
using Amc.Models;
using Amc.Search;
using Amc.Tests.Data;
using Amc.Latency;

namespace Amc.Tests.Latency;

/// <summary>
/// A quarter-width ResNet-20 on 1x8x8 (4, 8 and 16 channels) and its latency table, measured once
/// per test class with one warm-up and three repeats: the numbers are noise, the structure is not.
/// </summary>
public sealed class TinyLatencyTable : IDisposable
{
    public const int Round = 4;
    readonly TempFolder cache = new();

    public Network Network { get; } = ModelZoo.Build("resnet20", new ModelOptions(new TensorShape(1, 8, 8), Classes: 4, WidthMultiplier: 0.25));
    public ChannelGraph Graph { get; }
    public SearchOptions Search { get; } = new() { Resource = Resource.Latency };
    public IReadOnlyList<int>[] Reachable { get; }
    public LatencyTableOptions Options { get; }
    public LatencyTableBuild Build { get; }
    public LatencyTable Table => Build.Table;
    public List<LatencyTableProgress> Progress { get; } = [];

    public TinyLatencyTable()
    {
        Graph = ChannelGraph.Build(Network);
        Reachable = PruningEnvironment.ReachableWidths(Graph, Search, Round);
        Options = new LatencyTableOptions(Warmup: 1, Repeats: 3, CacheDirectory: cache.Path);
        Build = LatencyTableBuilder.Build(Network, Graph, Reachable, Options, Progress.Add);
    }

    public void Dispose() => cache.Dispose();
}
