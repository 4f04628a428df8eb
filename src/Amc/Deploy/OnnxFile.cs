using Amc.Runtime;
using Google.Protobuf;
using Onnx;

namespace Amc.Deploy;

/// <summary>Reads and writes ONNX model files (protobuf); writing is atomic.</summary>
public static class OnnxFile
{
    public static void Save(ModelProto model, string path) =>
        AtomicFile.Write(path, stream => model.WriteTo(stream));

    public static ModelProto Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        try
        {
            using var stream = File.OpenRead(path);
            var model = ModelProto.Parser.ParseFrom(stream);
            // Protobuf parses many non-ONNX files without complaint; a model always has a graph.
            if (model.Graph is null) throw new UnsupportedModelException($"{path}: not an ONNX model (no graph)");
            return model;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new UnsupportedModelException($"{path}: not an ONNX model ({e.Message})");
        }
    }
}
