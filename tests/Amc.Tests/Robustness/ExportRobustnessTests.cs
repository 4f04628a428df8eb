using System.Text.Json;
using Amc.Cli.Commands;
using Amc.Graph;
using Amc.Models;
using Amc.Tests.Cli;
using Amc.Tests.Data;
using static TorchSharp.torch;
using Amc.Onnx;
using Amc.Torch;

namespace Amc.Tests.Robustness;

/// <summary>
/// Checks that a NaN cannot pass: export's parity check and the commands that take weights refuse
/// NaN or Inf weights and outputs with one clear line (exit 2), and leave no file behind.
/// </summary>
public class ExportRobustnessTests
{
    static GraphModule Module(long seed = 21) =>
        TestNetworks.Randomized(ModelZoo.Build("plain20", new ModelOptions(new TensorShape(1, 8, 8), 10, WidthMultiplier: 0.25)), seed);

    /// <summary>A checkpoint of the small network, with one change to its weights.</summary>
    static string Save(TempFolder folder, string name, Action<IReadOnlyDictionary<string, Tensor>> change)
    {
        using var module = Module();
        using (no_grad()) change(module.Tensors());
        var path = folder.File(name);
        Checkpoint.From(module, new CheckpointInfo { Model = "plain20" }).Save(path);
        return path;
    }

