using System.Globalization;
using System.Text.Json;
using Amc.Tests.Data;

namespace Amc.Tests.Cli;

/// <summary>`amc compress`: the joint search, prune, fine-tune and quantize in one command, as a user runs it, and --resume.</summary>
[Collection(TrainedModelCollection.Name)]
public class CompressTests(TrainedModel model)
{
    [Fact]
    public void Compress_deploys_the_searched_policy_reports_each_step_and_resumes_without_redoing_them()
    {
        using var cache = new TempFolder();
        var home = ("XDG_CACHE_HOME", cache.Path);
        var outDir = model.NewPath("compress");
        string[] Command(string target) => ["compress", "--checkpoint", model.Checkpoint, "--data", model.Data, "--episodes", "4", "--warmup", "2",
            "--heldout", "10", "--calibration-images", "40", "--bn-images", "20", "--round", "4", "--repeats", "5", "--out", outDir,
            "--target-latency", target, "--json"];
        string target = "0.95";
        var r = CliRun.AmcWith(home, Command(target));
        if (r.ExitCode == 2)
        {
            // A tiny network's timings decide what is feasible: go where the search says it can.
            var m = System.Text.RegularExpressions.Regex.Match(r.Stderr, @"smallest feasible target is ([0-9.]+)");
            Assert.True(m.Success, r.ToString());
            double lowest = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            if (lowest >= 1) return; // int8 and pruning together no faster than the float network: nothing to compress
            target = Math.Min(1, lowest + 0.02).ToString(CultureInfo.InvariantCulture);
            r = CliRun.AmcWith(home, Command(target));
        }
        CliAssert.Ok(r);
        Assert.True(File.Exists(Path.Combine(outDir, "config.json")));
        var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "compress.json"))).RootElement;
        Assert.Equal(JsonDocument.Parse(r.Stdout).RootElement.ToString(), report.ToString());
        var steps = report.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(["original", "pruned (before fine-tuning)", "fine-tuned (float)"], steps.Take(3).Select(s => s.GetProperty("network").GetString()));
        Assert.StartsWith("final", steps[3].GetProperty("network").GetString());
        // Each network after the original is compared with the original's outputs too.
        Assert.Equal(JsonValueKind.Null, steps[0].GetProperty("agreement").ValueKind);
        Assert.All(steps.Skip(1), s => Assert.InRange(s.GetProperty("agreement").GetDouble(), 0, 1));
        // The fine-tuned float network's score is what `amc eval` gives it.
        var eval = CliRun.Amc("eval", "--checkpoint", Path.Combine(outDir, "tuned.amc"), "--data", model.Data, "--heldout", "10", "--json");
        CliAssert.Ok(eval);
        Assert.Equal(JsonDocument.Parse(eval.Stdout).RootElement.GetProperty("top1").GetDouble(), steps[2].GetProperty("top1").GetDouble(), 9);

        // The network deployed has the search's best widths...
        string searchDir = Path.Combine(outDir, "search");
        var best = JsonDocument.Parse(File.ReadAllText(Path.Combine(searchDir, "results.json"))).RootElement.GetProperty("results").EnumerateArray()
            .Single(x => x.GetProperty("kind").GetString() == "Search");
        Assert.Equal(best.GetProperty("macs").GetInt64(), steps[3].GetProperty("macs").GetInt64());
        Assert.Equal(best.GetProperty("params").GetInt64(), steps[3].GetProperty("params").GetInt64());
        // ...and is what `amc quantize --policy` makes of the fine-tuned checkpoint with the search's precisions.
        string alone = model.NewPath("compress-alone.int8.onnx");
        var q = CliRun.Amc("quantize", "--checkpoint", Path.Combine(outDir, "tuned.amc"), "--data", model.Data, "--heldout", "10",
            "--policy", Path.Combine(searchDir, "best-policy.json"), "--out", alone, "--repeats", "3", "--json");
        var int8Layers = report.GetProperty("int8Layers").EnumerateArray().Select(x => x.GetString()).ToList();
        if (int8Layers.Count == 0)
        {
            Assert.Contains("puts no group in int8", CliAssert.BadInput(q));
            Assert.Equal(File.ReadAllBytes(Path.Combine(outDir, "tuned.onnx")), File.ReadAllBytes(Path.Combine(outDir, "model.int8.onnx")));
        }
        else
        {
            CliAssert.Ok(q);
            var quantized = JsonDocument.Parse(q.Stdout).RootElement;
            Assert.Equal(int8Layers, quantized.GetProperty("int8Nodes").EnumerateArray().Select(x => x.GetString()));
            Assert.Equal(quantized.GetProperty("int8").GetProperty("top1").GetDouble(), steps[3].GetProperty("top1").GetDouble());
            Assert.Equal(quantized.GetProperty("float").GetProperty("top1").GetDouble(), steps[2].GetProperty("top1").GetDouble());
            Assert.Equal(File.ReadAllBytes(alone), File.ReadAllBytes(Path.Combine(outDir, "model.int8.onnx")));
        }
        var timing = report.GetProperty("timings").EnumerateArray().First();
        double Median(string network) => timing.GetProperty(network).GetProperty("median").GetDouble();
        Assert.Equal(Median("original") / Median("final"), timing.GetProperty("total").GetDouble(), 9);
        if (int8Layers.Count == 0) Assert.Equal(1.0, timing.GetProperty("int8").GetDouble());
        var markdown = File.ReadAllText(Path.Combine(outDir, "report.md"));
        Assert.Contains("from pruning", markdown);
        Assert.Contains("from int8", markdown);

        // A second run into the folder is refused; --resume redoes only what follows the fine-tune.
        Assert.Contains("--resume", CliAssert.BadInput(CliRun.AmcWith(home, Command(target))));
        var searchLog = File.ReadAllText(Path.Combine(searchDir, "episodes.jsonl"));
        var tuned = File.ReadAllBytes(Path.Combine(outDir, "tuned.amc"));
        File.Delete(Path.Combine(outDir, "report.md"));
        CliAssert.Ok(CliRun.AmcWith(home, [.. Command(target), "--resume"]));
        Assert.Equal(searchLog, File.ReadAllText(Path.Combine(searchDir, "episodes.jsonl")));
        Assert.Equal(tuned, File.ReadAllBytes(Path.Combine(outDir, "tuned.amc")));
        Assert.True(File.Exists(Path.Combine(outDir, "report.md")));
        // A finished search is not reused for another budget, nor a finished fine-tune for other epochs.
        Assert.Contains("--finetune-epochs", CliAssert.BadInput(CliRun.AmcWith(home, [.. Command(target), "--resume", "--finetune-epochs", "2"])));
        Assert.Contains("--target-latency", CliAssert.BadInput(CliRun.AmcWith(home, [.. Command("0.99"), "--resume"])));
    }
}
