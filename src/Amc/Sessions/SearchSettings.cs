using Amc.Pruning;
using Amc.Search;

namespace Amc.Sessions;

/// <summary>How candidates are scored: TorchSharp, or the pruned network exported to ONNX Runtime (faster here, export and session creation included).</summary>
public enum ScoringEngine { Torch, OnnxRuntime }

/// <summary>Everything a <see cref="SearchSession"/> needs: what to compress, on which data, under which budget, and where its files go.</summary>
public sealed record SearchSettings
{
    /// <summary>The trained checkpoint to compress.</summary>
    public required string Checkpoint { get; init; }
    /// <summary>The folder for the episode log, search state, policy, results, plots and summary.</summary>
    public required string OutputFolder { get; init; }
    public DataSettings Data { get; init; } = new();
    /// <summary>Budget, mode, agent, episodes and seed.</summary>
    public SearchOptions Search { get; init; } = new();
    /// <summary>How a candidate policy becomes a pruned network; its Seed also seeds the calibration sample.</summary>
    public PruneOptions Pruning { get; init; } = new();
    public CalibrationSettings Calibration { get; init; } = new();
    public ScoringEngine Engine { get; init; } = ScoringEngine.OnnxRuntime;
    /// <summary>
    /// Score the best K distinct policies again on the held-out images of the default split the
    /// search did not score on and keep the best there; 0 = off.
    /// </summary>
    public int ConfirmTop { get; init; } = 5;
    /// <summary>
    /// Under a latency budget, time the best N distinct policies end to end before one is chosen and
    /// keep only those within the budget when measured (<see cref="LatencyScreen"/>); 0 = off, the
    /// table's prediction alone decides (the result then depends on the seed only, not on timings).
    /// </summary>
    public int MeasureTop { get; init; } = 20;
    /// <summary>Score the uniform, deep and shallow policies too (resource mode only).</summary>
    public bool Baselines { get; init; } = true;
    /// <summary>ONNX Runtime threads of the latency table and the end-to-end timing (latency budgets only).</summary>
    public int LatencyThreads { get; init; } = 1;
    /// <summary>
    /// Search for the network `amc quantize` will deploy: candidates scored as int8 networks, a
    /// latency table of int8 layers (first and last float) and end-to-end times of int8 networks.
    /// </summary>
    public bool Int8 { get; init; }
    /// <summary>Continue the search saved in <see cref="OutputFolder"/>; without it, a folder that holds one is refused.</summary>
    public bool Resume { get; init; }
    /// <summary>The command that started the search, recorded in search-config.json.</summary>
    public string? CommandLine { get; init; }
}
