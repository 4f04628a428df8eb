using System.Globalization;
using System.Text.Json;
using Amc.Tests.Data;

namespace Amc.Tests.Cli;

/// <summary>`amc latency-table` then `amc search --target-latency` on one small model, as a user runs them.</summary>
[Collection(TrainedModelCollection.Name)]
public class LatencySearchTests(TrainedModel model)
{
    [Fact]
    public void Latency_search_reuses_the_table_keeps_its_budget_and_times_the_policies_end_to_end()
    {
        using var cache = new TempFolder();
        var home = ("XDG_CACHE_HOME", cache.Path);
        string[] grid = ["--round", "4", "--lbound", "0.2", "--latency-threads", "1"];
        var built = CliRun.AmcWith(home, ["latency-table", "--checkpoint", model.Checkpoint, "--json", .. grid]);
        CliAssert.Ok(built);
        var table = JsonDocument.Parse(built.Stdout).RootElement;
        Assert.False(table.GetProperty("fromCache").GetBoolean());
        Assert.Equal(["full", "smallest", "middle"], table.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        double lowest = table.GetProperty("predictedSmallestMs").GetDouble() / table.GetProperty("predictedFullMs").GetDouble();

        var outDir = model.NewPath("search");
        string[] search = ["search", "--checkpoint", model.Checkpoint, "--data", model.Data, "--episodes", "4", "--warmup", "2",
            "--heldout", "10", "--calibration-images", "40", "--bn-images", "20", "--out", outDir, "--json", .. grid];
        if (lowest >= 0.99)
        {
            // Timing noise made the smallest network no faster than the full one: then the search must refuse.
            Assert.Contains("smallest feasible target", CliAssert.BadInput(CliRun.AmcWith(home, [.. search, "--target-latency", "0.99"])));
            return;
        }
        double target = Math.Round(lowest + 0.5 * (1 - lowest), 3, MidpointRounding.ToPositiveInfinity);
        var r = CliRun.AmcWith(home, [.. search, "--target-latency", target.ToString(CultureInfo.InvariantCulture)]);
        CliAssert.Ok(r);

        var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json"))).RootElement;
        // 10 scoring images of the 20 the default split holds: the top policies are re-scored on the other 10.
        var confirmed = results.GetProperty("confirmed").EnumerateArray().ToList();
        Assert.InRange(confirmed.Count, 1, 4);
        Assert.Contains(confirmed, c => c.GetProperty("episode").GetInt32() == results.GetProperty("best").GetProperty("episode").GetInt32());
        var latency = results.GetProperty("latency");
        Assert.True(latency.GetProperty("table").GetProperty("fromCache").GetBoolean());
        var networks = latency.GetProperty("networks").EnumerateArray().ToList();
        Assert.Equal(["original", "best"], networks.Take(2).Select(n => n.GetProperty("name").GetString()));
        Assert.Contains(networks, n => n.GetProperty("name").GetString() == "uniform");
        double original = networks[0].GetProperty("predictedMs").GetDouble();
        Assert.True(networks[1].GetProperty("predictedMs").GetDouble() <= target * original + 1e-6);
        Assert.All(networks, n => Assert.True(n.GetProperty("measuredMs").GetDouble() > 0));
        // The best policies were timed end to end before one was chosen: the result is one that met
        // the budget when measured or, when none did, the fastest of them.
        var timed = latency.GetProperty("budgetCheck").GetProperty("timed").EnumerateArray().ToList();
        Assert.InRange(timed.Count, 1, 4);
        int bestEpisode = results.GetProperty("best").GetProperty("episode").GetInt32();
        var chosen = timed.Single(t => t.GetProperty("episode").GetInt32() == bestEpisode);
        if (timed.Any(t => t.GetProperty("withinBudget").GetBoolean())) Assert.True(chosen.GetProperty("withinBudget").GetBoolean());
        else Assert.Equal(timed.Min(t => t.GetProperty("measuredFraction").GetDouble()), chosen.GetProperty("measuredFraction").GetDouble());
        Assert.Contains("budget check", File.ReadAllText(Path.Combine(outDir, "summary.md")));
        var episodes = File.ReadAllLines(Path.Combine(outDir, "episodes.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(4, episodes.Count);
        Assert.All(episodes, e => Assert.InRange(e.GetProperty("budgetFraction").GetDouble(), 0.0, target + 1e-5));

        // The wall depends on the table's values: resuming against a table measured again is refused.
        var cached = Directory.GetFiles(Path.Combine(cache.Path, "amc", "latency"), "*.json").Single();
        var text = File.ReadAllText(cached);
        var ms = System.Text.RegularExpressions.Regex.Match(text, @"""ms"": ([0-9.]+)");
        Assert.True(ms.Success, text[..200]);
        File.WriteAllText(cached, text.Remove(ms.Groups[1].Index, ms.Groups[1].Length).Insert(ms.Groups[1].Index, "123.5"));
        string[] again = [.. search, "--target-latency", target.ToString(CultureInfo.InvariantCulture), "--resume"];
        Assert.Contains("latency table", CliAssert.BadInput(CliRun.AmcWith(home, again)));
        // The cache's edited value was used, not measured again: the table is still the edited file.
        Assert.Contains("123.5", File.ReadAllText(cached));
    }

    [Fact]
    public void Mixed_precision_search_chooses_precision_per_group_and_quantize_deploys_its_choice()
    {
        using var cache = new TempFolder();
        var home = ("XDG_CACHE_HOME", cache.Path);
        var outDir = model.NewPath("mixed");
        string[] search = ["search", "--checkpoint", model.Checkpoint, "--data", model.Data, "--episodes", "4", "--warmup", "2",
            "--heldout", "10", "--calibration-images", "40", "--bn-images", "20", "--out", outDir, "--json",
            "--round", "4", "--lbound", "0.2", "--latency-threads", "1", "--mixed-precision", "--confirm-top", "0"];
        Assert.Contains("--target-latency", CliAssert.BadInput(CliRun.AmcWith(home, [.. search, "--target-macs", "0.5"])));
        Assert.Contains("--balanced-random", CliAssert.BadInput(CliRun.AmcWith(home, [.. search, "--target-latency", "0.95", "--balanced-random"])));
        var r = CliRun.AmcWith(home, [.. search, "--target-latency", "0.95"]);
        if (r.ExitCode == 2)
        {
            // The timings of a tiny network decide what is feasible: go where the search says it can.
            var m = System.Text.RegularExpressions.Regex.Match(r.Stderr, @"smallest feasible target is ([0-9.]+)");
            Assert.True(m.Success, r.ToString());
            double lowest = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            if (lowest >= 1) return; // int8 and pruning together no faster than the float network: nothing to search
            r = CliRun.AmcWith(home, [.. search, "--target-latency", Math.Min(1, lowest + 0.02).ToString(CultureInfo.InvariantCulture)]);
        }
        CliAssert.Ok(r);
        var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json"))).RootElement;
        // Every row lists a width then a precision (8 or 32 bits) per group. The hand-crafted ones
        // share one precision per group: all int8, or where all int8 cannot meet the budget even at
        // the smallest widths (a tiny network's int8 layers are slow), the wall's smallest policy's.
        var rows = results.GetProperty("results").EnumerateArray().ToList();
        List<int> Bits(string name) => rows.Single(x => x.GetProperty("name").GetString() == name).GetProperty("channels").EnumerateArray()
            .Select(c => c.GetInt32()).Where((_, i) => i % 2 == 1).ToList();
        var uniform = Bits("uniform");
        Assert.All(uniform, bits => Assert.Contains(bits, new[] { 8, 32 }));
        Assert.Equal(uniform, Bits("deep"));
        Assert.Equal(uniform, Bits("shallow"));
        var original = rows[0].GetProperty("channels").EnumerateArray().Select(c => c.GetInt32()).ToList();
        Assert.All(original.Where((_, i) => i % 2 == 1), bits => Assert.Equal(32, bits));
        var episodes = File.ReadAllLines(Path.Combine(outDir, "episodes.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(episodes, e => Assert.All(e.GetProperty("channels").EnumerateArray().Where((_, i) => i % 2 == 1), c => Assert.Contains(c.GetInt32(), new[] { 8, 32 })));
        Assert.Contains("precision", File.ReadAllText(Path.Combine(outDir, "summary.md")));
        Assert.Contains("int8 latency table", File.ReadAllText(Path.Combine(outDir, "summary.md")));

        // Deploy: the best widths pruned, then quantized with the best precisions.
        string policyPath = Path.Combine(outDir, "best-policy.json");
        var policy = JsonDocument.Parse(File.ReadAllText(policyPath)).RootElement.GetProperty("groups").EnumerateArray().ToList();
        int int8Groups = policy.Count(g => g.TryGetProperty("precision", out var p) && p.GetString() == "int8");
        string pruned = model.NewPath("mixed-pruned.amc"), int8 = model.NewPath("mixed.int8.onnx");
        CliAssert.Ok(CliRun.Amc("prune", "--checkpoint", model.Checkpoint, "--data", model.Data, "--policy", policyPath, "--out", pruned, "--calibration-images", "40"));
        var q = CliRun.Amc("quantize", "--checkpoint", pruned, "--data", model.Data, "--policy", policyPath, "--out", int8, "--calibration-images", "16", "--repeats", "3", "--json");
        if (int8Groups == 0)
        {
            Assert.Contains("puts no group in int8", CliAssert.BadInput(q));
            return;
        }
        CliAssert.Ok(q);
        var floatNodes = JsonDocument.Parse(q.Stdout).RootElement.GetProperty("floatNodes").EnumerateArray().Select(f => f.GetProperty("reason").GetString()).ToList();
        int floatGroups = policy.Count - int8Groups;
        // Every ResNet-20 group has a conv that is neither the first nor the last layer: a float group keeps one in float.
        Assert.Equal(floatGroups > 0, floatNodes.Contains("asked to stay in float"));
    }

    [Fact]
    public void A_table_measured_under_other_conditions_is_called_stale_before_and_after_the_search()
    {
        using var cache = new TempFolder();
        var home = ("XDG_CACHE_HOME", cache.Path);
        string[] grid = ["--round", "4", "--lbound", "0.2", "--latency-threads", "1"];
        CliAssert.Ok(CliRun.AmcWith(home, ["latency-table", "--checkpoint", model.Checkpoint, "--json", .. grid]));
        // As if measured on a machine ten times slower (under load): the end-to-end timings of the
        // full and the smallest network, which the table's line goes through.
        var cached = Directory.GetFiles(Path.Combine(cache.Path, "amc", "latency"), "*.json").Single();
        var file = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(cached))!;
        foreach (var key in new[] { "wholeNetworkMs", "smallestNetworkMs" })
            file[key] = file[key]!.GetValue<double>() * 10;
        File.WriteAllText(cached, file.ToJsonString());
        var outDir = model.NewPath("stale");
        var r = CliRun.AmcWith(home, ["search", "--checkpoint", model.Checkpoint, "--data", model.Data, "--episodes", "2", "--warmup", "2",
            "--heldout", "10", "--calibration-images", "40", "--bn-images", "20", "--out", outDir, "--json", "--confirm-top", "0",
            "--no-baselines", "--target-latency", "1", .. grid]);
        if (r.ExitCode == 2 && r.Stderr.Contains("smallest feasible target")) return; // timing noise on a tiny network: nothing to search
        CliAssert.Ok(r);
        // Before the first episode, from the unpruned network timed at start-up.
        Assert.Contains("warning: the latency table predicts the unpruned network", r.Stderr);
        var warning = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("latencyWarning").GetString();
        Assert.Contains("measured under other conditions", warning);
        Assert.Contains("latency table warning", File.ReadAllText(Path.Combine(outDir, "summary.md")));
    }
}
