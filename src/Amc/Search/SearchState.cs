using System.Text.Json;
using Amc.Runtime;
using static TorchSharp.torch;

namespace Amc.Search;

/// <summary>
/// Everything a search needs to continue exactly where it stopped: the next episode, the random
/// stream, the reward baseline, the replay buffer, the best policy, the agent's four networks and
/// its optimizers. Saved atomically after every episode as one safetensors file (networks as
/// tensors, the rest as JSON metadata), so kill -9 at any moment loses at most the running episode,
/// which a resume replays identically.
/// </summary>
public sealed record SearchState
{
    public required int NextEpisode { get; init; }
    public required ulong[] Random { get; init; }
    public double? Baseline { get; init; }
    public BestPolicy? Best { get; init; }
    public List<Transition> Replay { get; init; } = [];
    public string? ActorOptimizer { get; init; }
    public string? CriticOptimizer { get; init; }
    /// <summary>Settings and base network the state belongs to; a resume with others is refused.</summary>
    public required string Fingerprint { get; init; }

    const string Key = "amc.search-state";

    public void Save(string path, IReadOnlyDictionary<string, Tensor> agentTensors) =>
        SafeTensorsFile.Write(path, agentTensors, new Dictionary<string, string> { [Key] = JsonSerializer.Serialize(this) });

    public static (SearchState State, Dictionary<string, Tensor> Tensors) Load(string path)
    {
        var (tensors, meta) = SafeTensorsFile.Read(path);
        if (!meta.TryGetValue(Key, out var json))
            throw new CheckpointException($"{path}: not a search state file");
        var state = JsonSerializer.Deserialize<SearchState>(json) ?? throw new CheckpointException($"{path}: empty search state");
        return (state, tensors);
    }
}
