using Amc.Files;
using System.CommandLine;
using System.Text.Json;
using Amc.Sessions;
using Spectre.Console;
using Amc.Torch;
using Amc.Training;

namespace Amc.Cli.Commands;

/// <summary>
/// `amc eval`: top-1 / top-5 of a checkpoint on the test set or the held-out split and, with
/// --against ORIGINAL, its top-1 agreement with another network (the unpruned one) and the relative
/// error of its outputs against that network's (<see cref="Evaluation"/>), which need no labels.
/// </summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint to evaluate", Required = true };
        var split = new Option<string>("--split") { Description = "test or heldout", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("test", "heldout");
        var against = new Option<string?>("--against")
        {
            Description = "Also compare with this checkpoint (e.g. the unpruned original): top-1 agreement and relative error of the outputs; works on unlabelled images",
        };
        var engine = EngineOption.Create("--engine", "Evaluate with ONNX Runtime (ort, faster here) or TorchSharp (torch; --against always compares in TorchSharp)");
        var cmd = new Command("eval", "Top-1 and top-5 accuracy of a checkpoint, and its agreement with another (--against)") { checkpoint, split, engine, against };
        DataOptions.AddTo(cmd);
        cmd.SetAction(p =>
        {
            CommonOptions.Apply(p);
            var ck = Checkpoint.Load(p.GetValue(checkpoint)!);
            var data = DataOptions.OpenFor(p, ck);
            string? referencePath = p.GetValue(against);
            bool heldOut = p.GetValue(split) == "heldout";
            if (heldOut && data.ScoringOnTrainedImagesWarning(ck.Info.HeldOut) is { } warning) Console.Error.WriteLine($"warning: {warning}");
            if (!data.HasLabels && referencePath is null)
                throw new UsageException($"{data.Train.Name} has no labels (images without class sub-folders); give --against ORIGINAL to measure agreement with the unpruned network");
            if (!heldOut && data.Test.Count == 0)
                throw new UsageException($"{data.Train.Name} has no test images (a folder of unlabelled images); evaluate on --split heldout");
            var reference = referencePath is null ? null : Reference(referencePath, ck);
            var eng = reference is null ? EngineOption.Parse(p.GetValue(engine)!) : ScoringEngine.Torch;
            var estimate = MemoryCheck.Evaluation(ck.Network, eng);
            MemoryCheck.Ensure(reference is null ? estimate : estimate with { Weights = 2 * estimate.Weights });
            using var net = ck.ToModule();
            using var referenceNet = reference?.ToModule();
            var (set, indices) = heldOut ? (data.Train, data.Split.HeldOut) : (data.Test, data.Test.AllIndices());
            var result = referenceNet is null
                ? ModelEvaluation.Evaluate(net, set, indices, eng, p.GetValue(CommonOptions.Threads))
                : Evaluator.Compare(net, referenceNet, set, indices);
            bool labelled = data.HasLabels;
            if (p.GetValue(CommonOptions.Json))
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    split = p.GetValue(split), top1 = labelled ? result.Top1 : (double?)null, top5 = labelled ? result.Top5 : (double?)null, images = result.Count,
                    loss = labelled ? result.Loss : (double?)null, nonFinite = result.NonFinite, agreement = result.Agreement, relativeError = result.RelativeError,
                }, ResultJson.Options));
            else
            {
                if (labelled)
                    AnsiConsole.MarkupLine($"{p.GetValue(split)}: top-1 [bold]{Format.Percent(result.Top1)}[/], top-5 {Format.Percent(result.Top5)} on {result.Count} images");
                if (result.Agreement is double agreement)
                    AnsiConsole.MarkupLine($"{p.GetValue(split)}: top-1 agreement with {Markup.Escape(referencePath!)} [bold]{Format.Percent(agreement)}[/], " +
                        $"relative error of the outputs {result.DescribeRelativeError()} on {result.Count} images");
                if (result.NonFinite > 0)
                    AnsiConsole.MarkupLine($"[red]warning[/]: {result.NonFinite} of {result.Count} images gave NaN or Inf outputs (counted as misses{(reference is null ? "" : " and disagreements")}); the network is broken");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>The --against checkpoint: it must take the same images and give outputs of the same shape.</summary>
    static Checkpoint Reference(string path, Checkpoint ck)
    {
        if (!File.Exists(path)) throw new UsageException($"--against {path} does not exist");
        var reference = Checkpoint.Load(path);
        if (reference.Network.Input != ck.Network.Input)
            throw new UsageException($"--against {path} takes {reference.Network.Input} images, the checkpoint {ck.Network.Input}");
        var outputs = (reference.Network.OutputShape(), ck.Network.OutputShape());
        if (outputs.Item1 != outputs.Item2)
            throw new UsageException($"--against {path} gives {outputs.Item1} outputs, the checkpoint {outputs.Item2}; they cannot be compared");
        return reference;
    }
}
