using Amc.Pruning;
using Amc.Reports;
using Amc.Search;

namespace Amc.Sessions;

/// <summary>What a sparsity search found, as written to results.json and summary.md.</summary>
/// <param name="Policy">The best policy as saved in best-policy.json, for `amc prune --policy`.</param>
/// <param name="Results">The original, the uniform sparsity of the same budget, then the search's best.
/// Their Channels are the weights each Conv2d / Linear layer keeps; Params count non-zero parameters.</param>
/// <param name="SparseOnnxBytes">Each row's size as the ONNX file `amc export --onnx --sparse` writes, by row name.</param>
public sealed record SparsitySearchResult(
    string OutputFolder,
    BestPolicy Best,
    SparsityPolicy Policy,
    IReadOnlyList<PolicyResult> Results,
    IReadOnlyList<ConfirmedPolicy>? Confirmed,
    IReadOnlyDictionary<string, long> SparseOnnxBytes,
    string Metric = "top-1")
{
    public PolicyResult Original => Results.Single(r => r.Kind == PolicyKind.Original);
    public PolicyResult Searched => Results.Single(r => r.Kind == PolicyKind.Search);
    public PolicyResult? Uniform => Results.SingleOrDefault(r => r.Kind == PolicyKind.Baseline);
}
