using Amc.Onnx;
using Amc.Pruning;
using Amc.Search;
using Amc.Torch;
using Amc.Training;

namespace Amc.Sessions;

/// <summary>
/// How a search scores its candidates: the seeded calibration sample, the pruner over it, the
/// held-out images and the candidate builder. A search and a distributed worker both make it
/// here, so a worker's scores are the in-process search's. Under a reward on agreement or
/// fidelity the held-out images carry the unpruned network's outputs, computed once by the
/// scoring engine itself, so the original agrees with itself exactly.
/// </summary>
public sealed class SearchScoring : IDisposable
{
    public TensorBatches Calibration { get; }
    public TensorBatches HeldOut { get; }
    public ChannelPruner Pruner { get; }
    public CandidateBuilder Builder { get; }
    public ScoringEngine Engine { get; }
    public RewardKind Reward { get; }
    /// <summary>Candidates are scored as int8 networks (ONNX Runtime only).</summary>
    public bool Int8 { get; }
    /// <summary>With <see cref="Int8"/>: only the layers of a policy's int8 groups run in int8 (a mixed-precision search).</summary>
    public bool MixedPrecision { get; }

    readonly Checkpoint original;

    public SearchScoring(Checkpoint ck, OpenedData data, CalibrationSettings calibration, PruneOptions pruning,
        ScoringEngine engine = ScoringEngine.OnnxRuntime, RewardKind reward = RewardKind.Accuracy, bool int8 = false, bool mixedPrecision = false)
    {
        if (mixedPrecision && !int8) throw new ArgumentException("mixed precision scores int8 networks: set int8 too");
        if (int8 && engine != ScoringEngine.OnnxRuntime) throw new SettingsException("int8 candidates are scored in ONNX Runtime: drop --eval-engine torch");
        Int8 = int8;
        MixedPrecision = mixedPrecision;
        original = ck;
        Engine = engine;
        Reward = reward;
        Calibration = data.CalibrationSample(calibration.Images, pruning.Seed);
        Pruner = calibration.Pruner(ck, Calibration);
        HeldOut = new TensorBatches(data.Train, data.Split.HeldOut, PruningMemory.ScoringBatch);
        Builder = new CandidateBuilder(Pruner, pruning);
        Refer(HeldOut, engine);
    }

    /// <summary>The scorer over <paramref name="images"/> (default: the held-out images; others get <see cref="Refer"/> first).</summary>
    public ICandidateScorer Scorer(TensorBatches? images = null) => Engine == ScoringEngine.OnnxRuntime
        ? new OnnxCandidateScorer(Builder, images ?? HeldOut, Int8, MixedPrecision)
        : new TorchCandidateScorer(Builder, images ?? HeldOut);

    /// <summary>
    /// Gives <paramref name="images"/> the unpruned network's outputs, run by <paramref name="engine"/>
    /// (the one that will evaluate the candidates on them), when the reward compares with it.
    /// </summary>
    public void Refer(TensorBatches images, ScoringEngine engine)
    {
        if (Reward == RewardKind.Accuracy) return;
        if (engine == ScoringEngine.OnnxRuntime)
            images.CompareWith(new OnnxEvaluator(images).Outputs(original.Network, original.Weights, TorchSharp.torch.get_num_threads()));
        else
        {
            using var module = original.ToModule();
            images.CompareWith(Evaluator.Outputs(module, images));
        }
    }

    public void Dispose()
    {
        HeldOut.Dispose();
        Calibration.Dispose();
    }
}
