using System.Diagnostics;
using Amc.Data;
using TorchSharp;
using static TorchSharp.torch;
using Amc.Files;
using Amc.Host;
using Amc.Torch;

namespace Amc.Training;

/// <summary>
/// Trains a module with SGD + momentum and a per-iteration cosine schedule. Resumable at epoch
/// boundaries: the data order of epoch e depends only on (seed, e), and the optimizer state is
/// saved next to the checkpoint, so a resumed run continues the same trajectory.
/// </summary>
public sealed class Trainer(GraphModule model, Dataset data, int[] trainIndices, TrainOptions options)
{
    readonly ScalarSafeOptimizers.SGD optimizer = new ScalarSafeOptimizers.SGD(model.parameters(), options.LearningRate, options.Momentum, options.WeightDecay);

    public ScalarSafeOptimizers.SGD Optimizer => optimizer;

    /// <summary>Optional masks (fine-grained sparsity) re-applied after every step.</summary>
    public Action? AfterStep { get; init; }

    /// <summary>
    /// Learn from a teacher instead of (or besides) the labels. On data without labels the training
    /// accuracy reported is agreement with the teacher's top-1.
    /// </summary>
    public Distillation? Distill { get; init; }

    /// <summary>
    /// The resident bytes a step may start from and still fit its activations in the run's memory
    /// budget. Above it, the free memory the allocator kept (<see cref="MallocTuning"/>) is returned
    /// first: fragmentation let it grow step by step, and it carried MobileNetV2's peak at 224x224
    /// well past its estimate. Below it, the memory is kept for reuse, so a run far from its budget
    /// pays nothing. Null: never returned.
    /// </summary>
    public long? ResidentCeiling { get; init; }

    /// <summary>Runs when an epoch's steps are done, before its held-out evaluation and its save.</summary>
    public Action? AfterEpoch { get; init; }

    void ReleaseFreeMemory()
    {
        if (ResidentCeiling is long ceiling) MallocTuning.ReleaseAbove(ceiling);
    }

    double LearningRateAt(long step, long total) =>
        0.5 * options.LearningRate * (1 + Math.Cos(Math.PI * step / Math.Max(1, total)));

    /// <summary>Runs epochs [firstEpoch, Epochs); epochs are numbered from 0.</summary>
    public void Run(int firstEpoch, Action<TrainProgress>? progress, Action<EpochResult> epochDone, Func<double?>? heldOut = null)
    {
        int batches = (trainIndices.Length + options.BatchSize - 1) / options.BatchSize;
        long total = (long)batches * options.Epochs;
        for (int epoch = firstEpoch; epoch < options.Epochs; epoch++)
        {
            model.train();
            var clock = Stopwatch.StartNew();
            double lossSum = 0;
            long correct = 0, seen = 0;
            int b = 0;
            foreach (var batch in new BatchLoader(data, trainIndices, options.BatchSize, shuffle: true, augment: options.Augment, seed: options.Seed * 1000 + epoch))
            {
                double lr = LearningRateAt((long)epoch * batches + b, total);
                foreach (var g in optimizer.ParamGroups) g.LearningRate = lr;
                ReleaseFreeMemory();
                using (var scope = NewDisposeScope())
                {
                    var (x, y) = batch.ToTensors();
                    optimizer.zero_grad();
                    var logits = model.call(x);
                    var teacher = Distill?.Teach(x);
                    var loss = Distill is { } d ? d.Loss(logits, teacher!, data.HasLabels ? y : null) : nn.functional.cross_entropy(logits, y);
                    if (!data.HasLabels) y = (teacher ?? throw new InvalidOperationException("training on unlabelled images needs a teacher")).reshape(x.shape[0], -1).argmax(1);
                    float value = loss.item<float>();
                    // Stepping on would fill every weight with NaN and save it as the epoch's checkpoint.
                    if (!float.IsFinite(value))
                        throw new TrainingDivergedException($"training diverged: the loss is {value} at epoch {epoch + 1}, batch {b + 1} " +
                            $"(learning rate {lr:G3}); nothing of this epoch is saved; use a smaller --lr");
                    loss.backward();
                    optimizer.step();
                    AfterStep?.Invoke();
                    lossSum += value * batch.Count;
                    correct += logits.reshape(x.shape[0], -1).argmax(1).eq(y).sum().item<long>();
                    seen += batch.Count;
                }
                b++;
                if (progress is not null && (b % 10 == 0 || b == batches))
                    progress(new TrainProgress(epoch, options.Epochs, b, batches, lossSum / seen, (double)correct / seen,
                        seen / clock.Elapsed.TotalSeconds, lr));
            }
            double seconds = clock.Elapsed.TotalSeconds;
            ReleaseFreeMemory();
            AfterEpoch?.Invoke();
            epochDone(new EpochResult(epoch, lossSum / Math.Max(1, seen), (double)correct / Math.Max(1, seen), heldOut?.Invoke(), seconds, seen / seconds));
        }
    }

    public void SaveOptimizer(string path) => AtomicFile.Write(path, s => { using var w = new BinaryWriter(s, System.Text.Encoding.UTF8, leaveOpen: true); optimizer.save_state_dict(w); });

    /// <summary>Loads the state <see cref="SaveOptimizer"/> wrote, after checking it belongs to this network (see <see cref="OptimizerStateCheck"/>).</summary>
    public void LoadOptimizer(string path)
    {
        long size = new FileInfo(path).Length;
        if (size > Array.MaxLength) throw new CheckpointException($"{path}: is {size} bytes, far more than an optimizer state; drop --resume to start the run over");
        var bytes = File.ReadAllBytes(path);
        if (OptimizerStateCheck.Problem(bytes, optimizer) is { } problem)
            throw new CheckpointException($"{path}: this optimizer state {problem}; drop --resume to start the run over");
        using var r = new BinaryReader(new MemoryStream(bytes));
        optimizer.load_state_dict(r);
    }
}
