using System.CommandLine;
using System.Text.Json;
using Amc.Graph;
using Amc.Pruning;
using Amc.Training;
using Spectre.Console;
using Amc.Torch;

namespace Amc.Cli.Commands;

/// <summary>
/// `amc prune`: apply a uniform ratio or a policy file, write the physically smaller checkpoint.
/// Without --data and --reconstruct it needs no images: channels are chosen from the weights,
/// BN statistics stay as they were and no accuracy is measured (an ONNX import of an ImageNet
/// model can be pruned and exported without ImageNet).
/// </summary>
public static class PruneCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Trained checkpoint to prune", Required = true };
        var uniform = new Option<double?>("--uniform") { Description = "Keep this fraction of every prunable group's channels" }.In(OptionRange.Fraction);
        var policy = new Option<string?>("--policy") { Description = "Policy JSON (e.g. best-policy.json from amc search)" };
        var reconstruct = new Option<bool>("--reconstruct") { Description = "Refit consumer weights by least squares (AMC)" };
        var sparsity = new Option<double?>("--sparsity") { Description = "Fine-grained instead: zero this fraction of every conv/linear layer's smallest weights (masks kept through fine-tuning)" }
            .In(new OptionRange(0, 1, MaxOpen: true));
        var output = new Option<string>("--out") { Description = "Pruned checkpoint to write", Required = true };
        var cmd = new Command("prune", "Prune channels to a policy; writes a physically smaller network") { checkpoint, uniform, policy, reconstruct, sparsity, output };
        PruningOptions.AddTo(cmd);
        DataOptions.AddTo(cmd);
        cmd.SetAction(p =>
        {
            CommonOptions.Apply(p);
            int modes = (p.GetValue(uniform) is null ? 0 : 1) + (p.GetValue(policy) is null ? 0 : 1) + (p.GetValue(sparsity) is null ? 0 : 1);
            if (modes != 1) throw new UsageException("give exactly one of --uniform RATIO, --policy FILE or --sparsity FRACTION");
            string outPath = p.GetValue(output)!;
            CommandOutputs.Of(p).Declare([new("--out", outPath), new("the policy (beside --out)", p.GetValue(sparsity) is null ? PolicyPath(outPath) : null)],
                [new("--checkpoint", p.GetValue(checkpoint)), new("--policy", p.GetValue(policy)), new("--data", p.GetValue(DataOptions.Data))]);
            if (p.GetValue(sparsity) is double fraction)
                return FineGrained(p, fraction, p.GetValue(checkpoint)!, p.GetValue(output)!);
            var options = PruningOptions.Read(p, p.GetValue(reconstruct));
            bool withoutData = !options.Reconstruct && p.GetResult(DataOptions.Data) is null or { Implicit: true };
            if (withoutData) options = options with { RecalibrateBatchNorm = false };
            var ck = Checkpoint.Load(p.GetValue(checkpoint)!).RequireFinite(p.GetValue(checkpoint)!);
            var graph = ChannelGraph.Build(ck.Network);
            PruningPolicy plan;
            if (p.GetValue(uniform) is double keep) plan = PruningPolicy.Uniform(graph, keep, ck.Info.Model);
            else plan = PruningPolicy.Load(p.GetValue(policy)!);
            Policy channels;
            try { channels = plan.Resolve(graph, plan.Round ?? options.Round); }
            catch (PolicyException e) { throw new UsageException(p.GetValue(policy) is string file ? $"{file}: {e.Message}" : e.Message); }

            if (withoutData) MemoryCheck.Ensure(MemoryEstimate.Inference(ck.Network, 1, "pruning", weightCopies: 3));
            var data = withoutData ? null : DataOptions.OpenFor(p, ck);
            if (data is not null) PruningOptions.CheckMemory(p, ck, data, options.Reconstruct, "pruning", data.Test.Count);
            using var calibration = data is null ? null : PruningOptions.Calibration(p, data);
            var pruner = calibration is null ? new ChannelPruner(ck.Network, ck.Weights, [], 0) : PruningOptions.Pruner(p, ck, calibration);
            var pruned = pruner.Prune(channels, options);
            using var before = ck.ToModule();
            using var after = pruner.ToModule(pruned, options);
            using var heldOut = data is null ? null : new TensorBatches(data.Train, data.Split.HeldOut, 250);
            using var test = data is null ? null : new TensorBatches(data.Test, data.Test.AllIndices(), 250);
            ResultRow Measured(string name, Network net, GraphModule module) => heldOut is null || test is null
                ? Row(name, net, null, null)
                : Row(name, net, Evaluator.Evaluate(module, heldOut), Evaluator.Evaluate(module, test));
            var rows = new[] { Measured("original", ck.Network, before), Measured("pruned", pruned.Network, after) };
            var info = ck.Info with
            {
                Parent = p.GetValue(checkpoint),
                Command = CommonOptions.CommandLine,
                // Without data there is no accuracy to record; the original's does not hold for the pruned network.
                Metrics = data is null ? null : new() { ["heldout_top1"] = rows[1].HeldOutTop1!.Value, ["test_top1"] = rows[1].TestTop1!.Value, ["test_top5"] = rows[1].TestTop5!.Value },
            };
            var outputs = CommandOutputs.Of(p);
            Checkpoint.From(after, info).Save(outputs.Stage(outPath));
            PruningPolicy.From(channels, graph, ck.Info.Model, options.Round).Save(outputs.Stage(PolicyPath(outPath)));

            if (p.GetValue(CommonOptions.Json))
                Console.WriteLine(JsonSerializer.Serialize(new { output = p.GetValue(output), rows }, CliJson.Options));
            else
                Render(rows, options);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Fine-grained magnitude pruning of every conv and linear layer (AMC's parameter-budget variant).</summary>
    static int FineGrained(ParseResult p, double fraction, string input, string output)
    {
        var ck = Checkpoint.Load(input).RequireFinite(input);
        var data = DataOptions.OpenFor(p, ck);
        // Checkpoint, original and sparse modules; held-out and test tensors.
        MemoryCheck.Ensure(MemoryEstimate.Inference(ck.Network, MemoryCheck.ScoringBatch, "pruning", weightCopies: 3)
            .WithImages(ck.Network, (long)data.Split.HeldOut.Length + data.Test.Count));
        using var before = ck.ToModule();
        using var after = ck.ToModule();
        var layers = ck.Network.Layers.Where(l => l.Kind is LayerKind.Conv2d or LayerKind.Linear).ToDictionary(l => l.Name, _ => fraction);
        var masks = SparsityMasks.Prune(after, layers);
        using var heldOut = new TensorBatches(data.Train, data.Split.HeldOut, 250);
        using var test = new TensorBatches(data.Test, data.Test.AllIndices(), 250);
        ResultRow Row(string name, GraphModule m)
        {
            var cost = CostModel.Of(ck.Network);
            var h = Evaluator.Evaluate(m, heldOut);
            var t = Evaluator.Evaluate(m, test);
            return new ResultRow(name, cost.Macs, SparsityMasks.NonZeroParams(ck.Network, m.Tensors()), h.Top1, t.Top1, t.Top5);
        }
        var rows = new[] { Row("original", before), Row("sparse", after) };
        var info = ck.Info with
        {
            Parent = input, Sparsity = masks.Sparsity,
            Command = CommonOptions.CommandLine,
            Metrics = new() { ["heldout_top1"] = rows[1].HeldOutTop1!.Value, ["test_top1"] = rows[1].TestTop1!.Value, ["test_top5"] = rows[1].TestTop5!.Value },
        };
        Checkpoint.From(after, info).Save(CommandOutputs.Of(p).Stage(output));
        if (p.GetValue(CommonOptions.Json))
            Console.WriteLine(JsonSerializer.Serialize(new { output, rows }, CliJson.Options));
        else
        {
            var t = new Table().Border(TableBorder.Rounded).Title($"fine-grained magnitude pruning, {fraction:P0} of each conv/linear layer (params = non-zeros)");
            t.AddColumns("network", "params", "held-out top-1", "test top-1");
            foreach (var r in rows) t.AddRow(r.Network, $"{Format.Count(r.Params)} ({100.0 * r.Params / rows[0].Params:F1} %)", Accuracy(r.HeldOutTop1), Accuracy(r.TestTop1));
            AnsiConsole.Write(t);
        }
        return ExitCodes.Ok;
    }

    /// <summary>The channel policy written beside a pruned checkpoint.</summary>
    static string PolicyPath(string output) => Path.ChangeExtension(output, ".policy.json");

    /// <summary>One network's cost and accuracy; the accuracies are null when pruning ran without data.</summary>
    public sealed record ResultRow(string Network, long Macs, long Params, double? HeldOutTop1, double? TestTop1, double? TestTop5);

    static ResultRow Row(string name, Network net, Evaluation? heldOut, Evaluation? test)
    {
        var cost = CostModel.Of(net);
        return new ResultRow(name, cost.Macs, cost.Params, heldOut?.Top1, test?.Top1, test?.Top5);
    }

    static string Accuracy(double? top) => top is double t ? Format.Percent(t) : "n/a";

    static void Render(ResultRow[] rows, PruneOptions options)
    {
        var t = new Table().Border(TableBorder.Rounded)
            .Title($"pruning: criterion {options.Criterion}, reconstruction {(options.Reconstruct ? "on" : "off")}, BN re-estimation {(options.RecalibrateBatchNorm ? "on" : "off")}");
        t.AddColumns("network", "MACs", "params", "held-out top-1", "test top-1", "test top-5");
        foreach (var r in rows)
            t.AddRow(r.Network, $"{Format.Count(r.Macs)} ({100.0 * r.Macs / rows[0].Macs:F1} %)", $"{Format.Count(r.Params)} ({100.0 * r.Params / rows[0].Params:F1} %)",
                Accuracy(r.HeldOutTop1), Accuracy(r.TestTop1), Accuracy(r.TestTop5));
        AnsiConsole.Write(t);
    }
}
