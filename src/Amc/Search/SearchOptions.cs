using System.Text.Json.Serialization;

namespace Amc.Search;

/// <summary>
/// What the budget constrains (resource-constrained mode) or the reward trades against (accuracy
/// mode). Latency is predicted by a measured lookup table (Amc.Latency.LatencyTable) and is only a
/// budget: the environment needs the table's prediction passed in.
/// </summary>
public enum Resource { Macs, Params, Latency }

/// <summary>
/// Resource-constrained: the action space is walled so the final network meets the budget and the
/// reward is -error. Accuracy-guaranteed: no wall; reward -error * ln(resource). Sparsity: AMC's
/// fine-grained pruning, one kept fraction of weights per Conv2d / Linear layer
/// (<see cref="SparsityEnvironment"/>) under a wall on the non-zero parameters, reward
/// -error * ln(non-zero params).
/// </summary>
public enum SearchMode { Resource, Accuracy, Sparsity }

public enum AgentKind { Ddpg, Random }

/// <summary>
/// What a candidate's score measures. Accuracy: the data's labels (AMC). Agreement: top-1
/// agreement with the unpruned network, for data without labels. Fidelity: the relative error of
/// the outputs against the unpruned network's, for feature extractors (<see cref="Reward"/>).
/// </summary>
public enum RewardKind { Accuracy, Agreement, Fidelity }

