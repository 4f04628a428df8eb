using System.CommandLine;
using System.Text.Json;
using Amc.Graph;
using Amc.Pruning;
using Amc.Training;
using Spectre.Console;
using Amc.Torch;

namespace Amc.Cli.Commands;

/// <summary>`amc prune`: apply a uniform ratio or a policy file, write the physically smaller checkpoint.</summary>
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
            var ck = Checkpoint.Load(p.GetValue(checkpoint)!).RequireFinite(p.GetValue(checkpoint)!);
            var graph = ChannelGraph.Build(ck.Network);
            PruningPolicy plan;
            if (p.GetValue(uniform) is double keep) plan = PruningPolicy.Uniform(graph, keep, ck.Info.Model);
            else plan = PruningPolicy.Load(p.GetValue(policy)!);
            Policy channels;
            try { channels = plan.Resolve(graph, plan.Round ?? options.Round); }
            catch (PolicyException e) { throw new UsageException(p.GetValue(policy) is string file ? $"{file}: {e.Message}" : e.Message); }

            var data = DataOptions.OpenFor(p, ck);
            PruningOptions.CheckMemory(p, ck, data, options.Reconstruct, "pruning", data.Test.Count);
            using var calibration = PruningOptions.Calibration(p, data);
            var pruner = PruningOptions.Pruner(p, ck, calibration);
            var pruned = pruner.Prune(channels, options);
            using var before = ck.ToModule();
            using var after = pruner.ToModule(pruned, options);
            using var heldOut = new TensorBatches(data.Train, data.Split.HeldOut, 250);
            using var test = new TensorBatches(data.Test, data.Test.AllIndices(), 250);
            var rows = new[]
            {
                Row("original", ck.Network, Evaluator.Evaluate(before, heldOut), Evaluator.Evaluate(before, test)),
                Row("pruned", pruned.Network, Evaluator.Evaluate(after, heldOut), Evaluator.Evaluate(after, test)),
            };
            var info = ck.Info with
            {
                Parent = p.GetValue(checkpoint),
                Command = CommonOptions.CommandLine,
                Metrics = new() { ["heldout_top1"] = rows[1].HeldOutTop1, ["test_top1"] = rows[1].TestTop1, ["test_top5"] = rows[1].TestTop5 },
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
            Metrics = new() { ["heldout_top1"] = rows[1].HeldOutTop1, ["test_top1"] = rows[1].TestTop1, ["test_top5"] = rows[1].TestTop5 },
        };
        Checkpoint.From(after, info).Save(CommandOutputs.Of(p).Stage(output));
        if (p.GetValue(CommonOptions.Json))
            Console.WriteLine(JsonSerializer.Serialize(new { output, rows }, CliJson.Options));
        else
        {
            var t = new Table().Border(TableBorder.Rounded).Title($"fine-grained magnitude pruning, {fraction:P0} of each conv/linear layer (params = non-zeros)");
            t.AddColumns("network", "params", "held-out top-1", "test top-1");
            foreach (var r in rows) t.AddRow(r.Network, $"{Format.Count(r.Params)} ({100.0 * r.Params / rows[0].Params:F1} %)", Format.Percent(r.HeldOutTop1), Format.Percent(r.TestTop1));
            AnsiConsole.Write(t);
        }
        return ExitCodes.Ok;
    }

    /// <summary>The channel policy written beside a pruned checkpoint.</summary>
    static string PolicyPath(string output) => Path.ChangeExtension(output, ".policy.json");

    public sealed record ResultRow(string Network, long Macs, long Params, double HeldOutTop1, double TestTop1, double TestTop5);

    static ResultRow Row(string name, Network net, Evaluation heldOut, Evaluation test)
    {
        var cost = CostModel.Of(net);
        return new ResultRow(name, cost.Macs, cost.Params, heldOut.Top1, test.Top1, test.Top5);
    }

    static void Render(ResultRow[] rows, PruneOptions options)
    {
        var t = new Table().Border(TableBorder.Rounded)
            .Title($"pruning: criterion {options.Criterion}, reconstruction {(options.Reconstruct ? "on" : "off")}, BN re-estimation {(options.RecalibrateBatchNorm ? "on" : "off")}");
        t.AddColumns("network", "MACs", "params", "held-out top-1", "test top-1", "test top-5");
        foreach (var r in rows)
            t.AddRow(r.Network, $"{Format.Count(r.Macs)} ({100.0 * r.Macs / rows[0].Macs:F1} %)", $"{Format.Count(r.Params)} ({100.0 * r.Params / rows[0].Params:F1} %)",
                Format.Percent(r.HeldOutTop1), Format.Percent(r.TestTop1), Format.Percent(r.TestTop5));
        AnsiConsole.Write(t);
    }
}
