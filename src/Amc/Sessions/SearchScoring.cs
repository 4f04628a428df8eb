using Amc.Pruning;
using Amc.Search;
using Amc.Torch;
using Amc.Training;

namespace Amc.Sessions;

/// <summary>
/// How a search scores its candidates: the seeded calibration sample, the pruner over it, the
/// held-out images and the candidate builder. A search and a distributed worker both make it
/// here, so a worker's scores are the in-process search's.
/// </summary>
public sealed class SearchScoring : IDisposable
{
    public TensorBatches Calibration { get; }
    public TensorBatches HeldOut { get; }
    public ChannelPruner Pruner { get; }
    public CandidateBuilder Builder { get; }

    public SearchScoring(Checkpoint ck, OpenedData data, CalibrationSettings calibration, PruneOptions pruning)
    {
        Calibration = data.CalibrationSample(calibration.Images, pruning.Seed);
        Pruner = calibration.Pruner(ck, Calibration);
        HeldOut = new TensorBatches(data.Train, data.Split.HeldOut, PruningMemory.ScoringBatch);
        Builder = new CandidateBuilder(Pruner, pruning);
    }

    /// <summary>The scorer of <paramref name="engine"/> over <paramref name="images"/> (default: the held-out images).</summary>
    public ICandidateScorer Scorer(ScoringEngine engine, TensorBatches? images = null) => engine == ScoringEngine.OnnxRuntime
        ? new OnnxCandidateScorer(Builder, images ?? HeldOut)
        : new TorchCandidateScorer(Builder, images ?? HeldOut);

    public void Dispose()
    {
        HeldOut.Dispose();
        Calibration.Dispose();
    }
}
