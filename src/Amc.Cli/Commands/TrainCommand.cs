using System.CommandLine;
using System.Text.Json;
using Amc.Graph;
using Amc.Models;
using Amc.Training;
using Spectre.Console;
using Amc.Torch;

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
        var cmd = new Command("train", "Train a model (SGD + momentum, cosine LR, weight decay)") { model, width, epochs, batch, lr, wd, noAugment, output, resume, TrainingSession.MaxMemory, TrainingSession.EvalEngine };
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
            string outPath = p.GetValue(output)!, optimPath = outPath + ".optim", name = p.GetValue(model)!;
            // --resume reads --out on purpose; the data is the only input --out could destroy.
            CommandOutputs.Of(p).Declare([new("--out", outPath), new("the optimizer state (of --out)", optimPath)], [new("--data", p.GetValue(DataOptions.Data))]);
            // Checked before loading the data, which takes seconds for a full data set.
            if (p.GetValue(resume))
            {
                if (!File.Exists(outPath)) throw new UsageException($"--resume: {outPath} does not exist; drop --resume to start a new run");
                if (!File.Exists(optimPath)) throw new UsageException($"--resume: optimizer state {optimPath} is missing; drop --resume to start over");
            }
            else
            {
                if (!ModelZoo.Contains(name)) throw new UsageException($"unknown model '{name}'; choose one of: {string.Join(", ", ModelZoo.Names)}");
            }
            var data = DataOptions.Open(p);
            var engine = EngineOption.Parse(p.GetValue(TrainingSession.EvalEngine)!);
            TrainOptions Fit(Network arch) => TrainingSession.FitBatch(arch, options, data, p.GetValue(batch), p.GetValue(TrainingSession.MaxMemory), engine);
            GraphModule net;
            CheckpointInfo info;
            int firstEpoch = 0;
            if (p.GetValue(resume))
            {
                var ck = TrainingSession.Resume(outPath, options.Epochs);
                // Data of another shape or class count fails in libtorch or, past global pooling, trains on without a word.
                data = data.FitTo(ck);
                options = Fit(ck.Network);
                net = ck.ToModule();
                info = ck.Info;
                firstEpoch = info.EpochsDone ?? 0;
                if (info.Seed is int seed && seed != options.Seed)
                    throw new UsageException($"--resume: the run was started with --seed {seed}, which fixes its data order; resume with the same value");
            }
            else
            {
                var arch = ModelZoo.Build(name, new ModelOptions(data.Train.Shape, data.Train.Classes, p.GetValue(width)));
                options = Fit(arch);
                (net, info) = TrainingSession.NewModel(arch, name, data, options);
            }
            TrainingSession.Run(p, net, info, options, data, outPath, firstEpoch, engine);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>--width of the zoo builders (train, profile, import): above zero, at most the widest a builder takes.</summary>
    internal static readonly OptionRange WidthRange = new(0, ModelZoo.MaxWidthMultiplier, MinOpen: true);
}
