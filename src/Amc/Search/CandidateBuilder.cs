using System.Diagnostics;
using Amc.Graph;
using Amc.Pruning;
using Amc.Torch;
using Amc.Training;
using static TorchSharp.torch;

namespace Amc.Search;

/// <summary>
/// What every local scorer does before it evaluates: prune a policy, refit by least squares and
/// re-estimate BN (as <paramref name="options"/> say). Safe to use from several threads at once:
/// the pruner's weights and Gram matrices are only read.
/// </summary>
public sealed class CandidateBuilder(ChannelPruner pruner, PruneOptions options)
{
    public PruneOptions Options => options;
    public ChannelPruner Pruner => pruner;

    /// <summary>The pruned, reconstructed, BN-recalibrated network of a policy (e.g. to test it or save it).</summary>
    public (PrunedNetwork Pruned, GraphModule Module) Build(Policy policy)
    {
        var pruned = pruner.Prune(policy, options);
        return (pruned, pruner.ToModule(pruned, options));
    }

    /// <summary>Builds the policy's network, evaluates it with <paramref name="evaluate"/> and times each stage.</summary>
    public CandidateScore Score(Policy policy, Func<PrunedNetwork, GraphModule, Evaluation> evaluate)
    {
        using var scope = NewDisposeScope();
        var pruned = pruner.Prune(policy, options, out double prune, out double leastSquares);
        var clock = Stopwatch.StartNew();
        using var module = pruner.ToModule(pruned, options);
        double bn = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var evaluation = evaluate(pruned, module);
        double eval = clock.Elapsed.TotalSeconds;
        return Scored(policy, pruned, evaluation, new StageTimes(prune, leastSquares, bn, eval));
    }

    /// <summary>The score of a pruned network evaluated elsewhere (the ONNX Runtime scorer re-estimates BN itself).</summary>
    public static CandidateScore Scored(Policy policy, PrunedNetwork pruned, Evaluation evaluation, StageTimes times)
    {
        var cost = CostModel.Of(pruned.Network);
        return new CandidateScore(policy, cost.Macs, cost.Params, evaluation, times);
    }
}
