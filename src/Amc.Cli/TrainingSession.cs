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
/// With a teacher (finetune --distill) it learns from the teacher and also reports agreement with it
/// (and the relative error of the outputs): on the test images, or the held-out ones when there are
/// no test images (an unlabelled folder), where the held-out score after each epoch is agreement too.
/// </summary>
static class TrainingSession
{
    public static void Run(ParseResult p, GraphModule net, CheckpointInfo info, TrainOptions options, Amc.Sessions.OpenedData data, string outPath, int firstEpoch,
        Action? afterStep = null, (GraphModule Teacher, DistillOptions Options)? distill = null)
    {
        string optimPath = outPath + ".optim";
        // Fine-grained sparse networks keep their zeros through training: the zeros are the mask.
        if (afterStep is null && info.Sparsity is { Count: > 0 }) afterStep = Amc.Pruning.SparsityMasks.FromZeros(net).Apply;
        var trainer = new Trainer(net, data.Train, data.Split.Train, options)
        {
            AfterStep = afterStep, Distill = distill is var (teacher, how) ? new Distillation(teacher, how) : null,
        };
        if (firstEpoch > 0) trainer.LoadOptimizer(optimPath);

        var history = new List<EpochResult>();
        Action<EpochResult> epochDone = r =>
        {
            history.Add(r);
            info = info with { EpochsDone = r.Epoch + 1 };
            trainer.SaveOptimizer(optimPath);
            Checkpoint.From(net, info).Save(outPath);
        };
        Func<double?> heldOut = () => data.Split.HeldOut.Length == 0 ? null
            : data.HasLabels ? Evaluator.Evaluate(net, data.Train, data.Split.HeldOut).Top1
            : Evaluator.Compare(net, distill!.Value.Teacher, data.Train, data.Split.HeldOut).Agreement;
        if (firstEpoch < options.Epochs)
            TrainingProgress.Run(trainer, firstEpoch, options.Epochs, epochDone, heldOut);

        var test = data.Test.Count > 0 && data.Test.HasLabels ? Evaluator.Evaluate(net, data.Test, data.Test.AllIndices()) : null;
        var metrics = new Dictionary<string, double>(info.Metrics ?? []);
        if (test is not null) (metrics["test_top1"], metrics["test_top5"]) = (test.Top1, test.Top5);
        string split = data.Test.Count > 0 ? "test" : "heldout";
        var agreement = distill is var (t, _)
            ? split == "test" ? Evaluator.Compare(net, t, data.Test, data.Test.AllIndices()) : Evaluator.Compare(net, t, data.Train, data.Split.HeldOut)
            : null;
        if (agreement is not null) (metrics[$"{split}_agreement"], metrics[$"{split}_relative_error"]) = (agreement.Agreement!.Value, agreement.RelativeError!.Value);
        info = info with { Metrics = metrics };
        Checkpoint.From(net, info).Save(outPath);
        if (p.GetValue(CommonOptions.Json))
            Console.WriteLine(agreement is null
                ? JsonSerializer.Serialize(new { checkpoint = outPath, testTop1 = test?.Top1, testTop5 = test?.Top5, epochs = history }, ResultJson.Options)
                : JsonSerializer.Serialize(new
                {
                    checkpoint = outPath, testTop1 = test?.Top1, testTop5 = test?.Top5, agreement = agreement.Agreement, relativeError = agreement.RelativeError,
                    agreementSplit = split, agreementImages = agreement.Count, epochs = history,
                }, ResultJson.Options));
        else
        {
            string scores = string.Join("; ", new[]
            {
                test is null ? null : $"test top-1 {Format.Percent(test.Top1)}, top-5 {Format.Percent(test.Top5)} on {test.Count} images",
                agreement is null ? null : $"agreement with the teacher {Format.Percent(agreement.Agreement!.Value)}, relative error {agreement.RelativeError:F4} on {agreement.Count} {(split == "test" ? "test" : "held-out")} images",
            }.OfType<string>());
            AnsiConsole.MarkupLine($"[green]done[/]: {Markup.Escape(outPath)}  {Markup.Escape(scores)}");
        }
    }

    /// <summary>
    /// Refuses a training run that cannot fit: the training step at the batch size (no larger
    /// than the training images) and the held-out evaluation after each epoch.
    /// </summary>
    public static void CheckMemory(Amc.Graph.Network net, TrainOptions options, Amc.Sessions.OpenedData data)
    {
        MemoryCheck.Ensure(Amc.Graph.MemoryEstimate.Training(net, Math.Min(options.BatchSize, Math.Max(1, data.Split.Train.Length))), "--batch-size");
        MemoryCheck.Ensure(Amc.Graph.MemoryEstimate.Inference(net, Math.Min(MemoryCheck.EvaluationBatch, Math.Max(1, Math.Max(data.Split.HeldOut.Length, data.Test.Count))), "evaluating"));
    }

    /// <summary>A zoo model to train from scratch on the data, and the checkpoint info that records how.</summary>
    public static (GraphModule Net, CheckpointInfo Info) NewModel(string name, double width, Amc.Sessions.OpenedData data, TrainOptions options)
    {
        var arch = Amc.Models.ModelZoo.Build(name, new Amc.Models.ModelOptions(data.Train.Shape, data.Train.Classes, width));
        CheckMemory(arch, options, data);
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
    public static Amc.Sessions.OpenedData Subset(Amc.Sessions.OpenedData data, int images, int seed)
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
