using System.Text.Json;
using System.Text.Json.Serialization;
using Amc.Graph;
using Amc.Files;

namespace Amc.Pruning;

/// <summary>One group's decision: a keep ratio, or an exact channel count (which wins when both are given).</summary>
public sealed record GroupDecision
{
    public required string Name { get; init; }
    public double? Keep { get; init; }
    public int? Channels { get; init; }
    /// <summary>The group's original width, written for the reader; checked on load.</summary>
    public int? Of { get; init; }
    /// <summary>"int8": the layers making the group's channels run in int8 (a mixed-precision search
    /// chose it; `amc quantize --policy` reads it). Absent: float.</summary>
    public string? Precision { get; init; }
}

/// <summary>
/// A pruning policy as a person reads it: one decision per channel group, by group name. Groups
/// not listed keep all their channels. `amc search` writes these; `amc prune --policy` reads them.
/// </summary>
public sealed record PruningPolicy
{
    public string? Model { get; init; }
    public int? Round { get; init; }
    public required IReadOnlyList<GroupDecision> Groups { get; init; }

    /// <summary>How policy files are written and read (a sparsity policy file too).</summary>
    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // A null where a value is needed ("groups": null, "name": null) or a key given twice
        // (which would silently take the last) is refused with its JSON path.
        RespectNullableAnnotations = true,
        AllowDuplicateProperties = false,
    };

    public static PruningPolicy Uniform(ChannelGraph graph, double keep, string? model = null) => new()
    {
        Model = model,
        Groups = graph.Prunable.Select(g => new GroupDecision { Name = g.Name, Keep = keep, Of = g.Channels }).ToList(),
    };

    /// <summary>The file form of a policy: every prunable group's width and keep ratio, by name.</summary>
    public static PruningPolicy From(Policy policy, ChannelGraph graph, string? model, int round) => new()
    {
        Model = model,
        Round = round,
        Groups = graph.Prunable.Select(g => new GroupDecision
        {
            Name = g.Name,
            Channels = policy.Width(g.Id),
            Keep = Math.Round((double)policy.Width(g.Id) / g.Channels, 4),
            Of = g.Channels,
            Precision = policy.IsInt8(g.Id) ? Int8 : null,
        }).ToList(),
    };

    public const string Int8 = "int8";

    /// <summary>The policy for this network (groups not listed at full width); invalid names or counts throw with the fix in the message.</summary>
    public Policy Resolve(ChannelGraph graph, int round)
    {
        var result = new Dictionary<int, int>();
        var int8 = new List<int>();
        foreach (var d in Groups)
        {
            var g = graph.Groups.FirstOrDefault(x => x.Name == d.Name)
                ?? throw new PolicyException($"policy names group '{d.Name}', which this network does not have; its prunable groups are: {string.Join(", ", graph.Prunable.Select(x => x.Name))}");
            if (!g.Prunable) throw new PolicyException($"policy prunes group '{d.Name}', which cannot be pruned ({g.Reason}); remove it from the policy");
            if (result.ContainsKey(g.Id)) throw new PolicyException($"policy lists group '{d.Name}' twice; keep one decision");
            if (d.Of is int of && of != g.Channels) throw new PolicyException($"policy says group '{d.Name}' has {of} channels, the network has {g.Channels}; was it made for another model?");
            int channels;
            if (d.Channels is int c)
            {
                if (c < 1 || c > g.Channels) throw new PolicyException($"group '{d.Name}': channels must be 1..{g.Channels}, got {c}");
                if (c % g.Block != 0)
                    throw new PolicyException($"group '{d.Name}': channels must be a multiple of {g.Block}, got {c}: a grouped conv reads it in blocks of {g.Block}, and only whole blocks can go");
                channels = c;
            }
            else if (d.Keep is double k)
            {
                if (!(k > 0 && k <= 1)) throw new PolicyException($"group '{d.Name}': keep must be in (0, 1], got {k}");
                channels = ChannelRounding.Channels(g, k, round);
            }
            else throw new PolicyException($"group '{d.Name}' has neither 'keep' nor 'channels'");
            result[g.Id] = channels;
            if (d.Precision == Int8) int8.Add(g.Id);
            else if (d.Precision is not (null or "float"))
                throw new PolicyException($"group '{d.Name}': precision must be \"int8\" or \"float\", got \"{d.Precision}\"");
        }
        return Policy.Full(graph).WithWidths(result.Select(kv => (kv.Key, kv.Value))).WithInt8(int8);
    }

    /// <summary>
    /// The ids of the groups this policy puts in int8, by name only: the network may be the pruned
    /// one, whose widths are no longer the policy's "of".
    /// </summary>
    public IReadOnlyList<int> Int8Groups(ChannelGraph graph) => Groups.Where(d => d.Precision == Int8).Select(d =>
        (graph.Groups.FirstOrDefault(x => x.Name == d.Name)
            ?? throw new PolicyException($"policy puts group '{d.Name}' in int8, which this network does not have; was it made for another model?")).Id).ToList();

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson());

    public static PruningPolicy Load(string path)
    {
        if (!File.Exists(path)) throw new PolicyException($"policy file {path} not found");
        PruningPolicy policy;
        try
        {
            policy = JsonSerializer.Deserialize<PruningPolicy>(File.ReadAllText(path), Json)
                     ?? throw new PolicyException($"{path}: empty policy");
        }
        catch (JsonException e)
        {
            throw new PolicyException($"{path}: not a valid policy ({e.Message}); expected {{\"groups\": [{{\"name\": ..., \"keep\": 0.5}}]}}");
        }
        // Nullable annotations do not reach inside the list.
        int missing = policy.Groups.ToList().FindIndex(g => g is null);
        if (missing >= 0) throw new PolicyException($"{path}: groups[{missing}] is null; each group is {{\"name\": ..., \"keep\": 0.5}} or {{\"name\": ..., \"channels\": 16}}");
        if (policy.Round is < 1) throw new PolicyException($"{path}: round must be at least 1 (1 = no rounding), got {policy.Round}");
        return policy;
    }
}

/// <summary>A policy does not fit the network; the message says what to change.</summary>
public sealed class PolicyException(string message) : Exception(message);
