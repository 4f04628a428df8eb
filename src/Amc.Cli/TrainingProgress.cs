using Amc.Training;
using Spectre.Console;

namespace Amc.Cli;

/// <summary>
/// Shows training progress: a live bar (epoch, loss, accuracy, throughput, ETA) on a terminal,
/// and one line per epoch otherwise (logs, CI).
/// </summary>
static class TrainingProgress
{
    public static void Run(Amc.Sessions.TrainSession session)
    {
        int firstEpoch = session.FirstEpoch, epochs = session.Options.Epochs;
        if (firstEpoch >= epochs) return;
        void Line(EpochResult r) => Console.Error.WriteLine(
            $"epoch {r.Epoch + 1}/{epochs}  loss {r.Loss:F4}  train {Format.Percent(r.TrainAccuracy)}" +
            (r.HeldOutAccuracy is double h ? $"  held-out {Format.Percent(h)}" : "") +
            $"  {r.ImagesPerSecond:F0} img/s  {Format.Duration(TimeSpan.FromSeconds(r.Seconds))}");

        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            // A log still hears from a long epoch: a line every half minute, with the epoch's ETA.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            double lastLine = 0, epochStart = 0;
            session.Train(pr =>
            {
                double now = clock.Elapsed.TotalSeconds;
                if (now - lastLine < 30 || pr.Batch == pr.Batches) return;
                lastLine = now;
                double left = (now - epochStart) / pr.Batch * (pr.Batches - pr.Batch);
                Console.Error.WriteLine($"epoch {pr.Epoch + 1}/{pr.Epochs}  batch {pr.Batch}/{pr.Batches}  loss {pr.Loss:F4}  " +
                    $"{pr.ImagesPerSecond:F0} img/s  epoch ends in {Format.Duration(TimeSpan.FromSeconds(left))}");
            }, r => { Line(r); lastLine = epochStart = clock.Elapsed.TotalSeconds; });
            return;
        }
        // Redrawn from the training thread only: Spectre's refresh thread would allocate while
        // TorchSharp runs, which TorchSharp does not survive (see BatchLoader).
        AnsiConsole.Progress()
            .AutoRefresh(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("training", maxValue: epochs - firstEpoch);
                session.Train(
                    pr =>
                    {
                        task.Description = $"epoch {pr.Epoch + 1}/{pr.Epochs} loss {pr.Loss:F3} acc {100 * pr.Accuracy:F1}% {pr.ImagesPerSecond:F0} img/s";
                        task.Value = pr.Epoch - firstEpoch + (double)pr.Batch / pr.Batches;
                        ctx.Refresh();
                    },
                    r => AnsiConsole.MarkupLine(Markup.Escape($"epoch {r.Epoch + 1}/{epochs}  loss {r.Loss:F4}  train {Format.Percent(r.TrainAccuracy)}" + (r.HeldOutAccuracy is double h ? $"  held-out {Format.Percent(h)}" : ""))));
            });
    }
}
