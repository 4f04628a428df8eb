using Amc.Data;
using Amc.Onnx;
using Amc.Torch;

namespace Amc.Sessions;

/// <summary>An ONNX file read as a checkpoint: the importer's network and weights, and the preprocessing its metadata records.</summary>
public static class OnnxCheckpoint
{
    /// <param name="mean">Per-channel input mean (with <paramref name="std"/>, same length as the input's channels) overriding what the metadata says.</param>
    public static Checkpoint Load(string path, float[]? mean = null, float[]? std = null) => FromModel(OnnxFile.Load(path), path, mean, std);

    /// <summary>As <see cref="Load"/>, from the file's model already read; an importer refusal is an <see cref="UnsupportedModelException"/> naming <paramref name="path"/>.</summary>
    public static Checkpoint FromModel(global::Onnx.ModelProto model, string path, float[]? mean = null, float[]? std = null)
    {
        Graph.Network net;
        Dictionary<string, TorchSharp.torch.Tensor> tensors;
        try { (net, tensors) = OnnxImporter.Import(model, Path.GetFileNameWithoutExtension(path)); }
        catch (UnsupportedModelException e) { throw new UnsupportedModelException($"{path}: {e.Message}"); }
        if (mean is not null)
            return new Checkpoint(net, tensors, new CheckpointInfo { Model = net.Name, Mean = mean, Std = std, Parent = path }).RequireFinite(path);
        (float[] Mean, float[] Std, ImageTransform Transform)? stored;
        try { stored = Preprocessing.FromMetadata(OnnxFile.Metadata(model), net.Input.C); }
        catch (FormatException e) { throw MetadataError(path, e); }
        var info = new CheckpointInfo { Model = net.Name, Mean = stored?.Mean, Std = stored?.Std, Transform = stored?.Transform, Parent = path };
        return new Checkpoint(net, tensors, info).RequireFinite(path);
    }

    /// <summary>Metadata we wrote but cannot read: bad input the user can override, not a model the importer refuses.</summary>
    public static SettingsException MetadataError(string path, FormatException e) =>
        new($"{path}: metadata {e.Message}; give --mean and --std to override it");
}
