using System.Text.Json;
using Amc.Graph;
using static TorchSharp.torch;

namespace Amc.Torch;

/// <summary>
/// A network description, its weights and its info, in one safetensors file: PyTorch reads the
/// weights with safetensors.torch.load_file, and the architecture JSON sits in the metadata
/// ("amc.architecture"). Saving is atomic; loading checks every tensor against the architecture.
/// </summary>
public sealed record Checkpoint(Network Network, Dictionary<string, Tensor> Weights, CheckpointInfo Info)
{
    const string FormatKey = "amc.format", ArchitectureKey = "amc.architecture", InfoKey = "amc.info";

    /// <summary>A snapshot of a module's weights (copies, so it outlives the module).</summary>
    public static Checkpoint From(GraphModule module, CheckpointInfo info) =>
        new(module.Network, module.Tensors().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope()), info);

    public void Save(string path) =>
        SafeTensorsFile.Write(path, Weights, new Dictionary<string, string>
        {
            [FormatKey] = "1",
            [ArchitectureKey] = NetworkJson.Write(Network),
            [InfoKey] = JsonSerializer.Serialize(Info, NetworkJson.Options),
        });

    public static Checkpoint Load(string path)
    {
        var (tensors, meta) = SafeTensorsFile.Read(path);
        if (!meta.TryGetValue(ArchitectureKey, out var arch))
            throw new CheckpointException($"{path}: safetensors file without an amc architecture; import plain weights with 'amc import'");
        Network net;
        try
        {
            net = NetworkJson.Read(arch);
        }
        catch (InvalidNetworkException e)
        {
            throw new CheckpointException($"{path}: {e.Message}");
        }
        var info = meta.TryGetValue(InfoKey, out var i) ? ReadInfo(path, i, net) : new();
        var expected = ParameterShapes.Of(net);
        foreach (var spec in expected)
        {
            if (!tensors.TryGetValue(spec.Key, out var t))
                throw new CheckpointException($"{path}: tensor '{spec.Key}' is missing");
            if (!t.shape.SequenceEqual(spec.Shape))
                throw new CheckpointException($"{path}: tensor '{spec.Key}' has shape [{string.Join(", ", t.shape)}], the architecture needs [{string.Join(", ", spec.Shape)}]");
        }
        var extra = tensors.Keys.Except(expected.Select(s => s.Key)).FirstOrDefault();
        if (extra is not null) throw new CheckpointException($"{path}: tensor '{extra}' does not belong to the architecture");
        // Networks run in float32: weights another tool saved in float64 are converted as they are read.
        foreach (var (name, t) in tensors.Where(kv => kv.Value.dtype != ScalarType.Float32).ToList())
        {
            tensors[name] = t.to_type(ScalarType.Float32);
            t.Dispose();
        }
        return new Checkpoint(net, tensors, info);
    }

    /// <summary>
    /// Refuses weights holding NaN or Inf (a diverged training run, a damaged file): such a network
    /// scores, prunes and exports to garbage, so commands that build on it stop here instead.
    /// </summary>
    /// <param name="path">The checkpoint's file, named in the message.</param>
    public Checkpoint RequireFinite(string path)
    {
        if (FirstNonFinite(Network, Weights) is { } key)
            throw new CheckpointException($"{path}: tensor '{key}' holds NaN or Inf values (a diverged training run or a damaged file); use weights that are all finite");
        return this;
    }

    /// <summary>The first parameter, in the architecture's order, holding NaN or Inf; null when all are finite.</summary>
    public static string? FirstNonFinite(Network network, IReadOnlyDictionary<string, Tensor> weights)
    {
        foreach (var spec in ParameterShapes.Of(network))
        {
            using var scope = NewDisposeScope();
            if (!weights[spec.Key].isfinite().all().item<bool>()) return spec.Key;
        }
        return null;
    }

    /// <summary>The info JSON, checked where later code relies on it (normalisation, resumed epochs).</summary>
    static CheckpointInfo ReadInfo(string path, string json, Network net)
    {
        CheckpointInfo? info;
        try
        {
            info = JsonSerializer.Deserialize<CheckpointInfo>(json, NetworkJson.Options);
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: {InfoKey} is not valid ({e.Message})");
        }
        if (info is null) return new();
        string? problem = null;
        if ((info.Mean is null) != (info.Std is null))
            problem = "gives only one of mean and std; give both or neither";
        else if (info.Mean is { } mean && info.Std is { } std)
        {
            if (mean.Length != net.Input.C || std.Length != net.Input.C)
                problem = $"mean and std need {net.Input.C} values (one per input channel), got {mean.Length} and {std.Length}";
            else if (!mean.All(float.IsFinite) || !std.All(s => float.IsFinite(s) && s > 0))
                problem = $"mean [{string.Join(", ", mean)}] must be finite and std [{string.Join(", ", std)}] finite and positive";
        }
        if (problem is null && info.Transform is { } t && (t.Mode == Amc.Data.ResizeMode.CenterCrop ? t.Resize is not >= 1 : t.Resize is not null))
            problem = $"transform {info.Transform} needs a resize of at least 1 pixel with CenterCrop, and none otherwise";
        if (problem is null && info.Epochs is < 1)
            problem = $"epochs must be at least 1, got {info.Epochs}";
        if (problem is null && (info.EpochsDone is < 0 || info.EpochsDone > info.Epochs))
            problem = $"epochsDone must be between 0 and epochs ({info.Epochs?.ToString() ?? "not given"}), got {info.EpochsDone}";
        if (problem is not null) throw new CheckpointException($"{path}: {InfoKey} {problem}");
        return info;
    }

    public GraphModule ToModule()
    {
        var m = new GraphModule(Network);
        m.LoadTensors(Weights);
        return m;
    }
}
