using System.Text.Json;
using Amc.Torch;
using static TorchSharp.torch;
using Amc.Tests.Data;
using SkiaSharp;

namespace Amc.Tests.Cli;

/// <summary>
/// A user with a folder of images and no labels: search on agreement, evaluate against the
/// original, fine-tune by distillation; what needs labels is refused with one clear message.
/// </summary>
[Collection(TrainedModelCollection.Name)]
public class LabelFreeCliTests(TrainedModel model)
{
    /// <summary>A flat folder of grayscale PNGs drawn like <see cref="TinyIdxData"/>'s images (a bright band at row c), without labels.</summary>
    static string UnlabelledFolder(string folder, int count = 120)
    {
        Directory.CreateDirectory(folder);
        var rng = new Random(5);
        for (int i = 0; i < count; i++)
        {
            int band = i % 10;
            var shades = Enumerable.Range(0, 28 * 28).Select(p => (byte)((p / 28) % 10 == band ? 180 + rng.Next(60) : rng.Next(60))).ToArray();
            DataFiles.WritePng(Path.Combine(folder, $"{i:D3}.png"), 28, 28, (x, y) => new SKColor(shades[y * 28 + x], shades[y * 28 + x], shades[y * 28 + x]));
        }
        return folder;
    }

    static JsonElement Json(CliResult r) => JsonDocument.Parse(r.Stdout).RootElement;

