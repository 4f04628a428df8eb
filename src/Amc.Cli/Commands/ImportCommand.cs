using Amc.Sessions;
using System.CommandLine;
using Amc.Graph;
using Spectre.Console;
using Amc.Onnx;
using Amc.Torch;

namespace Amc.Cli.Commands;

/// <summary>`amc import`: an ONNX CNN becomes a checkpoint the other commands work on.</summary>
public static class ImportCommand
{
    public static Command Create()
    {
        var onnx = new Option<string?>("--onnx") { Description = "ONNX model (Conv, BatchNormalization, Relu, Clip, Add, pools, Flatten/Reshape, Gemm/MatMul, Concat)" };
        var weights = new Option<string?>("--weights") { Description = "PyTorch state dict (.pt/.pth from torch.save, or .safetensors) for a zoo --model" };
        var model = new Option<string?>("--model") { Description = "Zoo model the --weights belong to (torchvision names: resnet50, vgg16, mobilenetv2, ...)" };
        var input = new Option<string>("--input") { Description = "Input shape CxHxW for --weights", DefaultValueFactory = _ => "3x224x224" };
        var classes = new Option<int>("--classes") { Description = "Classes for --weights", DefaultValueFactory = _ => 1000 }.In(OptionRange.AtLeast(1));
        var width = new Option<double>("--width") { Description = "Width multiplier for --weights", DefaultValueFactory = _ => 1.0 }.In(TrainCommand.WidthRange);
        var output = new Option<string>("--out") { Description = "Checkpoint to write", Required = true };
        var mean = NormalisationOptions.Mean("");
        var std = NormalisationOptions.Std();
        var cmd = new Command("import", "Import an ONNX CNN, or PyTorch weights of a zoo model, as an amc checkpoint") { onnx, weights, model, input, classes, width, output, mean, std };
        cmd.SetAction(p =>
        {
            CommonOptions.Apply(p);
            if ((p.GetValue(onnx) is null) == (p.GetValue(weights) is null)) throw new UsageException("give --onnx FILE, or --weights FILE with --model NAME");
            string path = p.GetValue(onnx) ?? p.GetValue(weights)!;
            var outputs = CommandOutputs.Of(p);
            outputs.Declare([new("--out", p.GetValue(output))], [new("--onnx", p.GetValue(onnx)), new("--weights", p.GetValue(weights))]);
            if (!File.Exists(path)) throw new UsageException($"{path}: file not found");
            var (m, s) = NormalisationOptions.Read(p, mean, std);
            Checkpoint ck;
            if (p.GetValue(onnx) is not null)
            {
                // An amc export says how it was fed; --mean/--std given here still win.
                ck = OnnxCheckpoint.Load(path, m, s);
                // The tensors are read; the checkpoint written from them is one more copy.
                MemoryCheck.Ensure(MemoryEstimate.WeightsOnly(ck.Network, "importing", copies: 2));
            }
            else
            {
                var zoo = ProfileCommand.Resolve(p.GetValue(model) ?? throw new UsageException("--weights needs --model NAME"), p.GetValue(input)!, p.GetValue(classes), p.GetValue(width), null);
                // The state dict as read, the fitted tensors and the checkpoint written from them.
                MemoryCheck.Ensure(MemoryEstimate.WeightsOnly(zoo, "importing", copies: 3));
                var tensors = PyTorchWeights.Fit(zoo, PyTorchWeights.Read(path), path);
                ck = new Checkpoint(zoo, tensors, new CheckpointInfo { Model = zoo.Name, Mean = m, Std = s, Parent = path }).RequireFinite(path);
            }
            var net = ck.Network;
            if (m is not null && (m.Length != net.Input.C || s!.Length != net.Input.C))
                throw new UsageException($"--mean and --std need {net.Input.C} values (one per input channel)");
            ck.Save(outputs.Stage(p.GetValue(output)!));
            var cost = CostModel.Of(net);
            AnsiConsole.MarkupLine($"[green]imported[/] {Markup.Escape(path)} -> {Markup.Escape(p.GetValue(output)!)}: {net.Layers.Count} layers, input {net.Input}, {Format.Count(cost.Macs)} MACs, {Format.Count(cost.Params)} params");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
