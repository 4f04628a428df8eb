using System.CommandLine;
using Amc.Training;
using Amc.Sessions;

namespace Amc.Cli.Commands;

/// <summary>`amc finetune`: continue training a (pruned) checkpoint with a small cosine learning rate.</summary>
public static class FinetuneCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint to fine-tune (e.g. from amc prune)", Required = true };
        var epochs = new Option<int>("--epochs") { Description = "Fine-tuning epochs", DefaultValueFactory = _ => 10 }.In(OptionRange.AtLeast(1));
        var batch = TrainingSession.BatchSize();
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (cosine schedule)", DefaultValueFactory = _ => 0.01 }.In(OptionRange.Positive);
        var wd = new Option<double>("--weight-decay") { Description = "Weight decay", DefaultValueFactory = _ => 5e-4 }.In(OptionRange.NonNegative);
        var noAugment = new Option<bool>("--no-augment") { Description = "Turn off augmentation (pad + random crop + flip; random-resized crop + flip for image folders)" };
        var output = new Option<string>("--out") { Description = "Fine-tuned checkpoint to write (every epoch, atomically)", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue from --out and its optimizer state" };
        var images = new Option<int?>("--train-images") { Description = "Fine-tune on a seeded random subset of this many training images (default: all)" }.In(OptionRange.AtLeast(1));
        var distill = new Option<bool>("--distill")
        {
            Description = "Knowledge distillation from the unpruned network (the checkpoint's parent, or --teacher): works on a folder of unlabelled images",
        };
        var teacher = new Option<string?>("--teacher") { Description = "--distill: the teacher checkpoint (default: the network --checkpoint was pruned from, as it records)" };
        var temperature = new Option<double>("--distill-temperature") { Description = "--distill: softmax temperature T of the KL term (scaled by T^2)", DefaultValueFactory = _ => 4 }
            .In(OptionRange.Positive);
        var alpha = new Option<double>("--distill-alpha")
        {
            Description = "--distill: weight of the teacher's term; the rest is cross-entropy on the labels (1 = the teacher alone, no labels needed)", DefaultValueFactory = _ => 1,
        }.In(OptionRange.Fraction);
        var loss = new Option<string>("--distill-loss")
        {
            Description = "--distill: kl (softened softmax, for classifiers) or mse (the raw outputs, for feature extractors)", DefaultValueFactory = _ => "kl",
        };
        loss.AcceptOnlyFromAmong("kl", "mse");
        var cmd = new Command("finetune", "Fine-tune a pruned network (SGD + momentum, cosine LR), on the labels or by distillation from the unpruned network")
        {
            checkpoint, epochs, batch, lr, wd, noAugment, output, resume, images, distill, teacher, temperature, alpha, loss, TrainingSession.MaxMemory, TrainingSession.EvalEngine, TrainingSession.BatchNormImages,
        };
        DataOptions.AddTo(cmd);
        cmd.SetAction(p =>
        {
            CommonOptions.Apply(p);
            if (!p.GetValue(distill) && new Option[] { teacher, temperature, alpha, loss }.FirstOrDefault(o => p.GetResult(o) is { Implicit: false }) is { } stray)
                throw new UsageException($"{stray.Name} is an option of --distill; add --distill or drop it");
            var options = new TrainOptions
            {
                Epochs = p.GetValue(epochs),
                LearningRate = p.GetValue(lr),
                WeightDecay = p.GetValue(wd),
                Augment = !p.GetValue(noAugment),
                Seed = p.GetValue(CommonOptions.Seed),
            };
            string outPath = p.GetValue(output)!;
            CommandOutputs.Of(p).Declare([new("--out", outPath), new("the optimizer state (of --out)", outPath + ".optim")],
                [new("--checkpoint", p.GetValue(checkpoint)), new("--data", p.GetValue(DataOptions.Data))]);
            var settings = new TrainSettings
            {
                Out = outPath, Checkpoint = p.GetValue(checkpoint)!, Data = DataOptions.Settings(p),
                Training = options, TrainImages = p.GetValue(images), Resume = p.GetValue(resume),
                Distill = !p.GetValue(distill) ? null : new DistillSettings(p.GetValue(teacher),
                    new DistillOptions(p.GetValue(temperature), p.GetValue(alpha), p.GetValue(loss) == "mse" ? DistillLoss.Mse : DistillLoss.KL)),
            }.WithCommandLine(p, batch);
            TrainingSession.Run(p, settings);
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
