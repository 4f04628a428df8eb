using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Amc.Graph;
using Amc.Tests.Cli;
using Amc.Tests.Data;
using static TorchSharp.torch;
using Amc.Torch;

namespace Amc.Tests.Robustness;

/// <summary>
/// Damaged or hostile checkpoints (safetensors header fields, the architecture and info JSON in
/// its metadata): each is refused as a CheckpointException naming the file and the field, never
/// an unhandled exception or an allocation sized by the file's claims.
/// </summary>
public sealed class CheckpointRobustnessTests : IDisposable
{
    readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    /// <summary>A safetensors file from a raw header (JSON text) and data bytes.</summary>
    string Raw(string header, byte[]? data = null, string name = "raw.safetensors")
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + (data?.Length ?? 0)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data?.CopyTo(bytes, 8 + json.Length);
        var path = temp.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    static CheckpointException Refused(string path)
    {
        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Read(path));
        Assert.Contains(path, e.Message);
        return e;
    }

    const string Good = """{"dtype":"F32","shape":[2],"data_offsets":[0,8]}""";

    [Theory]
    [InlineData("""{"w":{"dtype":5,"shape":[2],"data_offsets":[0,8]}}""", "tensor 'w' dtype must be a string, got 5")]
    [InlineData("""{"w":{"dtype":null,"shape":[2],"data_offsets":[0,8]}}""", "tensor 'w' dtype must be a string, got null")]
    [InlineData("""{"w":{"shape":[2],"data_offsets":[0,8]}}""", "tensor 'w' has no dtype")]
    [InlineData("""{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,8]}}""", "tensor 'w' is F16; only F32")]
    [InlineData("""{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", "tensor 'w' shape must be an array of whole numbers >= 0, got [-2]")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}""", "tensor 'w' shape must be")]
    [InlineData("""{"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}""", "tensor 'w' shape must be")]
    [InlineData("""{"w":{"dtype":"F32","shape":null,"data_offsets":[0,8]}}""", "tensor 'w' shape must be")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1e30],"data_offsets":[0,8]}}""", "tensor 'w' shape must be")]
    [InlineData("""{"w":{"dtype":"F32","data_offsets":[0,8]}}""", "tensor 'w' has no shape")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2]}}""", "tensor 'w' has no data_offsets")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":"0-8"}}""", "tensor 'w' data_offsets must be two whole numbers")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}""", "tensor 'w' data_offsets must be two whole numbers")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8,16]}}""", "tensor 'w' data_offsets must be two whole numbers")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}""", "tensor 'w' data_offsets must be two whole numbers")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", "tensor 'w' has inconsistent offsets")]
    [InlineData("""{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", "tensor 'w' has inconsistent offsets")]
    // count * 4 overflows a long; the count alone overflows.
    [InlineData("""{"w":{"dtype":"F32","shape":[2305843009213693952],"data_offsets":[0,8]}}""", "shape [2305843009213693952] is too large")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}""", "is too large")]
    [InlineData("""{"w":5}""", "tensor 'w' must be an object")]
    [InlineData("""{"w":null}""", "tensor 'w' must be an object")]
    [InlineData("""{"__metadata__":[],"w":""" + Good + "}", "__metadata__ must be an object of strings, got []")]
    [InlineData("""{"__metadata__":null,"w":""" + Good + "}", "__metadata__ must be an object of strings, got null")]
    [InlineData("""{"__metadata__":{"amc.format":1},"w":""" + Good + "}", "__metadata__ 'amc.format' must be a string, got 1")]
    [InlineData("""{"__metadata__":{"amc.format":null},"w":""" + Good + "}", "__metadata__ 'amc.format' must be a string, got null")]
    [InlineData("""{"__metadata__":{"a":"1","a":"2"},"w":""" + Good + "}", "__metadata__ lists 'a' twice")]
    [InlineData("""{"w":""" + Good + ""","w":""" + Good + "}", "lists 'w' twice")]
    [InlineData("""{"w":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "tensor 'w' lists 'dtype' twice")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", "overlaps")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", "data bytes 0 to 4 belong to no tensor")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "4 bytes after the last tensor's data belong to no tensor")]
    public void Malformed_header_field_names_the_tensor_and_the_problem(string header, string expected)
    {
        var e = Refused(Raw(header, new byte[8]));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Well_formed_raw_file_reads()
    {
        var (tensors, meta) = SafeTensorsFile.Read(Raw("""{"__metadata__":{"k":"v"},"w":""" + Good + ", \"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", new byte[8]));
        Assert.Equal([2L], tensors["w"].shape);
        Assert.Equal([0L], tensors["e"].shape);
        Assert.Equal("v", meta["k"]);
    }

    /// <summary>A shape whose bytes fit a long but not the file is refused before anything is allocated.</summary>
    [Fact]
    public void Huge_tensor_beyond_the_file_is_refused_without_allocating()
    {
        var e = Refused(Raw("""{"w":{"dtype":"F32","shape":[1000000000,1000000000],"data_offsets":[0,4000000000000000000]}}""", new byte[8]));
        Assert.Contains("truncated", e.Message);
        Assert.Contains("'w'", e.Message);
    }

    [Theory]
    [InlineData("[1,2]", "array, not an object")]
    [InlineData("\"header\"", "string, not an object")]
    [InlineData("{\"w\":", "not JSON")]
    public void Header_that_is_not_a_json_object(string header, string expected) =>
        Assert.Contains(expected, Refused(Raw(header)).Message);

    [Fact]
    public void File_larger_than_an_array_is_refused_before_reading()
    {
        var path = temp.File("huge.amc");
        using (var f = File.Create(path)) f.SetLength(3L << 30); // sparse: no disk used
        Assert.Contains($"is {3L << 30} bytes; checkpoints of more than", Refused(path).Message);
    }

    [Fact]
    public void Header_that_is_not_utf8()
    {
        var path = Raw("{\"w\":\"x\"}");
        var bytes = File.ReadAllBytes(path);
        bytes[8 + 6] = 0xff; // inside the string value
        File.WriteAllBytes(path, bytes);
        Assert.Contains("not UTF-8", Refused(path).Message);
    }

    [Fact]
    public void Header_nested_too_deep_is_not_json()
    {
        var header = "{\"w\":" + new string('[', 5000) + new string(']', 5000) + "}";
        Assert.Contains("not JSON", Refused(Raw(header)).Message);
    }

    // The architecture and info JSON in the metadata.

    /// <summary>A valid checkpoint of a tiny network whose metadata entry <paramref name="key"/> is replaced.</summary>
    string WithMetadata(string key, Func<string, string> edit)
    {
        var net = new Network
        {
            Name = "tiny", Input = new TensorShape(1, 8, 8),
            Layers =
            [
                new Layer { Name = "conv", Kind = LayerKind.Conv2d, Inputs = [Network.InputName], Out = 4, Kernel = 3, Padding = 1 },
                new Layer { Name = "relu", Kind = LayerKind.ReLU, Inputs = ["conv"] },
                new Layer { Name = "pool", Kind = LayerKind.GlobalAvgPool, Inputs = ["relu"] },
                new Layer { Name = "flat", Kind = LayerKind.Flatten, Inputs = ["pool"] },
                new Layer { Name = "fc", Kind = LayerKind.Linear, Inputs = ["flat"], Out = 3, Bias = true },
            ],
        };
        using var module = new GraphModule(net);
        var path = temp.File("tiny.amc");
        Checkpoint.From(module, new CheckpointInfo { Model = "tiny", Mean = [0.5f], Std = [0.25f], Epochs = 2, EpochsDone = 1 }).Save(path);
        return RewriteMetadata(path, key, edit);
    }

    /// <summary>Rewrites one metadata entry of a safetensors file in place (the data bytes are kept).</summary>
    internal static string RewriteMetadata(string path, string key, Func<string, string> edit)
    {
        var bytes = File.ReadAllBytes(path);
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, n))!.AsObject();
        var meta = header["__metadata__"]!.AsObject();
        meta[key] = edit(meta[key]?.GetValue<string>() ?? "");
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var result = new byte[8 + json.Length + bytes.Length - 8 - n];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)json.Length);
        json.CopyTo(result, 8);
        bytes.AsSpan(8 + n).CopyTo(result.AsSpan(8 + json.Length));
        File.WriteAllBytes(path, result);
        return path;
    }

    /// <summary>The architecture with one field of the JSON replaced (path like "layers.4.out").</summary>
    static Func<string, string> Set(string field, string valueJson) => json =>
    {
        var root = JsonNode.Parse(json)!;
        var parts = field.Split('.');
        JsonNode node = root;
        foreach (var p in parts[..^1]) node = int.TryParse(p, out var i) ? node[i]! : node[p]!;
        var value = JsonNode.Parse(valueJson);
        if (int.TryParse(parts[^1], out var last)) node.AsArray()[last] = value;
        else node.AsObject()[parts[^1]] = value;
        return root.ToJsonString();
    };

    [Theory]
    [InlineData("layers", "null", "layers")]
    [InlineData("layers.1", "null", "layers[1] is null")]
    [InlineData("layers.1", "5", "not valid")]
    [InlineData("layers.1.inputs", "null", "inputs")]
    [InlineData("layers.1.inputs.0", "null", "layer 'relu' has a null input")]
    [InlineData("layers.1.name", "null", "name")]
    [InlineData("layers.1.kind", "3", "kind")]
    [InlineData("layers.1.kind", "\"Conv3d\"", "kind")]
    [InlineData("layers.4.out", "\"3\"", "out")]
    [InlineData("layers.4.out", "1e20", "out")]
    [InlineData("layers.4.bias", "1", "bias")]
    [InlineData("input", "null", "input")]
    [InlineData("input", "[1,8,8]", "input")]
    [InlineData("input.c", "-1", "has input -1x8x8; the input must be an image shape")]
    [InlineData("input.h", "0", "has input 1x0x8")]
    [InlineData("input.flat", "true", "(flat)")]
    [InlineData("name", "null", "name")]
    public void Architecture_field_of_the_wrong_type_or_value(string field, string value, string expected)
    {
        var path = WithMetadata("amc.architecture", Set(field, value));
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("null")]
    [InlineData("")]
    [InlineData("{\"name\": \"tiny\", \"name\": \"tiny\"")]
    public void Architecture_that_is_not_a_network_object(string json)
    {
        var path = WithMetadata("amc.architecture", _ => json);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path));
        Assert.StartsWith(path + ": ", e.Message);
    }

    [Fact]
    public void Architecture_whose_layer_output_overflows_an_int()
    {
        var path = WithMetadata("amc.architecture", _ =>
            """{"name": "big", "input": {"c": 1, "h": 50000, "w": 50000}, "layers": [{"name": "f", "kind": "Flatten", "inputs": ["input"]}]}""");
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path));
        Assert.Contains("a tensor may hold", e.Message);
    }

    [Fact]
    public void Architecture_with_a_duplicate_key_is_refused()
    {
        var path = WithMetadata("amc.architecture", json =>
        {
            Assert.Contains("\"name\": \"tiny\"", json);
            return json.Replace("\"name\": \"tiny\"", "\"name\": \"tiny\", \"name\": \"other\"");
        });
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path));
        Assert.Contains("name", e.Message);
    }

    [Theory]
    [InlineData("mean", "\"x\"", "amc.info is not valid")]
    [InlineData("mean", "[0.5, 0.5]", "mean and std need 1 values")]
    [InlineData("mean", "null", "only one of mean and std")]
    [InlineData("std", "[0]", "finite and positive")]
    [InlineData("std", "[-1]", "finite and positive")]
    [InlineData("epochsDone", "-1", "epochsDone must be between 0 and epochs (2), got -1")]
    [InlineData("epochsDone", "3", "epochsDone must be between 0 and epochs")]
    [InlineData("epochs", "0", "epochs must be at least 1")]
    [InlineData("epochs", "\"two\"", "amc.info is not valid")]
    [InlineData("metrics", "[1]", "amc.info is not valid")]
    [InlineData("seed", "1e40", "amc.info is not valid")]
    [InlineData("transform", "{\"mode\": \"CenterCrop\"}", "needs a resize of at least 1 pixel with CenterCrop")]
    [InlineData("transform", "{\"mode\": \"CenterCrop\", \"resize\": 0}", "needs a resize of at least 1 pixel with CenterCrop")]
    [InlineData("transform", "{\"mode\": \"Squash\", \"resize\": 5}", "and none otherwise")]
    [InlineData("transform", "{\"mode\": \"Crop\"}", "amc.info is not valid")]
    public void Info_field_of_the_wrong_type_or_value(string field, string value, string expected)
    {
        var path = WithMetadata("amc.info", Set(field, value));
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("[1]")]
    [InlineData("{\"model\": 5}")]
    [InlineData("{\"model\": \"a\", \"model\": \"b\"}")]
    [InlineData("not json")]
    public void Info_that_is_not_an_info_object(string json)
    {
        var path = WithMetadata("amc.info", _ => json);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path));
        Assert.Contains("amc.info is not valid", e.Message);
    }

    [Fact]
    public void Untouched_tiny_checkpoint_loads() =>
        Assert.Equal("tiny", Checkpoint.Load(WithMetadata("amc.info", json => json)).Info.Model);

    // What the user sees: exit code 2, one line, no stack trace.

    [Theory]
    [InlineData("dtype")]
    [InlineData("layers")]
    [InlineData("info")]
    public void Cli_refuses_a_damaged_checkpoint_on_one_line(string damage)
    {
        var path = damage switch
        {
            "dtype" => Raw("""{"__metadata__":{"amc.architecture":"{}"},"w":{"dtype":5,"shape":[2],"data_offsets":[0,8]}}""", new byte[8]),
            "layers" => WithMetadata("amc.architecture", Set("layers", "null")),
            _ => WithMetadata("amc.info", Set("mean", "{\"a\": 1}")),
        };
        var message = CliAssert.BadInput(CliRun.Amc("profile", "--checkpoint", path));
        Assert.Contains(path, message);
        Assert.DoesNotContain("at Amc.", message);
    }
}
