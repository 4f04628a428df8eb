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
}
