using System.Text.Json;
using static TorchSharp.torch;
using Amc.Files;
using Amc.Torch;

namespace Amc.Search;

/// <summary>
/// Everything a search needs to continue exactly where it stopped: the next episode, the random
/// stream, the reward baseline, the replay buffer, the best policy, the agent's four networks and
/// its optimizers. Saved atomically after every round of episodes as one safetensors file (networks
/// as tensors, the rest as JSON metadata), so kill -9 at any moment loses at most the running round,
/// which a resume replays identically.
/// </summary>
internal sealed record SearchState
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

    static readonly JsonSerializerOptions ReadJson = StrictJson.ForReading();

    /// <summary>
    /// Reads a state file and checks what does not depend on the search's settings (those the
    /// runner checks against its own: see SearchRunner); errors name the file.
    /// </summary>
    public static (SearchState State, Dictionary<string, Tensor> Tensors) Load(string path)
    {
        var (tensors, meta) = SafeTensorsFile.Read(path);
        if (!meta.TryGetValue(Key, out var json))
            throw new CheckpointException($"{path}: not a search state file");
        SearchState? state;
        try
        {
            state = JsonSerializer.Deserialize<SearchState>(json, ReadJson);
        }
        catch (JsonException e)
        {
            throw Damaged(path, $"its {Key} JSON is not valid ({e.Message})");
        }
        if (state is null) throw new CheckpointException($"{path}: empty search state");
        if (state.Random.Length != 4) throw Damaged(path, $"the random state has {state.Random.Length} numbers, 4 expected");
        if (state.NextEpisode < 0) throw Damaged(path, $"the next episode is {state.NextEpisode}");
        int missing = state.Replay.FindIndex(t => t is null);
        if (missing >= 0) throw Damaged(path, $"replay transition {missing} is null");
        if ((state.ActorOptimizer is null) != (state.CriticOptimizer is null))
            throw Damaged(path, "it holds the optimizer state of only one of the actor and the critic");
        return (state, tensors);
    }

    /// <summary>The file is damaged: what is wrong, and how to go on.</summary>
    public static CheckpointException Damaged(string path, string problem) =>
        new($"{path}: damaged search state: {problem}; start over in a new --out (or delete it)");

    /// <summary>An optimizer state's bytes (base64 in the JSON).</summary>
    public static byte[] Bytes(string path, string base64, string what)
    {
        var buffer = new byte[base64.Length / 4 * 3 + 3];
        return Convert.TryFromBase64String(base64, buffer, out int written)
            ? buffer[..written]
            : throw Damaged(path, $"the {what} optimizer state is not base64");
    }
}
