using System.CommandLine;
using System.Text.Json;
using Amc.Deploy;
using Amc.Graph;
using Amc.Runtime;
using Spectre.Console;
using static TorchSharp.torch;

namespace Amc.Cli.Commands;

/// <summary>
/// `amc export`: the checkpoint as ONNX (for ONNX Runtime) and/or as PyTorch-loadable safetensors
/// with the architecture JSON beside it. Every ONNX export is checked against TorchSharp on random
/// inputs before it is reported as done.
/// </summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint to export", Required = true };
        var onnx = new Option<string?>("--onnx") { Description = "ONNX file to write (opset 13)" };
        var safetensors = new Option<string?>("--safetensors") { Description = "PyTorch-loadable weights to write; the architecture JSON goes beside it (.json)" };
        var noFold = new Option<bool>("--no-fold-bn") { Description = "Keep BatchNormalization nodes instead of folding them into the convs" };
        var cmd = new Command("export", "Export to ONNX and/or PyTorch safetensors, with an output parity check") { checkpoint, onnx, safetensors, noFold };
        cmd.SetAction(p =>
        {
            CommonOptions.Apply(p);
            string? onnxPath = p.GetValue(onnx), stPath = p.GetValue(safetensors);
            if (onnxPath is null && stPath is null) throw new UsageException("give --onnx FILE and/or --safetensors FILE");
            var ck = Checkpoint.Load(p.GetValue(checkpoint)!);
            // Checkpoint, ONNX bytes and session, module; the parity check runs a batch of 4.
            MemoryCheck.Ensure(MemoryEstimate.Inference(ck.Network, 4, "exporting", weightCopies: 4));
            double? maxDiff = null;
            if (onnxPath is not null)
            {
                OnnxExporter.Save(onnxPath, ck.Network, ck.Weights, foldBatchNorm: !p.GetValue(noFold));
                maxDiff = Parity(ck, onnxPath, p.GetValue(CommonOptions.Seed));
                if (maxDiff > 1e-3)
                    throw new InvalidOperationException($"ONNX Runtime and TorchSharp disagree by {maxDiff:E2} on random inputs; the export is wrong (please report this network)");
            }
            if (stPath is not null)
            {
                SafeTensorsFile.Write(stPath, ck.Weights, new Dictionary<string, string> { ["format"] = "pt" });
                AtomicFile.WriteAllText(Path.ChangeExtension(stPath, ".json"), NetworkJson.Write(ck.Network));
            }
            var cost = CostModel.Of(ck.Network);
            if (p.GetValue(CommonOptions.Json))
                Console.WriteLine(JsonSerializer.Serialize(new { onnx = onnxPath, safetensors = stPath, maxAbsDiff = maxDiff, macs = cost.Macs, @params = cost.Params, mean = ck.Info.Mean, std = ck.Info.Std }, CliJson.Options));
            else
            {
                if (onnxPath is not null) AnsiConsole.MarkupLine($"[green]ONNX[/] {Markup.Escape(onnxPath)}: ONNX Runtime matches TorchSharp to {maxDiff:E1} (max abs diff of logits on random inputs)");
                if (stPath is not null) AnsiConsole.MarkupLine($"[green]safetensors[/] {Markup.Escape(stPath)} + {Markup.Escape(Path.ChangeExtension(stPath, ".json"))} (load with safetensors.torch.load_file)");
                if (ck.Info.Mean is { } m) AnsiConsole.WriteLine($"inputs: normalise with mean [{string.Join(", ", m)}], std [{string.Join(", ", ck.Info.Std ?? [])}] on the 0..1 pixel scale");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Max abs difference of the logits between ONNX Runtime and TorchSharp on random inputs.</summary>
    public static double Parity(Checkpoint ck, string onnxPath, int seed)
    {
        using var session = OnnxRuntimeSession.FromFile(onnxPath);
        using var module = ck.ToModule();
        module.eval();
        using var scope = NewDisposeScope();
        var gen = new TorchSharp.torch.Generator((ulong)seed);
        var x = randn([4, ck.Network.Input.C, ck.Network.Input.H, ck.Network.Input.W], generator: gen);
        float[] ort = session.Run(x.data<float>().ToArray(), 4);
        float[] torchOut;
        using (no_grad()) torchOut = module.call(x).data<float>().ToArray();
        return ort.Zip(torchOut).Max(t => Math.Abs(t.First - t.Second));
    }
}
