using Amc.Training;
using Spectre.Console;

namespace Amc.Cli;

/// <summary>
/// Shows training progress: a live bar (epoch, loss, accuracy, throughput, ETA) on a terminal,
/// and one line per epoch otherwise (logs, CI).
/// </summary>
static class TrainingProgress
{
    public static void Run(Trainer trainer, int firstEpoch, int epochs, Action<EpochResult> epochDone, Func<double?> heldOut)
    {
        void Line(EpochResult r) => Console.Error.WriteLine(
            $"epoch {r.Epoch + 1}/{epochs}  loss {r.Loss:F4}  train {Format.Percent(r.TrainAccuracy)}" +
            (r.HeldOutAccuracy is double h ? $"  held-out {Format.Percent(h)}" : "") +
            $"  {r.ImagesPerSecond:F0} img/s  {Format.Duration(TimeSpan.FromSeconds(r.Seconds))}");

        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            trainer.Run(firstEpoch, null, r => { epochDone(r); Line(r); }, heldOut);
            return;
        }
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("training", maxValue: epochs - firstEpoch);
                trainer.Run(firstEpoch,
                    pr =>
                    {
                        task.Description = $"epoch {pr.Epoch + 1}/{pr.Epochs} loss {pr.Loss:F3} acc {100 * pr.Accuracy:F1}% {pr.ImagesPerSecond:F0} img/s";
                        task.Value = pr.Epoch - firstEpoch + (double)pr.Batch / pr.Batches;
                    },
                    r => { epochDone(r); AnsiConsole.MarkupLine(Markup.Escape($"epoch {r.Epoch + 1}/{epochs}  loss {r.Loss:F4}  train {Format.Percent(r.TrainAccuracy)}" + (r.HeldOutAccuracy is double h ? $"  held-out {Format.Percent(h)}" : ""))); },
                    heldOut);
            });
    }
}
