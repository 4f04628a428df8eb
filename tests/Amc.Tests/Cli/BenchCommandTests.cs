using System.Text.Json;
using Amc.Onnx;
using Amc.Tests.Data;
using Amc.Tests.Onnx;
using static Amc.Tests.Onnx.OnnxGraphBuilder;

namespace Amc.Tests.Cli;

public class BenchCommandTests
{
    /// <summary>
    /// A model the importer refuses (a Tanh) is timed by ONNX Runtime as the file is, its MACs
    /// unknown; TorchSharp needs the import and refuses it with the importer's message.
    /// </summary>
    [Fact]
    public void Onnx_runtime_times_a_file_the_importer_refuses()
    {
        using var temp = new TempFolder();
        var g = new OnnxGraphBuilder(13, 3, 8, 8);
        var x = g.Node("Conv", "conv", ["x", g.Weight("w", [4, 3, 3, 3])]);
        x = g.Node("Tanh", "squash", [x]);
        var path = temp.File("tanh.onnx");
        OnnxFile.Save(g.Build(x, 4, 6, 6), path);

        var r = CliRun.Amc("bench", "--onnx", path, "--engine", "ort", "--repeats", "2", "--warmup", "0", "--json");
        CliAssert.Ok(r);
        var result = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results")[0];
        Assert.Equal("ort", result.GetProperty("engine").GetString());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("macs").ValueKind);
        Assert.Contains("'squash'", r.Stderr);

        var message = CliAssert.BadInput(CliRun.Amc("bench", "--onnx", path, "--engine", "torch", "--repeats", "2"));
        Assert.Contains("op Tanh is not supported", message);
    }
}
