using System.Text.Json;
using Amc.Torch;

namespace Amc.Tests.Cli;

/// <summary>train, eval, prune and profile on one small model, through the command as a user runs it.</summary>
[Collection(TrainedModelCollection.Name)]
public class EndToEndTests(TrainedModel model)
{
    [Fact]
    public void Train_writes_the_checkpoint_and_its_optimizer_state_and_eval_agrees_with_it()
    {
        Assert.True(File.Exists(model.Checkpoint + ".optim"));
        var info = Checkpoint.Load(model.Checkpoint).Info;
        Assert.Equal(1, info.EpochsDone);
        Assert.Equal("resnet20", info.Model);

        var r = CliRun.Amc("eval", "--checkpoint", model.Checkpoint, "--data", model.Data, "--json");
        CliAssert.Ok(r);
        var json = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal(50, json.GetProperty("images").GetInt32());
        Assert.Equal(model.TestTop1, json.GetProperty("top1").GetDouble());
        Assert.InRange(json.GetProperty("top5").GetDouble(), json.GetProperty("top1").GetDouble(), 1.0);
    }

    [Fact]
    public void Uniform_prune_with_reconstruction_writes_a_smaller_network_that_runs()
    {
        var output = model.NewPath("y.amc");
        var r = CliRun.Amc("prune", "--checkpoint", model.Checkpoint, "--data", model.Data, "--uniform", "0.5", "--reconstruct", "--out", output, "--json");

        CliAssert.Ok(r);
        var rows = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("rows").EnumerateArray().ToArray();
        long original = rows[0].GetProperty("macs").GetInt64(), pruned = rows[1].GetProperty("macs").GetInt64();
        Assert.InRange(pruned, 1, original - 1);
        Assert.True(File.Exists(Path.ChangeExtension(output, ".policy.json")));

        var profile = CliRun.Amc("profile", "--checkpoint", output, "--json");
        CliAssert.Ok(profile);
        Assert.Equal(pruned, JsonDocument.Parse(profile.Stdout).RootElement.GetProperty("macs").GetInt64());
        var eval = CliRun.Amc("eval", "--checkpoint", output, "--data", model.Data, "--json");
        CliAssert.Ok(eval);
        Assert.Equal(rows[1].GetProperty("testTop1").GetDouble(), JsonDocument.Parse(eval.Stdout).RootElement.GetProperty("top1").GetDouble(), 6);
    }

    /// <summary>
    /// Without --data (and without --reconstruct) prune needs no images: the channels come from
    /// the weights alone, so the network is the one pruning with data and the BN statistics kept gives.
    /// </summary>
    [Fact]
    public void Uniform_prune_without_data_gives_the_network_pruning_with_data_gives()
    {
        var withoutData = model.NewPath("no-data.amc");
        var r = CliRun.Amc("prune", "--checkpoint", model.Checkpoint, "--uniform", "0.5", "--out", withoutData, "--json");
        CliAssert.Ok(r);
        var rows = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("rows").EnumerateArray().ToArray();
        Assert.Equal(JsonValueKind.Null, rows[1].GetProperty("testTop1").ValueKind);
        Assert.InRange(rows[1].GetProperty("macs").GetInt64(), 1, rows[0].GetProperty("macs").GetInt64() - 1);

        var withData = model.NewPath("data.amc");
        CliAssert.Ok(CliRun.Amc("prune", "--checkpoint", model.Checkpoint, "--data", model.Data, "--uniform", "0.5", "--no-bn-recalibration", "--out", withData));
        var (a, b) = (Checkpoint.Load(withoutData), Checkpoint.Load(withData));
        Assert.Equal(Amc.Graph.NetworkJson.Write(b.Network), Amc.Graph.NetworkJson.Write(a.Network));
        foreach (var (key, tensor) in b.Weights) Assert.True(tensor.eq(a.Weights[key]).all().item<bool>(), $"tensor '{key}' differs");
    }

    [Fact]
    public void Export_then_import_keeps_the_preprocessing_and_scores_identically()
    {
        // Normalisation statistics unlike the data's own: an import that lost them would score
        // with the data's statistics instead, and differently.
        var source = Checkpoint.Load(model.Checkpoint);
        var shifted = model.NewPath("shifted.amc");
        new Checkpoint(source.Network, source.Weights, source.Info with { Mean = [0.7f], Std = [0.2f] }).Save(shifted);
        var onnx = model.NewPath("s.onnx");
        CliAssert.Ok(CliRun.Amc("export", "--checkpoint", shifted, "--onnx", onnx));
        var props = Amc.Onnx.OnnxFile.Metadata(Amc.Onnx.OnnxFile.Load(onnx));
        Assert.Equal("0.7", props[Amc.Data.Preprocessing.MeanKey]);
        Assert.Equal("gray", props[Amc.Data.Preprocessing.ColorKey]);
        var imported = model.NewPath("imported.amc");
        CliAssert.Ok(CliRun.Amc("import", "--onnx", onnx, "--out", imported));

        var info = Checkpoint.Load(imported).Info;
        Assert.Equal([0.7f], info.Mean!);
        Assert.Equal([0.2f], info.Std!);
        double Top1(string ck) => JsonDocument.Parse(CliRun.Amc("eval", "--checkpoint", ck, "--data", model.Data, "--json").Stdout).RootElement.GetProperty("top1").GetDouble();
        Assert.Equal(Top1(shifted), Top1(imported));
        // Explicit --mean/--std still win over the file's.
        var overridden = model.NewPath("overridden.amc");
        CliAssert.Ok(CliRun.Amc("import", "--onnx", onnx, "--out", overridden, "--mean", "0.3", "--std", "0.4"));
        Assert.Equal([0.3f], Checkpoint.Load(overridden).Info.Mean!);
    }

    [Fact]
    public void Export_to_onnx_then_import_gives_a_checkpoint_with_the_same_accuracy()
    {
        // A user's own ONNX model, without --mean/--std (it once failed: the absent lists parsed as empty).
        var onnx = model.NewPath("m.onnx");
        CliAssert.Ok(CliRun.Amc("export", "--checkpoint", model.Checkpoint, "--onnx", onnx));
        var imported = model.NewPath("imported.amc");
        CliAssert.Ok(CliRun.Amc("import", "--onnx", onnx, "--out", imported));

        var r = CliRun.Amc("eval", "--checkpoint", imported, "--data", model.Data, "--json");
        CliAssert.Ok(r);
        Assert.Equal(model.TestTop1, JsonDocument.Parse(r.Stdout).RootElement.GetProperty("top1").GetDouble());
    }

    [Fact]
    public void Resuming_a_finished_run_trains_nothing_and_reports_the_same_accuracy()
    {
        var path = model.NewPath("x.amc");
        File.Copy(model.Checkpoint, path);
        File.Copy(model.Checkpoint + ".optim", path + ".optim");

        var r = CliRun.Amc("train", "--resume", "--out", path, "--epochs", "1", "--data", model.Data, "--json");

        CliAssert.Ok(r);
        var json = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal(0, json.GetProperty("epochs").GetArrayLength());
        Assert.Equal(model.TestTop1, json.GetProperty("testTop1").GetDouble());
        CheckpointWeights.AssertEqual(model.Checkpoint, path);
    }
}
