using Amc.Sessions;
using Amc.Files;
using System.CommandLine;
using System.Text.Json;
using Amc.Training;
using Spectre.Console;
using Amc.Torch;

namespace Amc.Cli;

/// <summary>
/// The epochs loop shared by `train` and `finetune`: checkpoint and optimizer state saved
/// atomically after every epoch (so --resume continues at the next one), test accuracy at the end.
/// </summary>
static class TrainingSession
{
    public static readonly Option<double?> MaxMemory = new Option<double?>(TrainingMemory.BudgetOption)
    {
        Description = $"GB of memory the run may take: without --batch-size the default batch ({TrainingMemory.DefaultBatch}) is lowered to fit, a --batch-size that does not fit is refused (default: {TrainingMemory.DefaultBudget >> 30}, or the free memory if less)",
    }.In(OptionRange.Positive);

    public static readonly Option<string> EvalEngine = EngineOption.Create("--eval-engine",
        "Evaluate the held-out images after each epoch and the test set at the end with ONNX Runtime (ort, faster here; the current weights exported in memory) or TorchSharp (torch)");

    /// <summary>--batch-size of train and finetune: no default value, so the memory check knows whether the user chose it.</summary>
    public static Option<int?> BatchSize() => new Option<int?>("--batch-size")
    {
        Description = $"Batch size (default: {TrainingMemory.DefaultBatch}, lowered to the largest power of two that fits in {TrainingMemory.BudgetOption})",
    }.In(OptionRange.AtLeast(1));

    public static void Run(ParseResult p, GraphModule net, CheckpointInfo info, TrainOptions options, OpenedData data, string outPath, int firstEpoch,
        ScoringEngine engine = ScoringEngine.OnnxRuntime, Action? afterStep = null)
    {
        int threads = p.GetValue(CommonOptions.Threads);
        Evaluation Evaluate(Amc.Data.Dataset images, int[] indices) => ModelEvaluation.Evaluate(net, images, indices, engine, threads);
        string optimPath = outPath + ".optim";
        // Fine-grained sparse networks keep their zeros through training: the zeros are the mask.
        if (afterStep is null && info.Sparsity is { Count: > 0 }) afterStep = Amc.Pruning.SparsityMasks.FromZeros(net).Apply;
        var trainer = new Trainer(net, data.Train, data.Split.Train, options) { AfterStep = afterStep };
        if (firstEpoch > 0) trainer.LoadOptimizer(optimPath);

        var history = new List<EpochResult>();
        Action<EpochResult> epochDone = r =>
        {
            history.Add(r);
            info = info with { EpochsDone = r.Epoch + 1 };
            trainer.SaveOptimizer(optimPath);
            Checkpoint.From(net, info).Save(outPath);
        };
        Func<double?> heldOut = () => data.Split.HeldOut.Length == 0 ? null : Evaluate(data.Train, data.Split.HeldOut).Top1;
        if (firstEpoch < options.Epochs)
            TrainingProgress.Run(trainer, firstEpoch, options.Epochs, epochDone, heldOut);

        var test = Evaluate(data.Test, data.Test.AllIndices());
        var metrics = new Dictionary<string, double>(info.Metrics ?? []) { ["test_top1"] = test.Top1, ["test_top5"] = test.Top5 };
        info = info with { Metrics = metrics };
        Checkpoint.From(net, info).Save(outPath);
        if (p.GetValue(CommonOptions.Json))
            Console.WriteLine(JsonSerializer.Serialize(new { checkpoint = outPath, testTop1 = test.Top1, testTop5 = test.Top5, epochs = history }, ResultJson.Options));
        else
            AnsiConsole.MarkupLine($"[green]done[/]: {Markup.Escape(outPath)}  test top-1 {Format.Percent(test.Top1)}, top-5 {Format.Percent(test.Top5)} on {test.Count} images");
    }

    /// <summary>
    /// The options with the batch the run fits in (<see cref="TrainingMemory.Choose"/>; a lowered
    /// default is said on stderr); a run whose evaluation cannot fit is refused too.
    /// </summary>
    /// <param name="requested">--batch-size as given; null: the default, lowered to fit.</param>
    /// <param name="maxMemoryGb">--max-memory as given; null: <see cref="TrainingMemory.DefaultBudget"/>.</param>
    public static TrainOptions FitBatch(Amc.Graph.Network net, TrainOptions options, OpenedData data, int? requested, double? maxMemoryGb, ScoringEngine engine)
    {
        long available = Amc.Host.AvailableMemory.Bytes();
        long? stated = maxMemoryGb is double gb ? (long)Math.Min(long.MaxValue, gb * (1L << 30)) : null;
        var (budget, limit) = TrainingMemory.Budget(stated, available);
        var choice = TrainingMemory.Choose(net, requested, data.Split.Train.Length, budget, limit);
        MemoryCheck.Ensure(MemoryCheck.Evaluation(net, engine), available);
        if (choice.Note is string note) Console.Error.WriteLine(note);
        return options with { BatchSize = choice.Batch };
    }

    /// <summary>A zoo model to train from scratch on the data, and the checkpoint info that records how.</summary>
    public static (GraphModule Net, CheckpointInfo Info) NewModel(Amc.Graph.Network arch, string name, OpenedData data, TrainOptions options)
    {
        var info = new CheckpointInfo
        {
            Model = name, Dataset = data.Train.Name, Mean = data.Train.Mean, Std = data.Train.Std, Transform = data.Train.Transform,
            Epochs = options.Epochs, EpochsDone = 0, Seed = options.Seed, Command = CommonOptions.CommandLine,
        };
        return (new GraphModule(arch), info);
    }

    /// <summary>The checkpoint info of a new fine-tuning run of <paramref name="source"/> (read from <paramref name="sourcePath"/>).</summary>
    public static CheckpointInfo FineTuneInfo(Checkpoint source, string sourcePath, TrainOptions options) => source.Info with
    {
        Parent = sourcePath, Epochs = options.Epochs, EpochsDone = 0, Seed = options.Seed,
        Command = CommonOptions.CommandLine,
    };

    /// <summary>The data with its training split cut to a seeded random subset of <paramref name="images"/> images (--train-images).</summary>
    public static OpenedData Subset(OpenedData data, int images, int seed)
    {
        var rng = new Random(seed);
        return data with { Split = data.Split with { Train = data.Split.Train.OrderBy(_ => rng.Next()).Take(images).Order().ToArray() } };
    }

    /// <summary>For --resume: the checkpoint and optimizer state of an interrupted run, with a clear error when absent.</summary>
    public static Checkpoint Resume(string outPath, int epochs)
    {
        if (!File.Exists(outPath)) throw new UsageException($"--resume: {outPath} does not exist; drop --resume to start a new run");
        if (!File.Exists(outPath + ".optim")) throw new UsageException($"--resume: optimizer state {outPath}.optim is missing; drop --resume to start over");
        var ck = Checkpoint.Load(outPath);
        if (ck.Info.Epochs is int planned && planned != epochs)
            throw new UsageException($"--resume: the run was started with --epochs {planned}; resume with the same value");
        return ck;
    }
}
