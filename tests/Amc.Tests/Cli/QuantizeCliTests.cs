using System.Text.Json;

namespace Amc.Tests.Cli;

/// <summary>`amc quantize` as a user runs it: a trained checkpoint or its ONNX export in, an int8 ONNX model and its report out.</summary>
[Collection(TrainedModelCollection.Name)]
public class QuantizeCliTests(TrainedModel model)
{
    [Fact]
    public void A_checkpoint_becomes_an_int8_onnx_model_with_a_report()
    {
        string output = model.NewPath("model.int8.onnx");
        var r = CliRun.Amc("quantize", "--checkpoint", model.Checkpoint, "--data", model.Data, "--out", output,
            "--calibration-images", "32", "--repeats", "5", "--json");
        CliAssert.Ok(r);
        Assert.True(File.Exists(output));
        string reportPath = Path.ChangeExtension(output, ".quantization.json");
        var report = JsonDocument.Parse(File.ReadAllText(reportPath)).RootElement;
        Assert.Equal(JsonDocument.Parse(r.Stdout).RootElement.GetProperty("int8Nodes").GetArrayLength(), report.GetProperty("int8Nodes").GetArrayLength());
        Assert.True(report.GetProperty("int8Nodes").GetArrayLength() > 10);
        Assert.Equal(2, report.GetProperty("floatNodes").GetArrayLength());
        Assert.Equal(32, report.GetProperty("calibration").GetProperty("images").GetInt32());
        Assert.Equal("test", report.GetProperty("scoredOn").GetString());
        double floatTop1 = report.GetProperty("float").GetProperty("top1").GetDouble();
        double int8Top1 = report.GetProperty("int8").GetProperty("top1").GetDouble();
        Assert.Equal(model.TestTop1, floatTop1, 3);
        Assert.True(Math.Abs(floatTop1 - int8Top1) <= 0.1, $"float {floatTop1}, int8 {int8Top1}");
        Assert.True(report.GetProperty("int8").GetProperty("bytes").GetInt64() < report.GetProperty("float").GetProperty("bytes").GetInt64());
        // --threads 1 (the test runner's): timed at one thread only.
        var timing = Assert.Single(report.GetProperty("timings").EnumerateArray());
        Assert.True(timing.GetProperty("speedup").GetDouble() > 0);
        Assert.True(report.GetProperty("ranges").GetArrayLength() > 0);

        // The int8 file is what `amc bench` times as an ONNX file the importer does not read.
        var bench = CliRun.Amc("bench", "--onnx", output, "--engine", "ort", "--repeats", "3", "--warmup", "1");
        CliAssert.Ok(bench);
        Assert.Contains("timing the file as it is", bench.Stderr);
    }

    [Fact]
    public void An_onnx_export_is_quantized_too()
    {
        string onnx = model.NewPath("model.onnx");
        CliAssert.Ok(CliRun.Amc("export", "--checkpoint", model.Checkpoint, "--onnx", onnx));
        string output = model.NewPath("model.int8.onnx");
        var r = CliRun.Amc("quantize", "--onnx", onnx, "--data", model.Data, "--out", output, "--calibration-images", "16",
            "--calibration", "percentile", "--quantize-first-last", "--repeats", "3", "--split", "heldout", "--json");
        CliAssert.Ok(r);
        var json = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Empty(json.GetProperty("floatNodes").EnumerateArray());
        Assert.Equal("percentile", json.GetProperty("calibration").GetProperty("method").GetString());
        Assert.Equal("heldout", json.GetProperty("scoredOn").GetString());
    }

    [Fact]
    public void Bad_input_is_one_clear_message_and_writes_nothing()
    {
        string output = model.NewPath("bad.int8.onnx");
        string message = CliAssert.BadInput(CliRun.Amc("quantize", "--data", model.Data, "--out", output));
        Assert.Contains("--checkpoint", message);
        message = CliAssert.BadInput(CliRun.Amc("quantize", "--checkpoint", model.Checkpoint, "--data", model.Data, "--out", output, "--float", "no-such-layer"));
        Assert.Contains("'no-such-layer'", message);
        message = CliAssert.BadInput(CliRun.Amc("quantize", "--checkpoint", model.Checkpoint, "--data", model.Data, "--out", output, "--percentile", "40"));
        Assert.Contains("--percentile", message);
        message = CliAssert.BadInput(CliRun.Amc("quantize", "--onnx", model.Checkpoint, "--data", model.Data, "--out", output));
        Assert.Contains(".onnx", message);
        Assert.False(File.Exists(output));
        Assert.False(File.Exists(Path.ChangeExtension(output, ".quantization.json")));
    }
}

