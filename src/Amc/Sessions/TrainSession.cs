using Amc.Data;
using Amc.Graph;
using Amc.Host;
using Amc.Models;
using Amc.Pruning;
using Amc.Torch;
using Amc.Training;

namespace Amc.Sessions;

/// <summary>
/// `amc train` and `amc finetune` as a library call: <see cref="Open"/> checks the settings, opens
/// the data, builds or loads the network and picks the batch that fits (<see cref="TrainingMemory"/>);
/// <see cref="Train"/> runs the epochs, saving the checkpoint and optimizer state atomically after
/// each (so <see cref="TrainSettings.Resume"/> continues at the next one); <see cref="Finish"/>
/// measures the test accuracy and records it in the checkpoint.
/// </summary>
public sealed class TrainSession : IDisposable
{
    readonly GraphModule net;
    readonly GraphModule? teacher;
    readonly Trainer trainer;
    readonly List<EpochResult> history = [];
    /// <summary>The resident memory a step (or the final evaluation) may start from (<see cref="Trainer.ResidentCeiling"/>).</summary>
    readonly long residentCeiling;
    CheckpointInfo info;

    public TrainSettings Settings { get; }
    public OpenedData Data { get; }
    /// <summary>The settings' training options with the batch the run uses.</summary>
    public TrainOptions Options { get; }
    /// <summary>Set when the default batch was lowered to fit: what it would have needed, for the user.</summary>
    public string? BatchNote { get; }
    /// <summary>The first epoch this run trains (0, or the epochs a resumed run had done).</summary>
    public int FirstEpoch { get; }

    TrainSession(TrainSettings settings, OpenedData data, TrainOptions options, string? note, long residentCeiling, GraphModule net, GraphModule? teacher, CheckpointInfo info, int firstEpoch)
    {
        (Settings, Data, Options, BatchNote, this.residentCeiling, this.net, this.teacher, this.info, FirstEpoch) = (settings, data, options, note, residentCeiling, net, teacher, info, firstEpoch);
        // Fine-grained sparse networks keep their zeros through training: the zeros are the mask.
        Action? afterStep = info.Sparsity is { Count: > 0 } ? SparsityMasks.FromZeros(net).Apply : null;
        trainer = new Trainer(net, data.Train, data.Split.Train, options)
        {
            AfterStep = afterStep, Distill = teacher is null ? null : new Distillation(teacher, settings.Distill!.Options),
            ResidentCeiling = residentCeiling,
            AfterEpoch = BatchNormSample(net.Network, settings.BatchNormImages, data.Split.Train.Length) > 0 ? RecalibrateBatchNorm : null,
        };
        if (firstEpoch > 0) trainer.LoadOptimizer(OptimizerPath);
    }

    string OptimizerPath => Settings.Out + ".optim";

    /// <summary>Images the BN statistics are re-estimated on after each epoch: none for a network without BN.</summary>
    static int BatchNormSample(Network net, int requested, int trainImages) =>
        net.Layers.Any(l => l.Kind == LayerKind.BatchNorm2d) ? Math.Min(requested, trainImages) : 0;

    /// <summary>BN statistics of the evaluation transform (<see cref="TrainSettings.BatchNormImages"/>), the same images every epoch.</summary>
    void RecalibrateBatchNorm()
    {
        using var sample = Data.CalibrationSample(BatchNormSample(net.Network, Settings.BatchNormImages, Data.Split.Train.Length), Options.Seed);
        BatchNormCalibration.Recalibrate(net, sample.Images);
    }

