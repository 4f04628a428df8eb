using Amc.Graph;
using Amc.Tests.Cli;
using Amc.Tests.Data;
using Amc.Tests.Onnx;
using Google.Protobuf;
using Onnx;
using static Amc.Tests.Onnx.OnnxGraphBuilder;
using AttributeType = Onnx.AttributeProto.Types.AttributeType;
using DataType = Onnx.TensorProto.Types.DataType;
using Amc.Onnx;

namespace Amc.Tests.Robustness;

/// <summary>
/// Malformed ONNX models (nodes without outputs, odd Constant attributes, out-of-range or 64-bit
/// values, missing inputs, inconsistent tensors, garbage bytes): each is refused as an
/// UnsupportedModelException naming the node and the value, never an unhandled exception and
/// never a silent truncation.
/// </summary>
public sealed class OnnxRobustnessTests : IDisposable
{
    readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    const long Beyond = (1L << 32) + 28; // truncated to int this is 28

    /// <summary>Conv (2 filters 3x3, pad 1) -> Relu -> GlobalAveragePool -> Flatten -> Gemm, on 1x8x8.</summary>
    static ModelProto Tiny(params AttributeProto[] convAttributes)
    {
        var g = new OnnxGraphBuilder(13, 1, 8, 8);
        var attributes = convAttributes.Length > 0 ? convAttributes : [Ints("pads", 1, 1, 1, 1)];
        var x = g.Node("Conv", "conv", ["x", g.Weight("w", [2, 1, 3, 3])], attributes);
        x = g.Node("Relu", "relu", [x]);
        x = g.Node("GlobalAveragePool", "pool", [x]);
        x = g.Node("Flatten", "flat", [x]);
        x = g.Node("Gemm", "fc", [x, g.Weight("fc.w", [3, 2]), g.Weight("fc.b", [3])], Int("transB", 1));
        return g.Build(x, 3);
    }

    static NodeProto NodeOf(ModelProto m, string name) => m.Graph.Node.Single(n => n.Name == name);