/// <summary>`amc search --int8`: the search scores the int8 networks amc quantize will deploy.</summary>
[Collection(TrainedModelCollection.Name)]
public class Int8SearchCliTests(TrainedModel model)
{
    [Fact]
    public void An_int8_search_runs_records_it_and_is_another_search_than_the_float_one()
    {
        string outDir = model.NewPath("search");
        string[] search = ["search", "--checkpoint", model.Checkpoint, "--data", model.Data, "--target-macs", "0.6", "--episodes", "3", "--warmup", "2",
            "--heldout", "20", "--calibration-images", "40", "--bn-images", "20", "--out", outDir, "--json"];
        var r = CliRun.Amc([.. search, "--int8"]);
        CliAssert.Ok(r);
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "search-config.json"))).RootElement;
        Assert.True(config.GetProperty("int8").GetBoolean());
        Assert.Equal(3, File.ReadAllLines(Path.Combine(outDir, "episodes.jsonl")).Length);
        // Resuming it as a float search would mix two kinds of scores: refused.
        Assert.Contains("other settings", CliAssert.BadInput(CliRun.Amc([.. search, "--resume"])));
        Assert.Contains("ONNX Runtime", CliAssert.BadInput(CliRun.Amc([.. search.Select(a => a == outDir ? model.NewPath("s2") : a), "--int8", "--eval-engine", "torch"])));
    }
}

/// <summary>An ONNX classifier the importer does not read (a Tanh, an unfolded BatchNormalization) is quantized as its graph stands.</summary>
[Collection(TrainedModelCollection.Name)]
public class ForeignOnnxQuantizeCliTests(TrainedModel model)
{
    static string Handmade(string path)
    {
        var g = new Amc.Tests.Onnx.OnnxGraphBuilder(13, 1, 28, 28);
        var pads = Amc.Tests.Onnx.OnnxGraphBuilder.Ints("pads", 1, 1, 1, 1);
        var x = g.Node("Conv", "conv1", ["x", g.Weight("w1", [8, 1, 3, 3]), g.Weight("b1", [8])], pads);
        x = g.Node("Relu", "relu1", [x]);
        x = g.Node("Conv", "conv2", [x, g.Weight("w2", [16, 8, 3, 3], 0.2)], pads);
        x = g.Node("BatchNormalization", "bn2", [x, g.Weight("gamma", [16], 0.5, 1), g.Weight("beta", [16]), g.Weight("mean", [16]), g.Weight("var", [16], 0.4, 1)]);
        x = g.Node("Relu", "relu2", [x]);
        // Unnamed, as ONNX allows: the quantizer names it.
        x = g.Node("Conv", "", [x, g.Weight("w3", [16, 16, 3, 3], 0.15), g.Weight("b3", [16])], pads);
        x = g.Node("Tanh", "tanh", [x]);
        x = g.Node("GlobalAveragePool", "gap", [x]);
        x = g.Node("Flatten", "flatten", [x]);
        x = g.Node("Gemm", "fc", [x, g.Weight("wfc", [10, 16]), g.Weight("bfc", [10])], Amc.Tests.Onnx.OnnxGraphBuilder.Int("transB", 1));
        Amc.Onnx.OnnxFile.Save(g.Build(x, 10), path);
        return path;
    }

    [Fact]
    public void A_graph_the_importer_refuses_is_quantized_as_it_stands_with_its_normalisation_given()
    {
        string onnx = Handmade(model.NewPath("handmade.onnx"));
        Assert.Equal(2, CliRun.Amc("import", "--onnx", onnx, "--out", model.NewPath("x.amc")).ExitCode);
        string output = model.NewPath("handmade.int8.onnx");
        string[] args = ["quantize", "--onnx", onnx, "--data", model.Data, "--out", output, "--calibration-images", "16", "--repeats", "3", "--json"];
        Assert.Contains("--mean and --std", CliAssert.BadInput(CliRun.Amc(args)));
        Assert.Contains("1 value", CliAssert.BadInput(CliRun.Amc([.. args, "--mean", "0.5", "0.5", "--std", "0.25", "0.25"])));

        var r = CliRun.Amc([.. args, "--mean", "0.5", "--std", "0.25"]);
        CliAssert.Ok(r);
        Assert.Contains("quantizing the ONNX graph as it is", r.Stderr);
        var json = JsonDocument.Parse(r.Stdout).RootElement;
        // conv2 (its BN folded in by ONNX Runtime's basic optimizations) and the unnamed conv; conv1 and fc stay float.
        Assert.Equal(2, json.GetProperty("int8Nodes").GetArrayLength());
        Assert.DoesNotContain(json.GetProperty("int8Nodes").EnumerateArray(), n => n.GetString() == "");
        Assert.True(json.GetProperty("int8").GetProperty("agreement").GetDouble() > 0.8);
        var quantized = Amc.Onnx.OnnxFile.Load(output);
        Assert.DoesNotContain(quantized.Graph.Node, n => n.OpType == "BatchNormalization");
        Assert.Contains(quantized.Graph.Node, n => n.OpType == "Tanh");
    }
}