    public static TrainSession Open(TrainSettings settings)
    {
        var options = settings.Training;
        // Checked before loading the data, which takes seconds for a full data set.
        if (settings.Resume) RequireResumable(settings.Out);
        else if (settings.Checkpoint is null && !ModelZoo.Contains(settings.Model))
            throw new SettingsException($"unknown model '{settings.Model}'; choose one of: {string.Join(", ", ModelZoo.Names)}");

        var source = settings.Checkpoint is null ? null : Checkpoint.Load(settings.Checkpoint);
        var data = source is null ? OpenedData.Open(settings.Data) : OpenedData.OpenFor(settings.Data, source);
        if (!data.HasLabels && settings.Distill is null)
            throw new SettingsException(source is null
                ? $"{data.Train.Name} has no labels (images without class sub-folders); a network is trained on labelled images (a pruned one can be fine-tuned on these with finetune --distill)"
                : $"{data.Train.Name} has no labels (images without class sub-folders); fine-tune with --distill to learn from the unpruned network");
        if (!data.HasLabels && settings.Distill is { Options.Alpha: < 1 } d)
            throw new SettingsException($"--distill-alpha {d.Options.Alpha} mixes in cross-entropy on labels, which {data.Train.Name} does not have; use 1");
        if (settings.Distill is not null && source is null)
            throw new SettingsException("distillation fine-tunes a checkpoint (the student); give --checkpoint");
        var teacherCheckpoint = settings.Distill is { } distill ? Teacher(distill.Teacher, settings.Checkpoint!, source!) : null;
        if (settings.TrainImages is int n) data = Subset(data, n, options.Seed);
        var resumed = settings.Resume ? LoadResumed(settings.Out, options.Epochs) : null;
        // Data of another shape or class count fails in libtorch or, past global pooling, trains on without a word.
        if (resumed is not null && source is null) data = data.FitTo(resumed);
        var arch = source?.Network ?? resumed?.Network
            ?? ModelZoo.Build(settings.Model, new ModelOptions(data.Train.Shape, data.Train.Classes, settings.Width));

        long available = AvailableMemory.Bytes();
        var (budget, limit) = TrainingMemory.Budget(settings.MaxMemory, available);
        int batchNormImages = BatchNormSample(arch, settings.BatchNormImages, data.Split.Train.Length);
        var choice = TrainingMemory.Choose(arch, settings.BatchSize, data.Split.Train.Length, budget, limit, teacherCheckpoint?.Network, batchNormImages);
        MemoryCheck.Ensure(MemoryCheck.Evaluation(arch, settings.Engine), available);
        options = options with { BatchSize = choice.Batch };
        // A step that starts with more resident than this may not fit its activations in the budget.
        var estimate = TrainingMemory.Estimate(arch, Math.Min(choice.Batch, Math.Max(1, data.Split.Train.Length)), teacherCheckpoint?.Network, batchNormImages);
        long residentCeiling = Math.Max(0, budget - estimate.Activations);

        if (resumed is not null && source is null && resumed.Info.Seed is int seed && seed != options.Seed)
            throw new SettingsException($"--resume: the run was started with --seed {seed}, which fixes its data order; resume with the same value");
        var start = resumed ?? source;
        var module = start?.ToModule() ?? new GraphModule(arch);
        var info = resumed?.Info ?? (source is not null
            // The source's unseen images stay unseen (OpenFor left them out of training) when they are of this data; of other data, nothing is known.
            ? source.Info with { Parent = settings.Checkpoint, Epochs = options.Epochs, EpochsDone = 0, Seed = options.Seed, Command = settings.CommandLine,
                HeldOut = data.Unseen is null ? null : source.Info.HeldOut }
            : new CheckpointInfo
            {
                Model = settings.Model, Dataset = data.Train.Name, Mean = data.Train.Mean, Std = data.Train.Std, Transform = data.Train.Transform,
                HeldOut = HeldOutImages.Of(data.Split, data.Train.Count),
                Epochs = options.Epochs, EpochsDone = 0, Seed = options.Seed, Command = settings.CommandLine,
            });
        return new TrainSession(settings, data, options, choice.Note, residentCeiling, module, teacherCheckpoint?.ToModule(), info, resumed?.Info.EpochsDone ?? 0);
    }

    /// <summary>Runs the epochs left, saving after each; <paramref name="epochDone"/> hears of each once it is saved.</summary>
    public void Train(Action<TrainProgress>? progress = null, Action<EpochResult>? epochDone = null)
    {
        if (FirstEpoch >= Options.Epochs) return;
        trainer.Run(FirstEpoch, progress, r =>
        {
            history.Add(r);
            info = info with { EpochsDone = r.Epoch + 1 };
            trainer.SaveOptimizer(OptimizerPath);
            Checkpoint.From(net, info).Save(Settings.Out);
            epochDone?.Invoke(r);
        }, () => Data.Split.HeldOut.Length == 0 ? null
            : Data.HasLabels ? Evaluate(Data.Train, Data.Split.HeldOut).Top1
            : Evaluator.Compare(net, teacher!, Data.Train, Data.Split.HeldOut, Options.BatchSize).Agreement);
    }