    [Fact]
    public void Export_refuses_NaN_weights_naming_the_checkpoint_and_tensor_and_keeps_the_old_file()
    {
        using var folder = new TempFolder();
        var ck = Save(folder, "nan.amc", w => w["layer2.1.conv2.weight"][0, 0, 1, 1].FillWith(float.NaN));
        var onnx = folder.File("m.onnx");
        byte[] previous = [1, 2, 3];
        File.WriteAllBytes(onnx, previous);

        var message = CliAssert.BadInput(CliRun.Amc("export", "--checkpoint", ck, "--onnx", onnx, "--safetensors", folder.File("m.safetensors"), "--json"));

        Assert.Contains("nan.amc", message);
        Assert.Contains("'layer2.1.conv2.weight'", message);
        Assert.Equal(previous, File.ReadAllBytes(onnx));
        Assert.Equal(["m.onnx", "nan.amc"], Directory.GetFiles(folder.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Export_refuses_finite_weights_whose_outputs_are_NaN_and_writes_nothing()
    {
        using var folder = new TempFolder();
        // A negative running variance: every weight is finite, BN's square root of it is not.
        var ck = Save(folder, "negative-variance.amc", w => w["bn1.running_var"][0].FillWith(-1f));
        var onnx = folder.File("m.onnx");

        var message = CliAssert.BadInput(CliRun.Amc("export", "--checkpoint", ck, "--onnx", onnx, "--json"));

        Assert.Contains("negative-variance.amc", message);
        Assert.Contains("NaN or Inf", message);
        Assert.False(File.Exists(onnx));
        Assert.Single(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void Export_of_a_healthy_network_reports_a_finite_difference_in_json()
    {
        using var folder = new TempFolder();
        var ck = Save(folder, "ok.amc", _ => { });
        var onnx = folder.File("m.onnx");

        var r = CliRun.Amc("export", "--checkpoint", ck, "--onnx", onnx, "--json");

        CliAssert.Ok(r);
        double diff = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("maxAbsDiff").GetDouble();
        Assert.InRange(diff, 0, ExportCommand.Tolerance);
        Assert.True(File.Exists(onnx));
    }

    [Fact]
    public void Parity_fails_when_ONNX_Runtime_gives_NaN_where_TorchSharp_does_not()
    {
        using var module = Module();
        var ck = Checkpoint.From(module, new CheckpointInfo());
        // The ONNX model's classifier holds a NaN row the checkpoint does not: one logit per image
        // is NaN, the others match exactly, so a max that skips NaN would call this a match.
        var poisoned = module.Tensors().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using (no_grad()) poisoned["fc.weight"][3].FillWith(float.NaN);
        var model = OnnxExporter.Export(module.Network, poisoned);

        var e = Assert.Throws<InvalidOperationException>(() => ExportCommand.Parity(ck, "x.amc", model, seed: 1));
        Assert.Contains("NaN or Inf", e.Message);
    }

    [Fact]
    public void Parity_fails_when_the_engines_disagree()
    {
        using var module = Module();
        var ck = Checkpoint.From(module, new CheckpointInfo());
        using var other = Module(seed: 22);

        Assert.Throws<InvalidOperationException>(() => ExportCommand.Parity(ck, "x.amc", OnnxExporter.Export(other.Network, other.Tensors()), seed: 1));
        Assert.InRange(ExportCommand.Parity(ck, "x.amc", OnnxExporter.Export(module.Network, module.Tensors()), seed: 1), 0, ExportCommand.Tolerance);
    }

    [Fact]
    public void Import_refuses_an_ONNX_model_with_NaN_weights_and_writes_no_checkpoint()
    {
        using var folder = new TempFolder();
        using var module = Module();
        var weights = module.Tensors().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using (no_grad()) weights["fc.bias"][2].FillWith(float.PositiveInfinity);
        var onnx = folder.File("inf.onnx");
        OnnxFile.Save(OnnxExporter.Export(module.Network, weights), onnx);

        var message = CliAssert.BadInput(CliRun.Amc("import", "--onnx", onnx, "--out", folder.File("x.amc")));

        Assert.Contains("inf.onnx", message);
        Assert.Contains("'fc.bias'", message);
        Assert.False(File.Exists(folder.File("x.amc")));
    }

    [Theory]
    [InlineData("prune", "--uniform", "0.5")]
    [InlineData("prune", "--sparsity", "0.5")]
    [InlineData("search", "--episodes", "2")]
    public void Prune_and_search_refuse_NaN_weights_and_write_nothing(string command, string option, string value)
    {
        using var folder = new TempFolder();
        var data = TinyIdxData.Write(folder.File("data"), train: 40, test: 10, size: 8);
        var ck = Save(folder, "nan.amc", w => w["fc.bias"][0].FillWith(float.NaN));
        var output = folder.File(command == "search" ? "search" : "y.amc");

        var message = CliAssert.BadInput(CliRun.Amc(command, "--checkpoint", ck, "--data", data, option, value, "--out", output));

        Assert.Contains("nan.amc: tensor 'fc.bias'", message);
        Assert.Equal(["data"], Directory.GetDirectories(folder.Path).Select(Path.GetFileName));
        Assert.Equal(["nan.amc"], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("0.5", "0")]
    [InlineData("NaN", "0.25")]
    public void Import_refuses_a_normalisation_that_makes_every_image_NaN_or_Inf(string mean, string std)
    {
        using var folder = new TempFolder();
        using var module = Module();
        var onnx = folder.File("m.onnx");
        OnnxFile.Save(OnnxExporter.Export(module.Network, module.Tensors()), onnx);

        var message = CliAssert.BadInput(CliRun.Amc("import", "--onnx", onnx, "--out", folder.File("x.amc"), "--mean", mean, "--std", std));

        Assert.Contains(mean == "NaN" ? "--mean" : "--std", message);
        Assert.False(File.Exists(folder.File("x.amc")));
    }

    [Fact]
    public void Profile_refuses_a_NaN_width()
    {
        var message = CliAssert.BadInput(CliRun.Amc("profile", "--model", "resnet20", "--width", "NaN"));
        Assert.Contains("--width", message);
    }

    [Fact]
    public void RequireFinite_names_the_first_bad_tensor_in_architecture_order()
    {
        using var module = Module();
        var ck = Checkpoint.From(module, new CheckpointInfo());
        Assert.Same(ck, ck.RequireFinite("a.amc"));
        using (no_grad())
        {
            ck.Weights["fc.weight"][0, 0].FillWith(float.NaN);
            ck.Weights["layer1.0.bn1.running_mean"][1].FillWith(float.NegativeInfinity);
        }

        var e = Assert.Throws<CheckpointException>(() => ck.RequireFinite("a.amc"));
        Assert.StartsWith("a.amc: tensor 'layer1.0.bn1.running_mean'", e.Message);
    }
}
