using System.Text.Json;
using Amc.Data;
using Amc.Tests.Data;
using Amc.Torch;
using SkiaSharp;
using static Amc.Tests.Data.DataFiles;

namespace Amc.Tests.Cli;

/// <summary>train / eval / export on an image folder: the transform travels with the checkpoint.</summary>
public class ImageFolderCliTests
{
    static void WriteFolder(TempFolder dir)
    {
        var random = new Random(1);
        foreach (var split in new[] { "train", "test" })
            foreach (var c in new[] { "a", "b" })
                for (int i = 0; i < 6; i++)
                {
                    byte shade = (byte)(c == "a" ? 40 : 200);
                    int w = 12 + random.Next(6), h = 10 + random.Next(6);
                    WritePng(Path.Combine(dir.Folder(split, c), $"{i}.png"), w, h, (x, y) => new SKColor(shade, (byte)(x * 9), (byte)(y * 9)));
                }
    }

    [Fact]
    public void A_model_trained_on_resized_crops_is_evaluated_and_exported_with_them()
    {
        using var dir = new TempFolder();
        WriteFolder(dir);
        var ck = dir.File("m.amc");
        var train = CliRun.Amc("train", "--model", "resnet20", "--width", "0.25", "--data", dir.Path, "--image-size", "8", "--resize", "10",
            "--heldout", "2", "--epochs", "1", "--out", ck, "--json");
        CliAssert.Ok(train);
        Assert.Equal(new ImageTransform(ResizeMode.CenterCrop, 10), Checkpoint.Load(ck).Info.Transform);

        // No --image-size: the checkpoint's input size and transform are used, and give training's test score.
        var eval = CliRun.Amc("eval", "--checkpoint", ck, "--data", dir.Path, "--json");
        CliAssert.Ok(eval);
        Assert.Equal(JsonDocument.Parse(train.Stdout).RootElement.GetProperty("testTop1").GetDouble(),
            JsonDocument.Parse(eval.Stdout).RootElement.GetProperty("top1").GetDouble());

        var onnx = dir.File("m.onnx");
        CliAssert.Ok(CliRun.Amc("export", "--checkpoint", ck, "--onnx", onnx));
        var props = Amc.Onnx.OnnxFile.Metadata(Amc.Onnx.OnnxFile.Load(onnx));
        Assert.Equal("resize-shorter-side-then-center-crop", props[Preprocessing.ResizeModeKey]);
        Assert.Equal("10", props[Preprocessing.ResizeKey]);
        Assert.Equal("8x8", props[Preprocessing.CropKey]);
        var imported = dir.File("i.amc");
        CliAssert.Ok(CliRun.Amc("import", "--onnx", onnx, "--out", imported));
        Assert.Equal(new ImageTransform(ResizeMode.CenterCrop, 10), Checkpoint.Load(imported).Info.Transform);
    }

    [Fact]
    public void Transform_and_class_list_mistakes_are_usage_errors()
    {
        using var dir = new TempFolder();
        WriteFolder(dir);
        string[] Train(params string[] extra) =>
            ["train", "--model", "resnet20", "--data", dir.Path, "--out", dir.File("x.amc"), .. extra];
        Assert.Contains("--image-size", CliAssert.BadInput(CliRun.Amc(Train("--resize", "10"))));
        Assert.Contains("not both", CliAssert.BadInput(CliRun.Amc(Train("--image-size", "8", "--resize", "10", "--squash"))));
        Assert.Contains("not found", CliAssert.BadInput(CliRun.Amc(Train("--image-size", "8", "--classes", dir.File("none.txt")))));
        File.WriteAllText(dir.File("classes.txt"), "b\n");
        Assert.Contains("not in it: a", CliAssert.BadInput(CliRun.Amc(Train("--image-size", "8", "--classes", dir.File("classes.txt")))));
    }
}
