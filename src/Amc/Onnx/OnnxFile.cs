using Google.Protobuf;
using Onnx;
using Amc.Files;

namespace Amc.Onnx;

/// <summary>Reads and writes ONNX model files (protobuf); writing is atomic.</summary>
public static class OnnxFile
{
    public static void Save(ModelProto model, string path) =>
        AtomicFile.Write(path, stream => model.WriteTo(stream));

    public static ModelProto Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        long size = new FileInfo(path).Length;
        if (size > Array.MaxLength)
            throw new UnsupportedModelException($"{path}: is {size} bytes; a protobuf ONNX file holds at most 2 GB (models with external data are not supported)");
        try
        {
            // From memory, not a stream: a length field is then checked against the bytes that
            // are there, so a damaged file cannot make the parser wait for or size a huge field.
            var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
            // Protobuf parses many non-ONNX files without complaint; a model always has a graph.
            if (model.Graph is null) throw new UnsupportedModelException($"{path}: not an ONNX model (no graph)");
            return model;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new UnsupportedModelException($"{path}: not an ONNX model ({e.Message})");
        }
    }

    /// <summary>The model's metadata_props as a dictionary (a repeated key keeps its last value).</summary>
    public static IReadOnlyDictionary<string, string> Metadata(ModelProto model)
    {
        var props = new Dictionary<string, string>();
        foreach (var entry in model.MetadataProps)
            props[entry.Key] = entry.Value;
        return props;
    }
}
