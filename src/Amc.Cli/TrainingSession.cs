using Amc.Sessions;
using Amc.Files;
using System.CommandLine;
using System.Text.Json;
using Amc.Training;
using Spectre.Console;

namespace Amc.Cli;

/// <summary>
/// What `train` and `finetune` share on the command line: the memory and evaluation options, and
/// running a <see cref="TrainSession"/> with its progress and result rendered.
/// </summary>
static class TrainingSession
{
    public static readonly Option<double?> MaxMemory = new Option<double?>(TrainingMemory.BudgetOption)
    {
        Description = $"GB of memory the run may take: without --batch-size the default batch ({TrainingMemory.DefaultBatch}) is lowered to fit, a --batch-size that does not fit is refused (default: {TrainingMemory.DefaultBudget >> 30}, or the free memory if less)",
    }.In(OptionRange.Positive);

    public static readonly Option<string> EvalEngine = EngineOption.Create("--eval-engine",
        "Evaluate the held-out images after each epoch and the test set at the end with ONNX Runtime (ort, faster here; the current weights exported in memory) or TorchSharp (torch)");

    public static readonly Option<int> BatchNormImages = new Option<int>("--bn-images")
    {
        Description = "After each epoch, re-estimate BN statistics on this many training images in the evaluation transform, instead of keeping the running averages of the augmented training batches (0 = keep them)",
        DefaultValueFactory = _ => TrainSettings.DefaultBatchNormImages,
    }.In(OptionRange.AtLeast(0));

    /// <summary>--batch-size of train and finetune: no default value, so the memory check knows whether the user chose it.</summary>
    public static Option<int?> BatchSize() => new Option<int?>("--batch-size")
    {
        Description = $"Batch size (default: {TrainingMemory.DefaultBatch}, lowered to the largest power of two that fits in {TrainingMemory.BudgetOption})",
    }.In(OptionRange.AtLeast(1));

    /// <summary>The settings' memory and evaluation options as given on the command line.</summary>
    public static TrainSettings WithCommandLine(this TrainSettings settings, ParseResult p, Option<int?> batch) => settings with
    {
        BatchSize = p.GetValue(batch),
        MaxMemory = p.GetValue(MaxMemory) is double gb ? (long)Math.Min(long.MaxValue, gb * (1L << 30)) : null,
        Engine = EngineOption.Parse(p.GetValue(EvalEngine)!),
        BatchNormImages = p.GetValue(BatchNormImages),
        EvaluationThreads = p.GetValue(CommonOptions.Threads),
        CommandLine = CommonOptions.CommandLine,
    };

    /// <summary>Opens the session (a lowered batch is said on stderr), trains with progress, and prints the result (unless not <paramref name="print"/>: a step of a larger command).</summary>
    public static TrainResult Run(ParseResult p, TrainSettings settings, bool print = true)
    {
        using var session = TrainSession.Open(settings);
        if (session.BatchNote is string note) Console.Error.WriteLine(note);
        TrainingProgress.Run(session);
        var result = session.Finish();
        var (test, agreement) = (result.Test, result.Agreement);
        if (!print) return result;
        if (p.GetValue(CommonOptions.Json))
            Console.WriteLine(agreement is null
                ? JsonSerializer.Serialize(new { checkpoint = result.Checkpoint, testTop1 = test?.Top1, testTop5 = test?.Top5, epochs = result.Epochs }, ResultJson.Options)
                : JsonSerializer.Serialize(new
                {
                    checkpoint = result.Checkpoint, testTop1 = test?.Top1, testTop5 = test?.Top5, agreement = agreement.Agreement, relativeError = agreement.RelativeError,
                    agreementSplit = result.AgreementSplit, agreementImages = agreement.Count, epochs = result.Epochs,
                }, ResultJson.Options));
        else
        {
            string scores = string.Join("; ", new[]
            {
                test is null ? null : $"test top-1 {Format.Percent(test.Top1)}, top-5 {Format.Percent(test.Top5)} on {test.Count} images",
                agreement is null ? null : $"agreement with the teacher {Format.Percent(agreement.Agreement!.Value)}, relative error {agreement.DescribeRelativeError()} on {agreement.Count} {(result.AgreementSplit == "test" ? "test" : "held-out")} images",
            }.OfType<string>());
            AnsiConsole.MarkupLine($"[green]done[/]: {Markup.Escape(result.Checkpoint)}  {Markup.Escape(scores)}");
        }
        return result;
    }
}
