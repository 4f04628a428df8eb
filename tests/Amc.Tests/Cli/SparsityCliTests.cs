using System.Text.Json;
using Amc.Onnx;
using Amc.Pruning;
using Amc.Torch;

namespace Amc.Tests.Cli;

/// <summary>search --mode sparsity, prune --policy of its result, fine-tuning that keeps the zeros, and the sparse ONNX export, as a user runs them.</summary>
[Collection(TrainedModelCollection.Name)]
public class SparsityCliTests(TrainedModel model)
{
    static JsonElement Json(CliResult r) => JsonDocument.Parse(r.Stdout).RootElement;

    [Fact]
    public void Sparsity_search_policy_prunes_to_its_budget_and_fine_tuning_and_export_keep_the_zeros()
    {
        string search = model.NewPath("search");
        var r = CliRun.Amc("search", "--checkpoint", model.Checkpoint, "--data", model.Data, "--mode", "sparsity", "--target-params", "0.3",
            "--episodes", "4", "--warmup", "2", "--out", search, "--json");
        CliAssert.Ok(r);
        var results = Json(r).GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(["original", "uniform"], results.Take(2).Select(x => x.GetProperty("name").GetString()));
        long original = results[0].GetProperty("params").GetInt64(), budget = (long)Math.Floor(0.3 * original);
        foreach (var row in results.Skip(1)) Assert.InRange(row.GetProperty("params").GetInt64(), 1, budget);
        foreach (var f in new[] { "best-policy.json", "results.json", "summary.md", "reward.png", "policy.png", "actions.png", "episodes.jsonl" })
            Assert.True(File.Exists(Path.Combine(search, f)), f);
        var policy = SparsityPolicy.Load(Path.Combine(search, "best-policy.json"));
        Assert.Equal(0.3, policy.Budget);

        string pruned = model.NewPath("sparse.amc");
        var p = CliRun.Amc("prune", "--checkpoint", model.Checkpoint, "--data", model.Data, "--policy", Path.Combine(search, "best-policy.json"), "--out", pruned, "--json");
        CliAssert.Ok(p);
        var after = Json(p).GetProperty("rows")[1];
        long nonZero = after.GetProperty("params").GetInt64();
        Assert.InRange(nonZero, 1, budget);
        Assert.True(after.GetProperty("sparseOnnxBytes").GetInt64() < Json(p).GetProperty("rows")[0].GetProperty("sparseOnnxBytes").GetInt64());
        // The pruned checkpoint is the searched network: same non-zero count as the search's best and its layers' sparsity recorded.
        Assert.Equal(results[^1].GetProperty("params").GetInt64(), nonZero);
        var sparse = Checkpoint.Load(pruned);
        foreach (var l in policy.Layers.Where(l => l.Sparsity > 0)) Assert.Equal(l.Sparsity, sparse.Info.Sparsity![l.Name], 5);

        // Fine-tuning re-applies the masks after every step: no zeroed weight comes back.
        string tuned = model.NewPath("tuned.amc");
        CliAssert.Ok(CliRun.Amc("finetune", "--checkpoint", pruned, "--data", model.Data, "--epochs", "1", "--out", tuned));
        var ft = Checkpoint.Load(tuned);
        Assert.True(SparsityMasks.NonZeroParams(ft.Network, ft.Weights) <= nonZero);
        foreach (var l in policy.Layers)
        {
            using var wasZero = sparse.Weights[$"{l.Name}.weight"].IsZero();
            using var stillZero = ft.Weights[$"{l.Name}.weight"].IsZero();
            Assert.True(stillZero.logical_or(wasZero.logical_not()).all().item<bool>(), l.Name);
        }

        // The sparse ONNX file is smaller than the dense one, and ONNX Runtime gives the same outputs from both.
        string dense = model.NewPath("dense.onnx"), small = model.NewPath("sparse.onnx");
        CliAssert.Ok(CliRun.Amc("export", "--checkpoint", tuned, "--onnx", dense));
        var e = CliRun.Amc("export", "--checkpoint", tuned, "--onnx", small, "--sparse", "--json");
        CliAssert.Ok(e);
        Assert.True(Json(e).GetProperty("sparseInitializers").GetInt32() > 0);
        Assert.Equal(new FileInfo(small).Length, Json(e).GetProperty("onnxBytes").GetInt64());
        Assert.True(new FileInfo(small).Length < 0.8 * new FileInfo(dense).Length, $"{new FileInfo(small).Length} vs {new FileInfo(dense).Length} bytes");
        Assert.NotEmpty(OnnxFile.Load(small).Graph.SparseInitializer);
        var input = Enumerable.Range(0, 2 * 28 * 28).Select(i => (float)Math.Sin(i)).ToArray();
        using var a = OnnxRuntimeSession.FromFile(dense);
        using var b = OnnxRuntimeSession.FromFile(small);
        var (x, y) = (a.Run(input, 2), b.Run(input, 2));
        Assert.Equal(x.Length, y.Length);
        for (int i = 0; i < x.Length; i++) Assert.Equal(x[i], y[i], 5);
    }

    [Theory]
    [InlineData("needs --target-params")]
    [InlineData("must be in (0, 1)", "--target-params", "1")]
    [InlineData("smallest feasible target", "--target-params", "0.01")]
    [InlineData("(lower --lbound to go further)", "--target-params", "0.01")]
    [InlineData("accuracy only", "--target-params", "0.3", "--reward", "agreement")]
    [InlineData("drop --workers", "--target-params", "0.3", "--workers", "2")]
    public void Bad_sparsity_searches_are_refused_with_one_line(string message, params string[] extra)
    {
        var r = CliRun.Amc(["search", "--checkpoint", model.Checkpoint, "--data", model.Data, "--mode", "sparsity", "--episodes", "2", "--out", model.NewPath("s"), .. extra]);
        Assert.Contains(message, CliAssert.BadInput(r));
    }

    [Fact]
    public void A_sparsity_policy_naming_a_layer_the_network_lacks_is_refused()
    {
        string path = model.NewPath("p.json");
        File.WriteAllText(path, """{"layers": [{"name": "nope", "sparsity": 0.5}]}""");
        var r = CliRun.Amc("prune", "--checkpoint", model.Checkpoint, "--data", model.Data, "--policy", path, "--out", model.NewPath("x.amc"));
        Assert.Contains("layer 'nope'", CliAssert.BadInput(r));
    }

    [Fact]
    public void Export_sparse_needs_onnx()
    {
        var r = CliRun.Amc("export", "--checkpoint", model.Checkpoint, "--safetensors", model.NewPath("w.safetensors"), "--sparse");
        Assert.Contains("--sparse", CliAssert.BadInput(r));
    }
}
