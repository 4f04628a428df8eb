using Amc.Tests.Cli;
using Amc.Tests.Data;

namespace Amc.Tests.Robustness;

/// <summary>
/// amc writes its outputs and the documented latency cache, nothing else: commands that run ONNX
/// Runtime (whose official builds keep a telemetry device id and event database under the cache
/// folder and a session file in the temp folder unless told not to) are run with HOME,
/// XDG_CACHE_HOME and TMPDIR pointed at empty folders, and every folder is listed afterwards.
/// </summary>
[Collection(TrainedModelCollection.Name)]
public class WritesTests(TrainedModel model)
{
    [Fact]
    public void Commands_write_only_their_outputs_and_the_latency_cache()
    {
        using var temp = new TempFolder();
        string home = temp.Folder("home"), cache = temp.Folder("cache"), tmp = temp.Folder("tmp"), work = temp.Folder("work"), inputs = temp.Folder("inputs");
        string ck = Path.Combine(inputs, "base.amc");
        File.Copy(model.Checkpoint, ck);
        string data = temp.Folder("inputs", "data");
        foreach (var f in Directory.GetFiles(model.Data)) File.Copy(f, Path.Combine(data, Path.GetFileName(f)));
        var before = Listing(inputs);
        var environment = new Dictionary<string, string?>
        {
            ["HOME"] = home, ["XDG_CACHE_HOME"] = cache, ["TMPDIR"] = tmp,
            // The opt-out is amc's job: a value inherited from the test's environment would hide its absence.
            ["ORT_DISABLE_TELEMETRY"] = null,
        };
        CliResult Run(params string[] args)
        {
            var r = CliRun.AmcIn(work, environment, args);
            CliAssert.Ok(r);
            return r;
        }

        Run("bench", "--checkpoint", ck, "--engine", "ort", "--repeats", "3", "--warmup", "1");
        Run("eval", "--checkpoint", ck, "--data", data);
        Run("export", "--checkpoint", ck, "--onnx", "m.onnx", "--safetensors", "m.safetensors");
        Run("bench", "--onnx", "m.onnx", "--engine", "ort", "--repeats", "3", "--warmup", "1");
        Run("latency-table", "--checkpoint", ck, "--round", "4", "--repeats", "3", "--max-values", "2");
        Run("search", "--checkpoint", ck, "--data", data, "--episodes", "2", "--warmup", "1", "--heldout", "10",
            "--calibration-images", "40", "--bn-images", "20", "--confirm-top", "0", "--out", "s");

        Assert.Empty(Listing(home));
        Assert.Empty(Listing(tmp));
        // The latency table, under $XDG_CACHE_HOME/amc, and nothing else.
        var cached = Listing(cache);
        Assert.NotEmpty(cached);
        Assert.All(cached, f => Assert.Matches(@"^amc/latency/[0-9a-f]+\.json$", f));
        Assert.Equal(["m.json", "m.onnx", "m.safetensors"], Listing(work).Where(f => !f.StartsWith("s/")));
        Assert.Equal(
            [".lock", "accuracy-vs-macs.png", "actions.png", "best-policy.json", "config.json", "ddpg.png", "episodes.jsonl", "policy.png", "results.json", "reward.png",
             "search-config.json", "search-state.safetensors", "summary.md"],
            Listing(Path.Combine(work, "s")));
        Assert.Equal(before, Listing(inputs));
    }

    /// <summary>Every file under <paramref name="folder"/>, relative, with '/' separators, sorted.</summary>
    static List<string> Listing(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal).ToList();
}
