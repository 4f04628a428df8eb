using System.Text.Json;
using Amc.Graph;
using static TorchSharp.torch;
using Amc.Torch;

namespace Amc.Tests.Torch;

public sealed class CheckpointTests : IDisposable
{
    readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("amc-checkpoint-");
    /// <summary>Checkpoint.From holds the module's live tensors, which die with the module: keep it.</summary>
    readonly List<GraphModule> modules = [];

    public void Dispose()
    {
        foreach (var m in modules) m.Dispose();
        dir.Delete(recursive: true);
    }

    string PathOf(string file) => Path.Combine(dir.FullName, file);

    Checkpoint Sample(bool narrowed = false)
    {
        var net = TestNetworks.Build("resnet20", narrowed);
        var module = TestNetworks.Randomized(net, seed: 31);
        modules.Add(module);
        return Checkpoint.From(module, new CheckpointInfo
        {
            Model = "resnet20", Dataset = "cifar10", Mean = [0.49f, 0.48f, 0.45f], Std = [0.25f, 0.24f, 0.26f],
            EpochsDone = 3, Epochs = 10, Seed = 31, Command = "amc train --model resnet20",
            Metrics = new() { ["top1"] = 0.5125 },
        });
    }

    [Fact]
    public void Save_and_load_round_trip_is_exact()
    {
        var saved = Sample(narrowed: true);
        saved.Save(PathOf("a.safetensors"));
        var loaded = Checkpoint.Load(PathOf("a.safetensors"));

        Assert.Equal(NetworkJson.Write(saved.Network), NetworkJson.Write(loaded.Network));
        Assert.Equal(JsonSerializer.Serialize(saved.Info), JsonSerializer.Serialize(loaded.Info));
        Assert.Equal(saved.Weights.Keys.Order(), loaded.Weights.Keys.Order());
        foreach (var (key, t) in saved.Weights)
            Assert.Equal(t.data<float>().ToArray(), loaded.Weights[key].data<float>().ToArray());

        using var x = TestNetworks.Input(saved.Network.Input, 2, seed: 32);
        using var original = saved.ToModule();
        using var restored = loaded.ToModule();
        original.eval();
        restored.eval();
        Assert.Equal(TestNetworks.Forward(original, x), TestNetworks.Forward(restored, x));
    }

    [Fact]
    public void Float64_tensors_round_trip_exactly_and_a_float64_checkpoint_is_read_as_float32()
    {
        var values = new[] { 1.0 / 3, Math.PI, -1e-300 };
        SafeTensorsFile.Write(PathOf("f64.safetensors"), new Dictionary<string, Tensor> { ["g"] = tensor(values, [3]), ["w"] = ones(2) }, new Dictionary<string, string>());
        var (read, _) = SafeTensorsFile.Read(PathOf("f64.safetensors"));
        Assert.Equal(ScalarType.Float64, read["g"].dtype);
        Assert.Equal(values, read["g"].data<double>().ToArray());
        Assert.Equal(ScalarType.Float32, read["w"].dtype);

        // Another tool's float64 weights: the network runs in float32 as saved from its values.
        var saved = Sample();
        saved.Save(PathOf("f32.safetensors"));
        var (tensors, meta) = SafeTensorsFile.Read(PathOf("f32.safetensors"));
        SafeTensorsFile.Write(PathOf("as-f64.safetensors"), tensors.ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float64)), meta);
        var loaded = Checkpoint.Load(PathOf("as-f64.safetensors"));
        foreach (var (key, t) in saved.Weights)
        {
            Assert.Equal(ScalarType.Float32, loaded.Weights[key].dtype);
            Assert.Equal(t.data<float>().ToArray(), loaded.Weights[key].data<float>().ToArray());
        }
    }

    [Fact]
    public void Truncated_file_is_refused()
    {
        Sample().Save(PathOf("full.safetensors"));
        var bytes = File.ReadAllBytes(PathOf("full.safetensors"));
        File.WriteAllBytes(PathOf("cut.safetensors"), bytes[..(bytes.Length * 2 / 3)]);
        File.WriteAllBytes(PathOf("header-cut.safetensors"), bytes[..100]);
        File.WriteAllBytes(PathOf("tiny.safetensors"), bytes[..5]);
        foreach (var file in new[] { "cut.safetensors", "header-cut.safetensors", "tiny.safetensors" })
        {
            var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(PathOf(file)));
            Assert.Contains("truncated", e.Message);
            Assert.Contains(file, e.Message);
        }
    }

    [Fact]
    public void Tensor_of_the_wrong_shape_is_refused()
    {
        var c = Sample();
        var weights = new Dictionary<string, Tensor>(c.Weights) { ["layer2.0.conv1.weight"] = zeros(32, 16, 3, 1) };
        (c with { Weights = weights }).Save(PathOf("shape.safetensors"));
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(PathOf("shape.safetensors")));
        Assert.Contains("'layer2.0.conv1.weight' has shape [32, 16, 3, 1]", e.Message);
        Assert.Contains("[32, 16, 3, 3]", e.Message);
    }

    [Fact]
    public void Missing_tensor_is_refused()
    {
        var c = Sample();
        var weights = new Dictionary<string, Tensor>(c.Weights);
        weights.Remove("layer3.2.bn2.running_var");
        (c with { Weights = weights }).Save(PathOf("missing.safetensors"));
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(PathOf("missing.safetensors")));
        Assert.Contains("'layer3.2.bn2.running_var' is missing", e.Message);
    }

    [Theory]
    [InlineData("text")]
    [InlineData("json-list")]
    [InlineData("no-architecture")]
    public void File_that_is_not_an_amc_checkpoint_is_refused(string kind)
    {
        var path = PathOf($"{kind}.safetensors");
        switch (kind)
        {
            case "text":
                File.WriteAllText(path, "epoch,loss\n1,2.30\n2,1.95\n3,1.71\n4,1.52\n5,1.40\n");
                break;
            case "json-list": // a well-formed length prefix followed by JSON that is not a header
                File.WriteAllBytes(path, [.. BitConverter.GetBytes(8L), .. "[1,2,3] "u8.ToArray()]);
                break;
            case "no-architecture": // real safetensors, written by something else
                SafeTensorsFile.Write(path, new Dictionary<string, Tensor> { ["w"] = ones(2) }, new Dictionary<string, string>());
                break;
        }
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(kind == "no-architecture" ? "without an amc architecture" : "not a safetensors", e.Message);
    }
}
