using Amc.Graph;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Amc.Torch;

/// <summary>
/// Reads PyTorch state dicts (torch.save .pt/.pth files through TorchSharp.PyBridge's unpickler,
/// which rebuilds tensors only and runs no Python code; or .safetensors) and fits them to a
/// network description whose layer names are PyTorch's (the zoo follows torchvision's names).
/// </summary>
public static class PyTorchWeights
{
    public static Dictionary<string, Tensor> Read(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"{path}: file not found");
        Dictionary<string, Tensor> raw;
        try
        {
            if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                raw = Safetensors.LoadStateDict(path);
            else
            {
                using var stream = File.OpenRead(path);
                raw = PyTorchUnpickler.UnpickleStateDict(stream).Cast<System.Collections.DictionaryEntry>()
                    .ToDictionary(e => (string)e.Key, e => (Tensor)e.Value!);
            }
        }
        catch (Exception e) when (e is not CheckpointException)
        {
            throw new CheckpointException($"{path}: not a PyTorch state dict saved with torch.save(model.state_dict()) or safetensors ({e.Message})");
        }
        return raw;
    }

    /// <summary>The tensors the description needs, checked by name and shape; BN's num_batches_tracked is dropped.</summary>
    public static Dictionary<string, Tensor> Fit(Network net, IReadOnlyDictionary<string, Tensor> stateDict, string source)
    {
        var result = new Dictionary<string, Tensor>();
        var specs = ParameterShapes.Of(net);
        foreach (var spec in specs)
        {
            if (!stateDict.TryGetValue(spec.Key, out var t))
                throw new CheckpointException($"{source}: has no '{spec.Key}'; is it a state dict of a {net.Name} with these layer names?");
            if (!t.shape.SequenceEqual(spec.Shape))
                throw new CheckpointException($"{source}: '{spec.Key}' is [{string.Join(", ", t.shape)}], the {net.Name} built here needs [{string.Join(", ", spec.Shape)}] (check --input, --classes, --width)");
            result[spec.Key] = t.to_type(ScalarType.Float32);
        }
        var extra = stateDict.Keys.Where(k => !k.EndsWith("num_batches_tracked")).Except(specs.Select(s => s.Key)).FirstOrDefault();
        if (extra is not null) throw new CheckpointException($"{source}: '{extra}' does not belong to {net.Name}");
        return result;
    }
}