    [Fact]
    public void A_search_on_agreement_runs_end_to_end_on_an_unlabelled_folder()
    {
        string images = UnlabelledFolder(model.NewPath("images"));
        string outDir = model.NewPath("search");
        var r = CliRun.Amc("search", "--checkpoint", model.Checkpoint, "--data", images, "--reward", "agreement", "--heldout", "20",
            "--episodes", "3", "--warmup", "2", "--calibration-images", "40", "--bn-images", "20", "--out", outDir, "--json");
        CliAssert.Ok(r);
        var json = Json(r);
        Assert.Equal("top-1 agreement", json.GetProperty("metric").GetString());
        var rows = json.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(1.0, rows[0].GetProperty("heldOut").GetDouble(), 6);
        // No test images and no labels: nothing is reported as a test accuracy.
        Assert.All(rows, row => Assert.Equal(JsonValueKind.Null, row.GetProperty("testTop1").ValueKind));
        Assert.All(rows.Skip(1), row => Assert.InRange(row.GetProperty("heldOut").GetDouble(), 0, 1));
        Assert.Contains("held-out top-1 agreement", File.ReadAllText(Path.Combine(outDir, "summary.md")));
        Assert.Equal("top-1 agreement", JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json"))).RootElement.GetProperty("metric").GetString());

        // The same search on accuracy has nothing to measure it with.
        var refused = CliAssert.BadInput(CliRun.Amc("search", "--checkpoint", model.Checkpoint, "--data", images, "--heldout", "20",
            "--episodes", "2", "--out", model.NewPath("accuracy")));
        Assert.Contains("has no labels", refused);
        Assert.Contains("--reward agreement", refused);
    }

    [Fact]
    public void Eval_against_the_original_measures_agreement_without_labels()
    {
        string images = UnlabelledFolder(model.NewPath("images"), 40);
        var self = CliRun.Amc("eval", "--checkpoint", model.Checkpoint, "--against", model.Checkpoint, "--data", images, "--split", "heldout", "--heldout", "20", "--json");
        CliAssert.Ok(self);
        Assert.Equal(1, Json(self).GetProperty("agreement").GetDouble());
        Assert.Equal(0, Json(self).GetProperty("relativeError").GetDouble());
        Assert.Equal(JsonValueKind.Null, Json(self).GetProperty("top1").ValueKind);

        // Labelled data: accuracy and agreement side by side, accuracy as eval alone gives it.
        var labelled = CliRun.Amc("eval", "--checkpoint", model.Checkpoint, "--against", model.Checkpoint, "--data", model.Data, "--json");
        CliAssert.Ok(labelled);
        Assert.Equal(model.TestTop1, Json(labelled).GetProperty("top1").GetDouble());
        Assert.Equal(1, Json(labelled).GetProperty("agreement").GetDouble());

        Assert.Contains("give --against ORIGINAL", CliAssert.BadInput(CliRun.Amc("eval", "--checkpoint", model.Checkpoint, "--data", images, "--split", "heldout", "--heldout", "20")));
        Assert.Contains("--split heldout", CliAssert.BadInput(CliRun.Amc("eval", "--checkpoint", model.Checkpoint, "--against", model.Checkpoint, "--data", images, "--heldout", "20")));
        Assert.Contains("does not exist", CliAssert.BadInput(CliRun.Amc("eval", "--checkpoint", model.Checkpoint, "--against", model.NewPath("none.amc"), "--data", model.Data)));
    }

    [Fact]
    public void Eval_against_the_original_of_an_all_NaN_network_reports_no_relative_error_and_no_agreement()
    {
        string broken = model.NewPath("nan.amc");
        var ck = Checkpoint.Load(model.Checkpoint);
        using (no_grad())
            foreach (var w in ck.Weights.Values) w.FillWith(float.NaN);
        ck.Save(broken);

        var r = CliRun.Amc("eval", "--checkpoint", broken, "--against", model.Checkpoint, "--data", model.Data, "--json");
        CliAssert.Ok(r);
        var json = Json(r);
        int images = json.GetProperty("images").GetInt32();
        Assert.True(images > 0);
        Assert.Equal(images, json.GetProperty("nonFinite").GetInt32());
        Assert.Equal(0, json.GetProperty("agreement").GetDouble());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("relativeError").ValueKind);

        var text = CliRun.Amc("eval", "--checkpoint", broken, "--against", model.Checkpoint, "--data", model.Data);
        CliAssert.Ok(text);
        string said = string.Join(' ', text.Stdout.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries)); // unwrapped from the console's width
        Assert.Contains("relative error of the outputs undefined", said);
        Assert.Contains($"{images} of {images} images gave NaN or Inf outputs", said);
    }

    [Fact]
    public void Distillation_on_unlabelled_images_raises_agreement_with_the_original()
    {
        string images = UnlabelledFolder(model.NewPath("images"), 200);
        // A teacher with clear margins: the shared model's one epoch of two steps leaves its top
        // classes so close that which one wins is noise. (The fixture's images are bands whose row
        // is the class: a shifted crop changes the class, so no augmentation.)
        string teacher = model.NewPath("teacher.amc");
        CliAssert.Ok(CliRun.Amc("train", "--model", "resnet20", "--width", "0.25", "--data", model.Data, "--epochs", "3", "--lr", "0.05", "--batch-size", "16",
            "--no-augment", "--out", teacher));
        string pruned = model.NewPath("pruned.amc");
        // Pruned to half without reconstruction, so there is agreement to win back.
        CliAssert.Ok(CliRun.Amc("prune", "--checkpoint", teacher, "--data", model.Data, "--uniform", "0.5", "--out", pruned));
        (double Agreement, double Error) Compare(string ck)
        {
            var r = CliRun.Amc("eval", "--checkpoint", ck, "--against", teacher, "--data", images, "--split", "heldout", "--heldout", "50", "--json");
            CliAssert.Ok(r);
            return (Json(r).GetProperty("agreement").GetDouble(), Json(r).GetProperty("relativeError").GetDouble());
        }
        var before = Compare(pruned);

        // The teacher is the network the pruned checkpoint records as its parent.
        string tuned = model.NewPath("tuned.amc");
        string[] distill = ["--data", images, "--heldout", "50", "--distill", "--epochs", "6", "--lr", "0.05", "--batch-size", "32", "--no-augment"];
        var ft = CliRun.Amc(["finetune", "--checkpoint", pruned, .. distill, "--out", tuned, "--json"]);
        CliAssert.Ok(ft);
        var after = Compare(tuned);
        Assert.Equal(after.Agreement, Json(ft).GetProperty("agreement").GetDouble(), 6);
        Assert.Equal("heldout", Json(ft).GetProperty("agreementSplit").GetString());
        Assert.True(after.Agreement > before.Agreement, $"agreement {before} -> {after}");
        Assert.True(after.Error < 0.75 * before.Error, $"relative error {before} -> {after}");

        // Deterministic with the seed: the same run gives the same network.
        string again = model.NewPath("again.amc");
        CliAssert.Ok(CliRun.Amc(["finetune", "--checkpoint", pruned, .. distill, "--out", again]));
        Assert.Equal(File.ReadAllBytes(tuned + ".optim"), File.ReadAllBytes(again + ".optim"));
    }

    [Fact]
    public void Fine_grained_pruning_on_an_unlabelled_folder_re_estimates_BN_and_reports_no_accuracy()
    {
        string images = UnlabelledFolder(model.NewPath("images"), 60);
        string pruned = model.NewPath("sparse.amc");
        var r = CliRun.Amc("prune", "--checkpoint", model.Checkpoint, "--data", images, "--heldout", "10", "--bn-images", "40",
            "--sparsity", "0.5", "--out", pruned, "--json");
        CliAssert.Ok(r);
        var rows = Json(r).GetProperty("rows").EnumerateArray().ToArray();
        Assert.All(rows, row => Assert.Equal(JsonValueKind.Null, row.GetProperty("heldOutTop1").ValueKind));
        Assert.InRange(rows[1].GetProperty("params").GetInt64(), 0.45 * rows[0].GetProperty("params").GetInt64(), 0.55 * rows[0].GetProperty("params").GetInt64());
        // The BN statistics come from the folder's images, not from the original.
        var (before, after) = (Checkpoint.Load(model.Checkpoint), Checkpoint.Load(pruned));
        string mean = before.Weights.Keys.First(k => k.EndsWith(".running_mean", StringComparison.Ordinal));
        Assert.False(before.Weights[mean].allclose(after.Weights[mean]));
    }

    [Fact]
    public void What_needs_labels_or_a_teacher_is_refused_with_one_message()
    {
        string images = UnlabelledFolder(model.NewPath("images"), 30);
        string Refused(params string[] args) => CliAssert.BadInput(CliRun.Amc(args));
        Assert.Contains("fine-tune with --distill", Refused("finetune", "--checkpoint", model.Checkpoint, "--data", images, "--heldout", "10", "--out", model.NewPath("f.amc")));
        Assert.Contains("--distill-alpha", Refused("finetune", "--checkpoint", model.Checkpoint, "--data", images, "--heldout", "10", "--distill", "--distill-alpha", "0.5",
            "--out", model.NewPath("f.amc")));
        // The trained model was not pruned from anything: there is no teacher to default to.
        Assert.Contains("--teacher", Refused("finetune", "--checkpoint", model.Checkpoint, "--data", model.Data, "--distill", "--out", model.NewPath("f.amc")));
        Assert.Contains("add --distill", Refused("finetune", "--checkpoint", model.Checkpoint, "--data", model.Data, "--teacher", model.Checkpoint, "--out", model.NewPath("f.amc")));
        Assert.Contains("has no labels", Refused("train", "--model", "resnet20", "--data", images, "--heldout", "10", "--out", model.NewPath("t.amc")));
        Assert.Contains("--top5 is for --reward accuracy", Refused("search", "--checkpoint", model.Checkpoint, "--data", images, "--heldout", "10", "--reward", "agreement", "--top5",
            "--out", model.NewPath("s")));
    }
}