/// <summary>
/// A search's settings. Defaults are AMC's (amc-spec.md §5, §10): lbound 0.2, 400 episodes of which
/// 100 warm-up, DDPG hyper-parameters in <see cref="DdpgOptions"/>.
/// </summary>
public sealed record SearchOptions
{
    public SearchMode Mode { get; init; } = SearchMode.Resource;
    public Resource Resource { get; init; } = Resource.Macs;
    /// <summary>Budget as a fraction of the original network's resource.</summary>
    public double Target { get; init; } = 0.5;
    public double LowerBound { get; init; } = 0.2;
    public double UpperBound { get; init; } = 1.0;
    public int Episodes { get; init; } = 400;
    public AgentKind Agent { get; init; } = AgentKind.Ddpg;
    /// <summary>Reward on top-1 (default, the paper's -Error) or top-5 (the official code's default).</summary>
    public bool TopFive { get; init; }
    /// <summary>What the reward measures. Left out of the JSON when Accuracy (the default), so a search
    /// saved before it existed has the fingerprint it had and still resumes; any other kind changes it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    [JsonConverter(typeof(JsonStringEnumConverter<RewardKind>))]
    public RewardKind Reward { get; init; }
    public int Seed { get; init; }
    /// <summary>
    /// Each channel group is decided in two steps: its width, then its precision (int8 or float)
    /// for the layers that make its channels (<see cref="PruningEnvironment"/>). Needs a latency
    /// budget; candidates are scored as the mixed int8 / float network ONNX Runtime runs. Left out of
    /// the JSON when false, so earlier searches keep their fingerprint.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool MixedPrecision { get; init; }
    /// <summary>
    /// The first warm-up episodes take the hand-crafted policies (<see cref="Baselines"/>: uniform,
    /// deep, shallow, all int8 in a mixed-precision search) instead of random actions, so the agent
    /// learns from them and the search's best is never below them on its own scores. Needs a budget.
    /// Left out of the JSON when false, so earlier searches keep their fingerprint.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool WarmStart { get; init; }
    /// <summary>
    /// Random actions (DDPG's warm-up, random search) drawn from [lbound, min(rbound, 2u - lbound)],
    /// u the uniform baseline's keep ratio, instead of [lbound, rbound]: their mean then meets the
    /// budget, where U(0.2, 1) spends it in the first groups and the wall forces the rest to their
    /// minimum (on a 37-group ResNet-50, in nearly every warm-up episode). Needs a budget. Left out
    /// of the JSON when false, so earlier searches keep their fingerprint.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool BalancedRandom { get; init; }
    public DdpgOptions Ddpg { get; init; } = new();
    /// <summary>
    /// K: rollouts proposed from the same agent, scored together (concurrently where the scorer
    /// can) and learned from in episode order, per round. 1 is AMC's search, episode by episode.
    /// </summary>
    [JsonIgnore]
    public int RolloutsPerRound { get; init; } = 1;
    /// <summary>K in the JSON (the resume fingerprint, search-config.json) only when it is not 1, so
    /// a search saved before K existed has the fingerprint it had and still resumes.</summary>
    [JsonInclude, JsonPropertyName(nameof(RolloutsPerRound)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    int? RolloutsPerRoundUnlessOne { get => RolloutsPerRound == 1 ? null : RolloutsPerRound; init => RolloutsPerRound = value ?? 1; }
    /// <summary>
    /// No rounds: K policies are always being scored, each new one proposed from the agent as it is
    /// when a score arrives, and the agent learns from every score as it arrives. For workers of
    /// uneven speed; the search then depends on the timing and is not reproducible. The scorer's
    /// <see cref="ICandidateScorer.Score"/> must allow K calls at once.
    /// </summary>
    [JsonIgnore]
    public bool Asynchronous { get; init; }
    /// <summary>In the JSON only when set (see <see cref="RolloutsPerRoundUnlessOne"/>).</summary>
    [JsonInclude, JsonPropertyName(nameof(Asynchronous)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    bool? AsynchronousIfSet { get => Asynchronous ? true : null; init => Asynchronous = value ?? false; }
}

/// <summary>DDPG hyper-parameters as in the official AMC code (amc-spec.md §5), except the actor's
/// learning rate and the noise decay (see <see cref="ActorLearningRate"/>, <see cref="SigmaDecay"/>).</summary>
public sealed record DdpgOptions
{
    public int Hidden { get; init; } = 300;
    /// <summary>
    /// 1e-5, a tenth of the official code's 1e-4 (the paper gives none). With 1e-4 the actor chased
    /// the critic's over-estimates: on one of three seeds its action for the first group, whose
    /// state never changes, moved by a median 0.235 from one episode to the next with no noise,
    /// and the search fell back to warm-up accuracy (docs/BENCHMARKS.md, "Result quality").
    /// </summary>
    public double ActorLearningRate { get; init; } = 1e-5;
    public double CriticLearningRate { get; init; } = 1e-3;
    public double Tau { get; init; } = 0.01;
    public double Discount { get; init; } = 1.0;
    public int BatchSize { get; init; } = 64;
    /// <summary>Replay holds this many episodes' transitions (times the steps per episode).</summary>
    public int ReplayEpisodes { get; init; } = 100;
    public int WarmupEpisodes { get; init; } = 100;
    public double InitialSigma { get; init; } = 0.5;
    /// <summary>
    /// Per-episode decay of the exploration noise after warm-up. Null (the default) derives it from
    /// the search's length so sigma falls exponentially from <see cref="InitialSigma"/> at the first
    /// learning episode to <see cref="FinalSigma"/> at the last: the paper's "decays exponentially",
    /// at a rate it does not give. The official code's 0.95 leaves sigma below 0.01 after 77
    /// learning episodes, after which a search repeats one policy and learns nothing more.
    /// </summary>
    public double? SigmaDecay { get; init; }
    /// <summary>Sigma at the last episode when <see cref="SigmaDecay"/> is null (derived); null means 0.05.
    /// Left out of the JSON when null, so a search with the old settings (--sigma-decay 0.95
    /// --actor-lr 1e-4) has the settings fingerprint it had before these options and still resumes.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public double? FinalSigma { get; init; }
    /// <summary>Exploration noise of an episode: 0 in warm-up, then InitialSigma * decay^(episode - warm-up).</summary>
    public double Sigma(int episode, int episodes)
    {
        if (episode < WarmupEpisodes) return 0;
        return InitialSigma * Math.Pow(Decay(episodes), episode - WarmupEpisodes);
    }

    /// <summary>The decay in force: <see cref="SigmaDecay"/>, or the one that reaches FinalSigma at the last episode.</summary>
    public double Decay(int episodes)
    {
        if (SigmaDecay is double d) return d;
        int steps = episodes - WarmupEpisodes - 1;
        return steps > 0 ? Math.Pow((FinalSigma ?? 0.05) / InitialSigma, 1.0 / steps) : 1;
    }

    /// <summary>
    /// Clipped double Q-learning (Fujimoto et al. 2018, TD3): a second critic, both fitted to a target
    /// built from the smaller of the two target critics' values, the actor following the first. Off
    /// by default (the official code has one critic). With discount 1 over every step of an episode
    /// the single critic's bootstrapped values drift upwards: on a MobileNetV2 224x224 search its
    /// mean Q of the replayed steps rose from 0.16 to 0.40 while the accuracy of the episodes it
    /// replayed fell from 76 to 72 %, where Monte Carlo returns put it near 0 (docs/BENCHMARKS.md,
    /// "Where the curve fell back"). Left out of the JSON when off, so earlier searches keep their fingerprint.
    /// </summary>
    [JsonIgnore]
    public bool TwinCritics { get; init; }
    [JsonInclude, JsonPropertyName(nameof(TwinCritics)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    bool? TwinCriticsIfSet { get => TwinCritics ? true : null; init => TwinCritics = value ?? false; }

    /// <summary>
    /// The rest of TD3 (Fujimoto et al. 2018) beside <see cref="TwinCritics"/>: the actor and every
    /// target network move only on every ActorDelay-th gradient step (TD3: 2), so the actor follows a
    /// critic that has settled; null is 1, every step (DDPG). Left out of the JSON when null.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? ActorDelay { get; init; }

    /// <summary>
    /// TD3's target policy smoothing: the target actor's action in the critic's target gets normal
    /// noise of this sigma, clipped to 2.5 sigma, then to the actor's range [0, 1], so the target
    /// does not ride a narrow peak of the critic. TD3's 0.2 (clip 0.5) is for actions in [-1, 1];
    /// a keep ratio spans [0, 1], so the same in its units is 0.1. Null: none (DDPG). Left out of the JSON when null.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? TargetNoise { get; init; }

    /// <summary>The TD3 settings: twin critics, the actor delayed to every second step, target noise 0.1.</summary>
    public DdpgOptions WithTd3() => this with { TwinCritics = true, ActorDelay = 2, TargetNoise = 0.1 };

    /// <summary>Moving-average factor of the reward baseline (code: b += 0.5 (mean - b)).</summary>
    public double BaselineRate { get; init; } = 0.5;

    /// <summary>
    /// Which action the replay buffer keeps and the critic is fitted on. Raw (the default): the
    /// agent's output before clipping, rounding and the wall, as the official code stores it.
    /// Realised: the keep ratio the environment made of it, so the critic sees the widths that were
    /// scored (with channels rounded to multiples of 8, raw actions 0.24 and 0.26 give 8 and 16
    /// channels: a step a smooth critic of the raw action cannot represent). Not the default: the
    /// critic then never sees a realised action above the wall's cap, but the actor's (and the
    /// target actor's) raw actions go above it, where the critic extrapolates; its Q values grew
    /// tenfold within 40 learning episodes (docs/BENCHMARKS.md, "Result quality").
    /// </summary>
    [JsonIgnore]
    public ReplayedAction ReplayedAction { get; init; } = ReplayedAction.Raw;
    [JsonInclude, JsonPropertyName(nameof(ReplayedAction)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    string? ReplayedActionUnlessRaw
    {
        get => ReplayedAction == ReplayedAction.Raw ? null : ReplayedAction.ToString();
        init => ReplayedAction = value is null ? ReplayedAction.Raw : Enum.Parse<ReplayedAction>(value);
    }
}

/// <summary>What DDPG's replay buffer stores as a step's action: see <see cref="DdpgOptions.ReplayedAction"/>.</summary>
public enum ReplayedAction { Realised, Raw }
