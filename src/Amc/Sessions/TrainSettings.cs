using Amc.Training;

namespace Amc.Sessions;

/// <summary>
/// What a <see cref="TrainSession"/> trains and where it writes: a zoo model from scratch
/// (<see cref="Model"/>) or a checkpoint fine-tuned (<see cref="Checkpoint"/>); with
/// <see cref="Resume"/>, the interrupted run in <see cref="Out"/> continues.
/// </summary>
public sealed record TrainSettings
{
    /// <summary>The checkpoint written after every epoch (atomically), its optimizer state beside it (".optim").</summary>
    public required string Out { get; init; }
    /// <summary>Zoo model to train from scratch (when <see cref="Checkpoint"/> is null).</summary>
    public string Model { get; init; } = "resnet20";
    public double Width { get; init; } = 1.0;
    /// <summary>The checkpoint to fine-tune; null: train <see cref="Model"/> from scratch.</summary>
    public string? Checkpoint { get; init; }
    public DataSettings Data { get; init; } = new();
    /// <summary>Epochs, learning rate, weight decay, augmentation and seed; the batch is <see cref="BatchSize"/>.</summary>
    public TrainOptions Training { get; init; } = new();
    /// <summary>The batch the user chose, refused if it does not fit; null: <see cref="TrainingMemory.DefaultBatch"/>, lowered to fit.</summary>
    public int? BatchSize { get; init; }
    /// <summary>Bytes the run may take; null: <see cref="TrainingMemory.DefaultBudget"/> (never more than is free).</summary>
    public long? MaxMemory { get; init; }
    /// <summary>
    /// After each epoch, BN statistics are re-estimated on this many training images in the
    /// evaluation transform (0: keep the running averages of the training batches). Those averages
    /// describe augmented images (a random-resized crop zooms in), not the centre crops the network
    /// is scored and deployed on; at 224x224 the mismatch cost a pruned MobileNetV2 18 points after
    /// a one-epoch fine-tune (docs/BENCHMARKS.md, "BN statistics after training").
    /// </summary>
    public int BatchNormImages { get; init; } = DefaultBatchNormImages;
    public const int DefaultBatchNormImages = 500;
    /// <summary>Train on a seeded random subset of this many training images (fine-tuning); null: all.</summary>
    public int? TrainImages { get; init; }
    /// <summary>The engine of the held-out evaluation after each epoch and the test evaluation at the end.</summary>
    public ScoringEngine Engine { get; init; } = ScoringEngine.OnnxRuntime;
    /// <summary>ONNX Runtime threads of those evaluations; 0 lets it choose.</summary>
    public int EvaluationThreads { get; init; }
    public bool Resume { get; init; }
    /// <summary>Fine-tuning by knowledge distillation (works without labels); null: cross-entropy on the labels.</summary>
    public DistillSettings? Distill { get; init; }
    /// <summary>The command that started the run, recorded in the checkpoint.</summary>
    public string? CommandLine { get; init; }
}

/// <summary>
/// Distillation from a teacher: <see cref="Teacher"/>, or by default the network the checkpoint was
/// pruned from (its Parent, which `amc prune` records).
/// </summary>
public sealed record DistillSettings(string? Teacher, DistillOptions Options);
