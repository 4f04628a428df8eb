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
    public static void Run(ParseResult p, GraphModule net, CheckpointInfo info, TrainOptions options, DataOptions.Opened data, string outPath, int firstEpoch, Action? afterStep = null)
    {
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
        Func<double?> heldOut = () => data.Split.HeldOut.Length == 0 ? null : Evaluator.Evaluate(net, data.Train, data.Split.HeldOut).Top1;
        if (firstEpoch < options.Epochs)
            TrainingProgress.Run(trainer, firstEpoch, options.Epochs, epochDone, heldOut);

        var test = Evaluator.Evaluate(net, data.Test, data.Test.AllIndices());
        var metrics = new Dictionary<string, double>(info.Metrics ?? []) { ["test_top1"] = test.Top1, ["test_top5"] = test.Top5 };
        info = info with { Metrics = metrics };
        Checkpoint.From(net, info).Save(outPath);
        if (p.GetValue(CommonOptions.Json))
            Console.WriteLine(JsonSerializer.Serialize(new { checkpoint = outPath, testTop1 = test.Top1, testTop5 = test.Top5, epochs = history }, CliJson.Options));
        else
            AnsiConsole.MarkupLine($"[green]done[/]: {Markup.Escape(outPath)}  test top-1 {Format.Percent(test.Top1)}, top-5 {Format.Percent(test.Top5)} on {test.Count} images");
    }

    /// <summary>
    /// Refuses a training run that cannot fit: the training step at the batch size (no larger
    /// than the training images) and the held-out evaluation after each epoch.
    /// </summary>
    public static void CheckMemory(Amc.Graph.Network net, TrainOptions options, DataOptions.Opened data)
    {
        MemoryCheck.Ensure(Amc.Graph.MemoryEstimate.Training(net, Math.Min(options.BatchSize, Math.Max(1, data.Split.Train.Length))), "--batch-size");
        MemoryCheck.Ensure(Amc.Graph.MemoryEstimate.Inference(net, Math.Min(MemoryCheck.EvaluationBatch, Math.Max(1, Math.Max(data.Split.HeldOut.Length, data.Test.Count))), "evaluating"));
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