    static UnsupportedModelException Refused(ModelProto m) =>
        Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Import(m));

    [Fact]
    public void Untouched_tiny_model_imports()
    {
        var (net, weights) = OnnxImporter.Import(Tiny());
        Assert.Equal(5, net.Layers.Count);
        Assert.Equal(3, weights.Count); // conv.weight, fc.weight, fc.bias
    }

    [Fact]
    public void Node_without_outputs()
    {
        var m = Tiny();
        NodeOf(m, "relu").Output.Clear();
        Assert.Contains("'relu' (op Relu): the node has no output", Refused(m).Message);

        m = Tiny();
        NodeOf(m, "conv").Output[0] = "";
        Assert.Contains("'conv' (op Conv): the node has no output", Refused(m).Message);
    }

    [Fact]
    public void Graph_without_nodes_or_outputs()
    {
        var m = Tiny();
        m.Graph.Node.Clear();
        Assert.Contains("is not computed by a supported layer", Refused(m).Message);

        m = Tiny();
        m.Graph.Output.Clear();
        Assert.Contains("has 0 outputs", Refused(m).Message);
    }

    /// <summary>A model whose Conv weight comes from a Constant node with these attributes.</summary>
    static ModelProto WithConstant(params AttributeProto[] attributes)
    {
        var m = Tiny();
        var constant = new NodeProto { OpType = "Constant", Name = "const", Output = { "c" } };
        constant.Attribute.AddRange(attributes);
        m.Graph.Node.Insert(0, constant);
        NodeOf(m, "conv").Input[1] = "c";
        return m;
    }

    static TensorProto ConvWeight() => new() { DataType = (int)DataType.Float, Dims = { 2, 1, 3, 3 }, FloatData = { Enumerable.Repeat(0.1f, 18) } };

    public static TheoryData<string, AttributeProto[], string> Constants() => new()
    {
        { "none", [], "exactly one value attribute, it has 0" },
        { "two", [new() { Name = "value", Type = AttributeType.Tensor, T = ConvWeight() }, new() { Name = "value_float", Type = AttributeType.Float, F = 1 }], "exactly one value attribute, it has 2" },
        { "twice", [new() { Name = "value", Type = AttributeType.Tensor, T = ConvWeight() }, new() { Name = "value", Type = AttributeType.Tensor, T = ConvWeight() }], "attribute 'value' is given 2 times" },
        { "missing tensor", [new() { Name = "value", Type = AttributeType.Tensor }], "attribute 'value' holds no tensor" },
        { "value as float", [new() { Name = "value", Type = AttributeType.Float, F = 1 }], "attribute 'value' is of type Float; Tensor is expected" },
        { "untyped", [new() { Name = "value", T = ConvWeight() }], "attribute 'value' is of type Undefined" },
        { "sparse", [new() { Name = "sparse_value", Type = AttributeType.SparseTensor, SparseTensor = new SparseTensorProto() }], "attribute 'sparse_value' is not supported" },
        { "floats as ints", [new() { Name = "value_floats", Type = AttributeType.Ints, Ints = { 1, 2 } }], "attribute 'value_floats' is of type Ints; Floats is expected" },
        { "floats", [new() { Name = "value_floats", Type = AttributeType.Floats, Floats = { 1, 2 } }], "weight has 1 dims" },
        { "int", [new() { Name = "value_int", Type = AttributeType.Int, I = 3 }], "only float32 tensors" },
        { "string", [new() { Name = "value_string", Type = AttributeType.String, S = ByteString.CopyFromUtf8("w") }], "attribute 'value_string' is not supported" },
    };

    [Theory]
    [MemberData(nameof(Constants))]
    public void Constant_with_odd_attributes(string what, AttributeProto[] attributes, string expected)
    {
        var e = Refused(WithConstant(attributes));
        Assert.True(e.Message.Contains(expected), $"{what}: {e.Message}");
    }

    [Fact]
    public void Constant_tensor_weight_imports() =>
        Assert.Equal(2, OnnxImporter.Import(WithConstant(new AttributeProto { Name = "value", Type = AttributeType.Tensor, T = ConvWeight() })).Network["conv"].Out);

    public static TheoryData<string, AttributeProto[], string> ConvAttributes() => new()
    {
        { "zero stride", [Ints("strides", 0, 0)], "strides must be at least 1, got 0" },
        { "negative stride", [Ints("strides", -2, -2)], "strides must be at least 1, got -2" },
        { "64-bit stride", [Ints("strides", Beyond, Beyond)], $"strides {Beyond} is beyond the supported range" },
        { "64-bit pads", [Ints("pads", Beyond, Beyond, Beyond, Beyond)], $"pads value {Beyond} is beyond the supported range" },
        { "negative pads", [Ints("pads", -1, -1, -1, -1)], "pads [-1, -1, -1, -1] crop" },
        { "zero dilation", [Ints("dilations", 0, 0)], "dilations must be at least 1, got 0" },
        { "64-bit dilation", [Ints("dilations", Beyond, Beyond)], $"dilations {Beyond} is beyond" },
        { "zero group", [Int("group", 0)], "group must be at least 1, got 0" },
        { "64-bit group", [Int("group", Beyond)], $"group {Beyond} is beyond" },
        { "strides as int", [Int("strides", 1)], "attribute 'strides' is of type Int; Ints is expected" },
        { "group as float", [Float("group", 1)], "attribute 'group' is of type Float; Int is expected" },
        { "auto_pad as int", [Int("auto_pad", 1)], "attribute 'auto_pad' is of type Int; String is expected" },
        { "strides twice", [Ints("strides", 1, 1), Ints("strides", 2, 2)], "attribute 'strides' is given 2 times" },
        { "kernel_shape 64-bit", [Ints("kernel_shape", Beyond, Beyond)], "disagrees with the weight" },
    };

    [Theory]
    [MemberData(nameof(ConvAttributes))]
    public void Conv_attribute_out_of_range_or_of_the_wrong_type(string what, AttributeProto[] attributes, string expected)
    {
        var e = Refused(Tiny(attributes));
        Assert.True(e.Message.Contains("'conv' (op Conv)") && e.Message.Contains(expected), $"{what}: {e.Message}");
    }

    [Fact]
    public void Pool_kernel_and_stride_out_of_range()
    {
        foreach (var (attributes, expected) in new (AttributeProto[], string)[]
        {
            ([Ints("kernel_shape", 0, 0)], "kernel_shape must be at least 1, got 0"),
            ([Ints("kernel_shape", Beyond, Beyond)], $"kernel_shape {Beyond} is beyond"),
            ([Ints("kernel_shape", 2, 2), Ints("strides", 0, 0)], "strides must be at least 1, got 0"),
            ([Ints("kernel_shape", 2, 2), Ints("pads", Beyond, Beyond, Beyond, Beyond)], $"pads value {Beyond} is beyond"),
            ([], "attribute 'kernel_shape' is missing"),
        })
        {
            var g = new OnnxGraphBuilder(13, 1, 8, 8);
            var x = g.Node("MaxPool", "pool", ["x"], attributes);
            var e = Refused(g.Build(x, 1, 4, 4));
            Assert.Contains("'pool' (op MaxPool)", e.Message);
            Assert.Contains(expected, e.Message);
        }
    }

    [Fact]
    public void Pad_node_out_of_range()
    {
        foreach (var (pads, expected) in new (long[], string)[]
        {
            ([0, 0, Beyond, Beyond, 0, 0, Beyond, Beyond], $"pads value {Beyond} is beyond"),
            ([0, 0, -1, -1, 0, 0, -1, -1], "crop"),
        })
        {
            var g = new OnnxGraphBuilder(13, 1, 8, 8);
            var x = g.Node("Pad", "pad", ["x", g.Int64s("pads", pads)]);
            x = g.Node("Conv", "conv", [x, g.Weight("w", [2, 1, 3, 3])]);
            var e = Refused(g.Build(x, 2, 8, 8));
            Assert.Contains("'pad' (op Pad)", e.Message);
            Assert.Contains(expected, e.Message);
        }
    }

    public static TheoryData<string, long[], int, string> Weights() => new()
    {
        // weight dims, float values stored, message
        { "64-bit filters", [Beyond, 0, 3, 3], 0, $"output channels {Beyond} is beyond" },
        { "empty kernel", [2, 1, 0, 0], 0, "has no filters or an empty kernel" },
        { "no filters", [0, 1, 3, 3], 0, "has no filters or an empty kernel" },
        { "negative dims", [-2, -1, 3, 3], 18, "with a negative dimension" },
        { "count overflows", [1L << 40, 1L << 40, 1, 1], 0, "too many values" },
        { "too few values", [2, 1, 3, 3], 17, "holds 17 values, its shape [2, 1, 3, 3] needs 18" },
    };

    [Theory]
    [MemberData(nameof(Weights))]
    public void Conv_weight_inconsistent_with_its_shape(string what, long[] dims, int values, string expected)
    {
        var m = Tiny();
        var w = m.Graph.Initializer.Single(t => t.Name == "w");
        w.Dims.Clear();
        w.Dims.AddRange(dims);
        w.RawData = ByteString.Empty;
        w.FloatData.Clear();
        w.FloatData.AddRange(Enumerable.Repeat(0.5f, values));
        var e = Refused(m);
        Assert.True(e.Message.Contains(expected), $"{what}: {e.Message}");
    }

    [Fact]
    public void Raw_data_that_is_not_a_whole_number_of_values()
    {
        var m = Tiny();
        var w = m.Graph.Initializer.Single(t => t.Name == "w");
        w.FloatData.Clear();
        w.RawData = ByteString.CopyFrom(new byte[18 * 4 + 2]);
        Assert.Contains("holds 74 bytes of data, its shape [2, 1, 3, 3] needs 18 values of 4 bytes", Refused(m).Message);

        var g = new OnnxGraphBuilder(13, 1, 4, 4);
        var shape = new TensorProto { Name = "shape", DataType = (int)DataType.Int64, Dims = { 2 }, RawData = ByteString.CopyFrom(new byte[13]) };
        var x = g.Node("Reshape", "reshape", ["x", "shape"]);
        m = g.Build(x, 16);
        m.Graph.Initializer.Add(shape);
        Assert.Contains("tensor 'shape' holds 13 bytes of data", Refused(m).Message);
    }

    [Fact]
    public void Gemm_weight_with_64_bit_rows()
    {
        var m = Tiny();
        var w = m.Graph.Initializer.Single(t => t.Name == "fc.w");
        w.Dims.Clear();
        w.Dims.AddRange([Beyond, 0]);
        w.RawData = ByteString.Empty;
        w.FloatData.Clear();
        Assert.Contains($"output features {Beyond} is beyond", Refused(m).Message);
    }

    [Theory]
    [InlineData(Beyond, "has dimension 4294967324")]
    [InlineData(0, "with fixed C, H, W")]
    [InlineData(-3, "with fixed C, H, W")]
    public void Input_dimension_beyond_int_or_not_positive(long h, string expected)
    {
        var m = Tiny();
        m.Graph.Input[0].Type.TensorType.Shape.Dim[2].DimValue = h;
        Assert.Contains(expected, Refused(m).Message);
    }

    [Fact]
    public void Layer_output_beyond_int_is_refused()
    {
        // 1 x 50000 x 50000 is 2.5e9 values: flattening it cannot be counted in an int.
        var g = new OnnxGraphBuilder(13, 1, 50000, 50000);
        var x = g.Node("Flatten", "flat", ["x"]);
        Assert.Contains("a tensor may hold", Refused(g.Build(x, 2_500_000_000)).Message);
    }

    [Fact]
    public void Missing_inputs_and_initializers()
    {
        var m = Tiny();
        NodeOf(m, "conv").Input.RemoveAt(1);
        Assert.Contains("the weight (input 1) is not a constant", Refused(m).Message);

        m = Tiny();
        NodeOf(m, "relu").Input.Clear();
        Assert.Contains("'relu' (op Relu): input 0 is missing", Refused(m).Message);

        m = Tiny();
        m.Graph.Initializer.Remove(m.Graph.Initializer.Single(t => t.Name == "fc.w"));
        Assert.Contains("'fc' (op Gemm): the weight (input 1) is not a constant", Refused(m).Message);

        m = Tiny();
        NodeOf(m, "pool").Input[0] = "nowhere";
        Assert.Contains("reads 'nowhere', which no supported node computes", Refused(m).Message);

        var g = new OnnxGraphBuilder(13, 1, 4, 4);
        var x = g.Node("BatchNormalization", "bn", ["x", g.Weight("s", [1])]);
        Assert.Contains("'bn' (op BatchNormalization)", Refused(g.Build(x, 1, 4, 4)).Message);
    }

    // Files: parse errors and a refusal name the file.

    [Fact]
    public void Garbage_bytes_are_not_an_onnx_model()
    {
        var rng = new Random(3);
        for (int i = 0; i < 20; i++)
        {
            var bytes = new byte[rng.Next(1, 400)];
            rng.NextBytes(bytes);
            var path = temp.File($"garbage{i}.onnx");
            File.WriteAllBytes(path, bytes);
            var e = Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Load(path));
            Assert.StartsWith(path + ": ", e.Message);
        }
    }

    [Fact]
    public void File_larger_than_protobuf_allows_is_refused_before_reading()
    {
        var path = temp.File("huge.onnx");
        using (var f = File.Create(path)) f.SetLength(3L << 30); // sparse: no disk used
        var e = Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Load(path));
        Assert.StartsWith($"{path}: is {3L << 30} bytes", e.Message);
    }

    [Fact]
    public void Refusal_of_a_file_names_the_file()
    {
        var m = Tiny(Ints("strides", Beyond, Beyond));
        var path = temp.File("strides.onnx");
        OnnxFile.Save(m, path);
        var e = Assert.Throws<UnsupportedModelException>(() => OnnxImporter.Load(path));
        Assert.StartsWith($"{path}: ONNX node 'conv' (op Conv): strides {Beyond}", e.Message);
    }

    /// <summary>
    /// Truncations and byte flips of a real exported model: each imports or is refused as an
    /// UnsupportedModelException, nothing else (the loader is total on what a damaged file holds).
    /// </summary>
    [Fact]
    public void Truncated_or_flipped_models_import_or_are_refused()
    {
        var net = TestNetworks.Build("resnet20");
        using var module = TestNetworks.Randomized(net, seed: 5);
        var bytes = OnnxExporter.Export(net, module.Tensors()).ToByteArray();
        var rng = new Random(9);
        var path = temp.File("damaged.onnx");
        int refused = 0;
        for (int i = 0; i < 300; i++)
        {
            var damaged = (byte[])bytes.Clone();
            if (i < 60) damaged = damaged[..rng.Next(damaged.Length)];
            else
                for (int k = 0; k < 1 + i % 4; k++) damaged[rng.Next(damaged.Length)] ^= (byte)(1 << rng.Next(8));
            File.WriteAllBytes(path, damaged);
            try
            {
                OnnxImporter.Load(path);
            }
            catch (UnsupportedModelException e)
            {
                Assert.StartsWith(path + ": ", e.Message);
                refused++;
            }
        }
        Assert.True(refused >= 60, $"only {refused} of 300 damaged models were refused");
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("strides")]
    [InlineData("no-output")]
    public void Cli_refuses_a_malformed_model_on_one_line(string damage)
    {
        var path = temp.File($"{damage}.onnx");
        switch (damage)
        {
            case "garbage":
                File.WriteAllBytes(path, [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]);
                break;
            case "strides":
                OnnxFile.Save(Tiny(Ints("strides", Beyond, Beyond)), path);
                break;
            default:
                var m = Tiny();
                NodeOf(m, "relu").Output.Clear();
                OnnxFile.Save(m, path);
                break;
        }
        var output = temp.File($"{damage}.amc");
        var message = CliAssert.BadInput(CliRun.Amc("import", "--onnx", path, "--out", output));
        Assert.Contains(path, message);
        Assert.DoesNotContain("at Amc.", message);
        Assert.False(File.Exists(output));
    }
}
