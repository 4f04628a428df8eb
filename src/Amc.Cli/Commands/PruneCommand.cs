using Amc.Files;
using System.CommandLine;
using System.Text.Json;
using Amc.Pruning;
using Amc.Sessions;
using Spectre.Console;

namespace Amc.Cli.Commands;

/// <summary>`amc prune`: the options of a <see cref="PruneSession"/> (a uniform ratio, a policy file or a sparsity), the pruned checkpoint and its policy written, the rows shown.</summary>
public static class PruneCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Trained checkpoint to prune", Required = true };
        var uniform = new Option<double?>("--uniform") { Description = "Keep this fraction of every prunable group's channels" }.In(OptionRange.Fraction);
        var policy = new Option<string?>("--policy") { Description = "Policy JSON (best-policy.json from amc search: channels per group, or with --mode sparsity a sparsity per layer)" };
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
            var outputs = CommandOutputs.Of(p);
            outputs.Declare([new("--out", outPath), new("the policy (beside --out)", p.GetValue(sparsity) is null ? PolicyPath(outPath) : null)],
                [new("--checkpoint", p.GetValue(checkpoint)), new("--policy", p.GetValue(policy)), new("--data", p.GetValue(DataOptions.Data))]);
            // Fine-grained: --sparsity, or a policy of per-layer sparsity from `amc search --mode sparsity`
            // (read only after the outputs are checked against the inputs; it then writes no channel policy).
            bool sparse = p.GetValue(sparsity) is not null || p.GetValue(policy) is string file && SparsityPolicy.IsSparsity(file);
            var settings = new PruneSettings
            {
                Checkpoint = p.GetValue(checkpoint)!, Uniform = p.GetValue(uniform), PolicyFile = p.GetValue(policy), Sparsity = p.GetValue(sparsity),
                // Without --data (and without reconstruction) channel pruning reads no images.
                Data = !sparse && !p.GetValue(reconstruct) && p.GetResult(DataOptions.Data) is null or { Implicit: true } ? null : DataOptions.Settings(p),
                Pruning = PruningOptions.Read(p, p.GetValue(reconstruct)), Calibration = PruningOptions.Calibration(p),
                CommandLine = CommonOptions.CommandLine,
            };
            var result = PruneSession.Run(settings);
            if (result.HeldOutWarning is { } warning) Console.Error.WriteLine($"warning: {warning}");
            result.Pruned.Save(outputs.Stage(outPath));
            result.Policy?.Save(outputs.Stage(PolicyPath(outPath)));

            if (p.GetValue(CommonOptions.Json))
                Console.WriteLine(JsonSerializer.Serialize(new { output = outPath, rows = result.Rows }, ResultJson.Options));
            else if (sparse)
                RenderSparse(result.Rows, p.GetValue(sparsity) is double fraction ? $"{fraction:P0} of each conv/linear layer" : $"per layer as {p.GetValue(policy)}");
            else
                Render(result.Rows, settings.Pruning);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static string Accuracy(double? top) => top is double t ? Format.Percent(t) : "n/a";

    /// <summary>The channel policy written beside a pruned checkpoint.</summary>
    static string PolicyPath(string output) => Path.ChangeExtension(output, ".policy.json");

    internal static void Render(IReadOnlyList<PruneRow> rows, PruneOptions options)
    {
        var t = new Table().Border(TableBorder.Rounded)
            .Title($"pruning: criterion {options.Criterion}, reconstruction {(options.Reconstruct ? "on" : "off")}, BN re-estimation {(options.RecalibrateBatchNorm ? "on" : "off")}");
        t.AddColumns("network", "MACs", "params", "held-out top-1", "test top-1", "test top-5");
        foreach (var r in rows)
            t.AddRow(r.Network, $"{Format.Count(r.Macs)} ({100.0 * r.Macs / rows[0].Macs:F1} %)", $"{Format.Count(r.Params)} ({100.0 * r.Params / rows[0].Params:F1} %)",
                Accuracy(r.HeldOutTop1), Accuracy(r.TestTop1), Accuracy(r.TestTop5));
        AnsiConsole.Write(t);
    }

    static void RenderSparse(IReadOnlyList<PruneRow> rows, string sparsity)
    {
        var t = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"fine-grained magnitude pruning, {sparsity} (params = non-zeros)"));
        t.AddColumns("network", "params", "ONNX bytes (export --sparse)", "held-out top-1", "test top-1");
        foreach (var r in rows)
            t.AddRow(r.Network, $"{Format.Count(r.Params)} ({100.0 * r.Params / rows[0].Params:F1} %)", $"{r.SparseOnnxBytes:N0} ({100.0 * r.SparseOnnxBytes / rows[0].SparseOnnxBytes:F1} %)",
                Accuracy(r.HeldOutTop1), Accuracy(r.TestTop1));
        AnsiConsole.Write(t);
    }
}
