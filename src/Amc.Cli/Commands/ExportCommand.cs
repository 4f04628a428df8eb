using Amc.Sessions;
using System.CommandLine;
using System.Text.Json;
using Amc.Graph;
using Onnx;
using Spectre.Console;
using static TorchSharp.torch;
using Amc.Files;
using Amc.Onnx;
using Amc.Torch;

namespace Amc.Cli.Commands;

/// <summary>
/// `amc export`: the checkpoint as ONNX (for ONNX Runtime) and/or as PyTorch-loadable safetensors
/// with the architecture JSON beside it. Every ONNX export is checked against TorchSharp on random
/// inputs before it is written, and the checkpoint's weights and logits must be finite.
/// </summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint to export", Required = true };
        var onnx = new Option<string?>("--onnx") { Description = "ONNX file to write (opset 13)" };
        var safetensors = new Option<string?>("--safetensors") { Description = "PyTorch-loadable weights to write; the architecture JSON goes beside it (.json)" };
        var noFold = new Option<bool>("--no-fold-bn") { Description = "Keep BatchNormalization nodes instead of folding them into the convs" };
        var sparse = new Option<bool>("--sparse")
        {
            Description = "Store weights that are mostly zeros (amc prune --sparsity / --policy of a sparsity search) as ONNX sparse initializers: " +
                "values + int64 indices, a smaller file; ONNX Runtime makes them dense again when it loads the model",
        };
        var cmd = new Command("export", "Export to ONNX and/or PyTorch safetensors, with an output parity check") { checkpoint, onnx, safetensors, noFold, sparse };
        cmd.SetAction(p =>
        {
            CommonOptions.Apply(p);
            string? onnxPath = p.GetValue(onnx), stPath = p.GetValue(safetensors);
            if (onnxPath is null && stPath is null) throw new UsageException("give --onnx FILE and/or --safetensors FILE");
            string? jsonPath = stPath is null ? null : Path.ChangeExtension(stPath, ".json");
            string ckPath = p.GetValue(checkpoint)!;
            var outputs = CommandOutputs.Of(p);
            outputs.Declare([new("--onnx", onnxPath), new("--safetensors", stPath), new("the architecture JSON (beside --safetensors)", jsonPath)],
                [new("--checkpoint", ckPath)]);
            var ck = Checkpoint.Load(ckPath).RequireFinite(ckPath);
            // Checkpoint, ONNX bytes and session, module; the parity check runs a batch of 4.
            MemoryCheck.Ensure(MemoryEstimate.Inference(ck.Network, 4, "exporting", weightCopies: 4));
            if (p.GetValue(sparse) && onnxPath is null) throw new UsageException("--sparse is a form of the ONNX file: give --onnx FILE");
            double? maxDiff = null;
            long? onnxBytes = null;
            int sparseInitializers = 0;
            if (onnxPath is not null)
            {
                // Checked before it is written, and staged: an export that fails leaves no file (nor replaces an older one).
                var model = OnnxExporter.Export(ck.Network, ck.Weights, foldBatchNorm: !p.GetValue(noFold), ck.Info.PreprocessingFor(ck.Network.Input));
                // Made sparse before the parity check, so the check runs the file as written.
                if (p.GetValue(sparse)) sparseInitializers = OnnxSparseWeights.Sparsify(model);
                maxDiff = Parity(ck, ckPath, model, p.GetValue(CommonOptions.Seed));
                onnxBytes = OnnxSparseWeights.Bytes(model);
                OnnxFile.Save(model, outputs.Stage(onnxPath));
            }
            if (stPath is not null)
            {
                SafeTensorsFile.Write(outputs.Stage(stPath), ck.Weights, new Dictionary<string, string> { ["format"] = "pt" });
                AtomicFile.WriteAllText(outputs.Stage(jsonPath!), NetworkJson.Write(ck.Network));
            }
            var cost = CostModel.Of(ck.Network);
            long nonZero = Amc.Pruning.SparsityMasks.NonZeroParams(ck.Network, ck.Weights);
            if (p.GetValue(CommonOptions.Json))
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    onnx = onnxPath, safetensors = stPath, maxAbsDiff = maxDiff, macs = cost.Macs, @params = cost.Params, nonZeroParams = nonZero,
                    onnxBytes, sparseInitializers = p.GetValue(sparse) ? sparseInitializers : (int?)null, mean = ck.Info.Mean, std = ck.Info.Std,
                }, ResultJson.Options));
            else
            {
                if (onnxPath is not null) AnsiConsole.MarkupLine($"[green]ONNX[/] {Markup.Escape(onnxPath)}: {onnxBytes:N0} bytes" +
                    (p.GetValue(sparse) ? $", {sparseInitializers} sparse initializers" : "") + $", {Format.Count(nonZero)} non-zero of {Format.Count(cost.Params)} params; " +
                    $"ONNX Runtime matches TorchSharp to {maxDiff:E1} (max abs diff of logits on random inputs)");
                if (stPath is not null) AnsiConsole.MarkupLine($"[green]safetensors[/] {Markup.Escape(stPath)} + {Markup.Escape(Path.ChangeExtension(stPath, ".json"))} (load with safetensors.torch.load_file)");
                if (ck.Info.Mean is { } m) AnsiConsole.WriteLine($"inputs: normalise with mean [{string.Join(", ", m)}], std [{string.Join(", ", ck.Info.Std ?? [])}] on the 0..1 pixel scale");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Largest abs difference of the logits (relative, for logits beyond 1) that still counts as the same network.</summary>
    public const double Tolerance = 1e-3;

    /// <summary>
    /// Max abs difference of the logits between ONNX Runtime and TorchSharp on random inputs; throws
    /// unless both engines give finite logits that agree within <see cref="Tolerance"/>, so a NaN
    /// can never pass the check.
    /// </summary>
    /// <param name="ckPath">The checkpoint's file, named when its network itself gives NaN or Inf.</param>
    public static double Parity(Checkpoint ck, string ckPath, ModelProto model, int seed)
    {
        using var session = new OnnxRuntimeSession(model);
        using var module = ck.ToModule();
        module.eval();
        using var scope = NewDisposeScope();
        var gen = new TorchSharp.torch.Generator((ulong)seed);
        var x = randn([4, ck.Network.Input.C, ck.Network.Input.H, ck.Network.Input.W], generator: gen);
        float[] ort = session.Run(x.data<float>().ToArray(), 4);
        float[] torchOut;
        using (no_grad()) torchOut = module.call(x).data<float>().ToArray();
        if (!torchOut.All(float.IsFinite))
            throw new CheckpointException($"{ckPath}: the network gives NaN or Inf logits on random inputs (e.g. a BatchNorm with a negative running variance, " +
                "or weights so large that float32 overflows); nothing was exported, use a checkpoint whose network computes finite outputs");
        if (ort.Length != torchOut.Length || !ort.All(float.IsFinite))
            throw new InvalidOperationException($"ONNX Runtime gives {(ort.Length != torchOut.Length ? $"{ort.Length} logits where TorchSharp gives {torchOut.Length}" : "NaN or Inf logits where TorchSharp's are finite")}; " +
                "the export is wrong (please report this network)");
        double maxDiff = 0, scale = 1;
        for (int i = 0; i < ort.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs((double)ort[i] - torchOut[i]));
            scale = Math.Max(scale, Math.Abs(torchOut[i]));
        }
        // Relative to the logits' magnitude once they exceed 1: float32 sums in another order differ
        // by a fraction of the values summed, so logits of 1e28 may differ by far more than 1e-3.
        // Written as "not within" so that a NaN, should one ever get here, fails it.
        if (!(maxDiff <= Tolerance * scale))
            throw new InvalidOperationException($"ONNX Runtime and TorchSharp disagree by {maxDiff:E2} on random inputs; the export is wrong (please report this network)");
        return maxDiff;
    }
}
