using Amc.Quantization;

namespace Amc.Sessions;

/// <summary>What a <see cref="QuantizeSession"/> quantizes, on which images, and how it is measured.</summary>
public sealed record QuantizeSettings
{
    /// <summary>A checkpoint, or an ONNX file the importer reads (its preprocessing metadata included).</summary>
    public required string Model { get; init; }
    /// <summary>Per-channel input normalisation (0..1 pixel scale) overriding what the model records; needed for an ONNX file that records none and the importer does not read.</summary>
    public float[]? Mean { get; init; }
    public float[]? Std { get; init; }
    /// <summary>Calibration images come from the training split, the scores from the test set (or the held-out split).</summary>
    public DataSettings Data { get; init; } = new();
    public QuantizationSettings Quantization { get; init; } = new();
    /// <summary>A policy file of a mixed-precision search (`amc search --mixed-precision`): the layers of
    /// the groups it leaves in float stay float too (a checkpoint or an ONNX file the importer reads).</summary>
    public string? Policy { get; init; }
    /// <summary>Score on the held-out split instead of the test set (a folder without a test set always uses it).</summary>
    public bool HeldOut { get; init; }
    /// <summary>Seeds the calibration sample and the timing input.</summary>
    public int Seed { get; init; }
    /// <summary>Timed runs per network and thread count, at batch 1.</summary>
    public int Repeats { get; init; } = 100;
    /// <summary>Thread counts the float and int8 networks are timed at, side by side.</summary>
    public IReadOnlyList<int> TimingThreads { get; init; } = [1, 2];
    /// <summary>ONNX Runtime threads for calibration and scoring; 0: one per core.</summary>
    public int Threads { get; init; }
}
