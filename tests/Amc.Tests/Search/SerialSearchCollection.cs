namespace Amc.Tests.Search;

/// <summary>
/// Tests that compare a search's log with exact values run alone, after the parallel tests: the
/// tiny setup draws its weights from libtorch's process-wide generator, which tests running in
/// parallel also draw from, so under contention the same seed gave other weights (and another log).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialSearchCollection
{
    public const string Name = "searches compared with exact logs";
}
