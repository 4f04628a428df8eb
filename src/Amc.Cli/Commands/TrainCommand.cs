using System.CommandLine;
using Amc.Sessions;
using Amc.Models;
using Amc.Training;

namespace Amc.Cli.Commands;

/// <summary>`amc train`: train a zoo model from scratch (or resume), checkpointing every epoch.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = $"Zoo model: {string.Join(", ", ModelZoo.Names)}", DefaultValueFactory = _ => "resnet20" };
        var width = new Option<double>("--width") { Description = "Width multiplier", DefaultValueFactory = _ => 1.0 }.In(WidthRange);
        var epochs = new Option<int>("--epochs") { Description = "Training epochs", DefaultValueFactory = _ => 30 }.In(OptionRange.AtLeast(1));
        var batch = TrainingSession.BatchSize();
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (cosine schedule)", DefaultValueFactory = _ => 0.1 }.In(OptionRange.Positive);
        var wd = new Option<double>("--weight-decay") { Description = "Weight decay", DefaultValueFactory = _ => 5e-4 }.In(OptionRange.NonNegative);
        var noAugment = new Option<bool>("--no-augment") { Description = "Turn off augmentation (pad + random crop + flip; random-resized crop + flip for image folders)" };
        var output = new Option<string>("--out") { Description = "Checkpoint to write (every epoch, atomically)", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue from --out and its optimizer state" };
        var cmd = new Command("train", "Train a model (SGD + momentum, cosine LR, weight decay)") { model, width, epochs, batch, lr, wd, noAugment, output, resume, TrainingSession.MaxMemory, TrainingSession.EvalEngine, TrainingSession.BatchNormImages };
        DataOptions.AddTo(cmd);
        cmd.SetAction(p =>
        {
            CommonOptions.Apply(p);
            var options = new TrainOptions
            {
                Epochs = p.GetValue(epochs),
                LearningRate = p.GetValue(lr),
                WeightDecay = p.GetValue(wd),
                Augment = !p.GetValue(noAugment),
                Seed = p.GetValue(CommonOptions.Seed),
            };
            string outPath = p.GetValue(output)!;
            // --resume reads --out on purpose; the data is the only input --out could destroy.
            CommandOutputs.Of(p).Declare([new("--out", outPath), new("the optimizer state (of --out)", outPath + ".optim")], [new("--data", p.GetValue(DataOptions.Data))]);
            var settings = new TrainSettings
            {
                Out = outPath, Model = p.GetValue(model)!, Width = p.GetValue(width), Data = DataOptions.Settings(p),
                Training = options, Resume = p.GetValue(resume),
            }.WithCommandLine(p, batch);
            TrainingSession.Run(p, settings);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>--width of the zoo builders (train, profile, import): above zero, at most the widest a builder takes.</summary>
    internal static readonly OptionRange WidthRange = new(0, ModelZoo.MaxWidthMultiplier, MinOpen: true);
}
