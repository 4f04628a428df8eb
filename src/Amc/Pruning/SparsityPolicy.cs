using System.Text.Json;
using System.Text.Json.Serialization;
using Amc.Files;
using Amc.Graph;

namespace Amc.Pruning;

/// <summary>One layer's fine-grained decision: the fraction of its weights zeroed (smallest magnitudes first).</summary>
/// <param name="Kept">Weights kept, and <paramref name="Of"/> the layer's weights: written for the reader, checked on load.</param>
public sealed record LayerSparsity(string Name, double Sparsity, int? Kept = null, int? Of = null);

/// <summary>
/// A fine-grained pruning policy as a person reads it: one sparsity per Conv2d / Linear layer, by
/// name (layers not listed stay dense). `amc search --mode sparsity` writes it as best-policy.json;
/// `amc prune --policy` reads it (told from a channel policy by its "layers").
/// </summary>
public sealed record SparsityPolicy
{
    public string? Model { get; init; }
    /// <summary>The search's budget: non-zero parameters as a fraction of the original.</summary>
    public double? Budget { get; init; }
    public required IReadOnlyList<LayerSparsity> Layers { get; init; }

    static JsonSerializerOptions Json => PruningPolicy.Json;

    /// <summary>The per-layer sparsity for <see cref="SparsityMasks.Prune"/>; names, kinds, counts and ranges checked against the network.</summary>
    public Dictionary<string, double> Resolve(Network net)
    {
        var shapes = ParameterShapes.Of(net).ToDictionary(s => s.Key, s => s.Shape.Aggregate(1L, (a, b) => a * b));
        var result = new Dictionary<string, double>();
        foreach (var d in Layers)
        {
            var l = net.Find(d.Name) ?? throw new PolicyException($"policy names layer '{d.Name}', which this network does not have");
            if (l.Kind is not (LayerKind.Conv2d or LayerKind.Linear))
                throw new PolicyException($"policy sparsifies layer '{d.Name}', a {l.Kind}; only Conv2d and Linear weights are sparsified");
            if (!result.TryAdd(d.Name, d.Sparsity)) throw new PolicyException($"policy lists layer '{d.Name}' twice; keep one decision");
            if (!(d.Sparsity >= 0 && d.Sparsity < 1)) throw new PolicyException($"layer '{d.Name}': sparsity must be in [0, 1), got {d.Sparsity}");
            long n = shapes[$"{d.Name}.weight"];
            if (d.Of is int of && of != n) throw new PolicyException($"policy says layer '{d.Name}' has {of} weights, the network has {n}; was it made for another model?");
        }
        return result;
    }

    public void Save(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    /// <summary>Whether a policy file is a sparsity policy (it has "layers"), not a channel policy.</summary>
    public static bool IsSparsity(string path)
    {
        if (!File.Exists(path)) throw new PolicyException($"policy file {path} not found");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("layers", out _);
        }
        catch (JsonException e)
        {
            throw new PolicyException($"{path}: not valid JSON ({e.Message})");
        }
    }

    public static SparsityPolicy Load(string path)
    {
        if (!File.Exists(path)) throw new PolicyException($"policy file {path} not found");
        SparsityPolicy policy;
        try
        {
            policy = JsonSerializer.Deserialize<SparsityPolicy>(File.ReadAllText(path), Json) ?? throw new PolicyException($"{path}: empty policy");
        }
        catch (JsonException e)
        {
            throw new PolicyException($"{path}: not a valid sparsity policy ({e.Message}); expected {{\"layers\": [{{\"name\": ..., \"sparsity\": 0.8}}]}}");
        }
        int missing = policy.Layers.ToList().FindIndex(l => l is null);
        if (missing >= 0) throw new PolicyException($"{path}: layers[{missing}] is null; each layer is {{\"name\": ..., \"sparsity\": 0.8}}");
        return policy;
    }
}
