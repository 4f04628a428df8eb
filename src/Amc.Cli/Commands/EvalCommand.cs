using Amc.Files;
using System.CommandLine;
using System.Text.Json;
using Amc.Sessions;
using Spectre.Console;
using Amc.Torch;

namespace Amc.Cli.Commands;

/// <summary>`amc eval`: top-1 / top-5 of a checkpoint on the test set or the held-out split.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint to evaluate", Required = true };
        var split = new Option<string>("--split") { Description = "test or heldout", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("test", "heldout");
        var engine = EngineOption.Create("--engine", "Evaluate with ONNX Runtime (ort, faster here) or TorchSharp (torch)");
        var cmd = new Command("eval", "Top-1 and top-5 accuracy of a checkpoint") { checkpoint, split, engine };
        DataOptions.AddTo(cmd);
        cmd.SetAction(p =>
        {
            CommonOptions.Apply(p);
            var ck = Checkpoint.Load(p.GetValue(checkpoint)!);
            var data = DataOptions.OpenFor(p, ck);
            var eng = EngineOption.Parse(p.GetValue(engine)!);
            MemoryCheck.Ensure(MemoryCheck.Evaluation(ck.Network, eng));
            using var net = ck.ToModule();
            var result = p.GetValue(split) == "heldout"
                ? ModelEvaluation.Evaluate(net, data.Train, data.Split.HeldOut, eng, p.GetValue(CommonOptions.Threads))
                : ModelEvaluation.Evaluate(net, data.Test, data.Test.AllIndices(), eng, p.GetValue(CommonOptions.Threads));
            if (p.GetValue(CommonOptions.Json))
                Console.WriteLine(JsonSerializer.Serialize(new { split = p.GetValue(split), top1 = result.Top1, top5 = result.Top5, images = result.Count, loss = result.Loss, nonFinite = result.NonFinite }, ResultJson.Options));
            else
            {
                AnsiConsole.MarkupLine($"{p.GetValue(split)}: top-1 [bold]{Format.Percent(result.Top1)}[/], top-5 {Format.Percent(result.Top5)} on {result.Count} images");
                if (result.NonFinite > 0)
                    AnsiConsole.MarkupLine($"[red]warning[/]: the network gave NaN or Inf logits on {result.NonFinite} images (counted as misses); it is broken");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