    /// <summary>
    /// The test accuracy and, after distillation, the agreement with the teacher (on the test
    /// images, or the held-out ones when there are none: an unlabelled folder), recorded in the
    /// checkpoint (saved again).
    /// </summary>
    public TrainResult Finish()
    {
        MallocTuning.ReleaseAbove(residentCeiling);
        var test = Data.Test.Count > 0 && Data.Test.HasLabels ? Evaluate(Data.Test, Data.Test.AllIndices()) : null;
        var metrics = new Dictionary<string, double>(info.Metrics ?? []);
        if (test is not null) (metrics["test_top1"], metrics["test_top5"]) = (test.Top1, test.Top5);
        string split = Data.Test.Count > 0 ? "test" : "heldout";
        var agreement = teacher is null ? null
            : split == "test" ? Evaluator.Compare(net, teacher, Data.Test, Data.Test.AllIndices(), Options.BatchSize) : Evaluator.Compare(net, teacher, Data.Train, Data.Split.HeldOut, Options.BatchSize);
        if (agreement is not null) metrics[$"{split}_agreement"] = agreement.Agreement!.Value;
        if (agreement?.RelativeError is double error) metrics[$"{split}_relative_error"] = error;
        info = info with { Metrics = metrics };
        Checkpoint.From(net, info).Save(Settings.Out);
        return new TrainResult(Settings.Out, test, history, agreement, agreement is null ? null : split);
    }

    /// <summary>Open, train and finish in one call.</summary>
    public static TrainResult Run(TrainSettings settings)
    {
        using var session = Open(settings);
        session.Train();
        return session.Finish();
    }

    /// <summary>At most a training batch at a time, so the evaluation fits in the memory the training steps were given.</summary>
    Evaluation Evaluate(Amc.Data.Dataset images, int[] indices) => ModelEvaluation.Evaluate(net, images, indices, Settings.Engine, Settings.EvaluationThreads, Options.BatchSize);

    /// <summary>The data with its training split cut to a seeded random subset of <paramref name="images"/> images.</summary>
    public static OpenedData Subset(OpenedData data, int images, int seed)
    {
        var rng = new Random(seed);
        return data with { Split = data.Split with { Train = data.Split.Train.OrderBy(_ => rng.Next()).Take(images).Order().ToArray() } };
    }

    static void RequireResumable(string outPath)
    {
        if (!File.Exists(outPath)) throw new SettingsException($"--resume: {outPath} does not exist; drop --resume to start a new run");
        if (!File.Exists(outPath + ".optim")) throw new SettingsException($"--resume: optimizer state {outPath}.optim is missing; drop --resume to start over");
    }

    /// <summary>The checkpoint of an interrupted run, which must have been planned for the same epochs.</summary>
    static Checkpoint LoadResumed(string outPath, int epochs)
    {
        RequireResumable(outPath);
        var ck = Checkpoint.Load(outPath);
        if (ck.Info.Epochs is int planned && planned != epochs)
            throw new SettingsException($"--resume: the run was started with --epochs {planned}; resume with the same value");
        return ck;
    }

    /// <summary>
    /// The teacher: <paramref name="given"/>, else the network the checkpoint was pruned from (its
    /// Parent). It must take the student's input and give outputs of the student's shape.
    /// </summary>
    static Checkpoint Teacher(string? given, string studentPath, Checkpoint student)
    {
        string path = given ?? student.Info.Parent
            ?? throw new SettingsException($"--distill: {studentPath} does not record the network it was pruned from; give it with --teacher ORIGINAL");
        if (!File.Exists(path))
            throw new SettingsException(given is null
                ? $"--distill: {studentPath} was pruned from {path}, which does not exist (any more); give the original with --teacher"
                : $"--teacher {path} does not exist");
        var teacher = Checkpoint.Load(path).RequireFinite(path);
        if (teacher.Network.Input != student.Network.Input)
            throw new SettingsException($"--distill: the teacher {path} takes {teacher.Network.Input} images, the student {student.Network.Input}");
        var (to, so) = (teacher.Network.OutputShape(), student.Network.OutputShape());
        if (to != so)
            throw new SettingsException($"--distill: the teacher {path} gives {to} outputs, the student {so}; distillation needs the same outputs");
        return teacher;
    }

    public void Dispose()
    {
        net.Dispose();
        teacher?.Dispose();
    }
}
