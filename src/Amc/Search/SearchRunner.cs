using System.Diagnostics;
using System.Text.Json;
using static TorchSharp.torch;
using Amc.Files;
using Amc.Torch;

namespace Amc.Search;

/// <summary>
/// The AMC search loop: episodes of the environment driven by DDPG (or random actions), each
/// policy scored by the candidate scorer, the episode reward given to all its transitions, L
/// DDPG updates per episode after warm-up, the best episode kept. Crash-safe: state is saved
/// after every episode and the episode log is trimmed to match it on resume.
/// </summary>
public sealed class SearchRunner
{
    readonly PruningEnvironment env;
    readonly CandidateScorer scorer;
    readonly SearchOptions options;
    readonly string statePath, logPath, fingerprint;
    readonly long originalMacs, originalParams;

    public string LogPath => logPath;

    public SearchRunner(PruningEnvironment env, CandidateScorer scorer, SearchOptions options, string outDir, string fingerprint)
    {
        this.env = env;
        this.scorer = scorer;
        this.options = options;
        this.fingerprint = fingerprint;
        Directory.CreateDirectory(outDir);
        statePath = Path.Combine(outDir, "search-state.safetensors");
        logPath = Path.Combine(outDir, "episodes.jsonl");
        (originalMacs, originalParams) = env.Cost(env.FullWidths());
    }

    public static readonly JsonSerializerOptions LogJson = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public BestPolicy Run(bool resume, Action<SearchProgress>? progress = null)
    {
        var random = new SearchRandom(options.Seed);
        using var agent = new DdpgAgent(StateEmbedding.Size, options.Ddpg.ReplayEpisodes * env.StepCount, options.Ddpg, options.Seed);
        int first = 0;
        BestPolicy? best = null;
        if (resume && File.Exists(statePath))
        {
            var (state, tensors) = SearchState.Load(statePath);
            if (state.Fingerprint != fingerprint)
                throw new CheckpointException($"{statePath} belongs to a search with other settings, another base network or " +
                    "(under a latency budget) another latency table; use a new --out or the original settings and table");
            var optimizers = CheckFits(state, tensors, agent);
            first = state.NextEpisode;
            random = SearchRandom.FromState(state.Random);
            best = state.Best;
            agent.Baseline = state.Baseline;
            agent.Replay.Restore(state.Replay);
            agent.LoadTensors(tensors);
            if (optimizers is var (actorState, criticState)) agent.LoadOptimizerStates(actorState, criticState);
            TrimLog(first);
        }
        else
        {
            if (File.Exists(logPath)) File.Delete(logPath);
        }

        var clock = Stopwatch.StartNew();
        for (int episode = first; episode < options.Episodes; episode++)
        {
            var record = RunEpisode(episode, agent, random);
            // A network with NaN or Inf outputs is never the result, however its accuracy reads.
            if (record.NonFiniteImages == 0 && (best is null || record.Reward > best.Reward))
                best = new BestPolicy(episode, record.Reward, env.WidthsOf(record.Channels), record.Top1, record.Top5, record.Macs, record.Params);
            File.AppendAllText(logPath, JsonSerializer.Serialize(record, LogJson) + "\n");
            var (actorOpt, criticOpt) = agent.OptimizerStates();
            new SearchState
            {
                NextEpisode = episode + 1, Random = random.State, Baseline = agent.Baseline, Best = best,
                Replay = agent.Replay.InOrder().ToList(), ActorOptimizer = Convert.ToBase64String(actorOpt),
                CriticOptimizer = Convert.ToBase64String(criticOpt), Fingerprint = fingerprint,
            }.Save(statePath, agent.Tensors());
            progress?.Invoke(new SearchProgress(episode, options.Episodes, record.Phase, record.Reward, record.Top1, record.MacsFraction, record.BudgetFraction, best,
                clock.Elapsed.TotalSeconds / (episode - first + 1)));
        }
        if (best is null && options.Episodes > 0)
            throw new CheckpointException($"every one of the {options.Episodes} policies the search scored gave NaN or Inf outputs on the held-out images, " +
                "so there is no policy to choose; check the checkpoint with 'amc eval' (its weights may be broken) or search wider keep ratios (--lbound)");
        return best ?? throw new InvalidOperationException("no episode was run");
    }


    EpisodeRecord RunEpisode(int episode, DdpgAgent agent, SearchRandom random)
    {
        var clock = Stopwatch.StartNew();
        bool warmup = options.Agent == AgentKind.Random || episode < options.Ddpg.WarmupEpisodes;
        double sigma = warmup ? 0 : options.Ddpg.Sigma(episode, options.Episodes);
        var state = env.Reset();
        var steps = new List<(float[] State, double Raw, StepResult Result)>();
        double agentSeconds = 0;
        for (int t = 0; t < env.StepCount; t++)
        {
            var agentClock = Stopwatch.StartNew();
            double action = warmup
                ? random.Uniform(options.LowerBound, options.UpperBound)
                : random.TruncatedNormal(agent.Act(state), sigma, options.LowerBound, options.UpperBound);
            agentSeconds += agentClock.Elapsed.TotalSeconds;
            var result = env.Step(action);
            steps.Add((state, action, result));
            state = result.Next;
        }
        var widths = env.Widths;
        var score = scorer.Score(widths);
        double reward = Reward.Of(score, options, originalMacs, originalParams);

        var updateClock = Stopwatch.StartNew();
        var updates = new List<UpdateStats>();
        if (options.Agent == AgentKind.Ddpg)
        {
            foreach (var (s, raw, r) in steps)
                agent.Replay.Add(new Transition(s, (float)raw, (float)reward, r.Next, r.Done));
            if (episode >= options.Ddpg.WarmupEpisodes)
                for (int i = 0; i < env.StepCount; i++) updates.Add(agent.Update(random));
        }
        agentSeconds += updateClock.Elapsed.TotalSeconds;

        return new EpisodeRecord(
            episode,
            options.Agent == AgentKind.Random ? "random" : warmup ? "warmup" : "explore",
            steps.Select(s => Math.Round(s.Raw, 5)).ToArray(),
            steps.Select(s => Math.Round(s.Result.RealizedKeep, 5)).ToArray(),
            steps.Select(s => s.Result.Channels).ToArray(),
            score.Macs, score.Params,
            (double)score.Macs / originalMacs, (double)score.Params / originalParams,
            score.HeldOut.Top1, score.HeldOut.Top5, reward, sigma,
            clock.Elapsed.TotalSeconds, score.Times, agentSeconds,
            env.Wall is { } wall ? Math.Round((double)wall.Measure(widths) / wall.Original, 5) : null,
            score.HeldOut.NonFinite,
            Mean(updates, u => u.CriticLoss), Mean(updates, u => u.ActorLoss), Mean(updates, u => u.MeanQ),
            Mean(updates, u => u.MeanTarget), updates.Count > 0 ? agent.Baseline : null);
    }

    static double? Mean(List<UpdateStats> updates, Func<UpdateStats, double> f) => updates.Count > 0 ? updates.Average(f) : null;

    /// <summary>
    /// What a state with the right fingerprint may still get wrong (a damaged or edited file):
    /// checked against this search before anything is loaded, so nothing fails later inside
    /// libtorch or the report. Returns the optimizer states' bytes, if saved.
    /// </summary>
    (byte[] Actor, byte[] Critic)? CheckFits(SearchState state, IReadOnlyDictionary<string, Tensor> tensors, DdpgAgent agent)
    {
        if (state.NextEpisode > options.Episodes)
            throw SearchState.Damaged(statePath, $"it is at episode {state.NextEpisode} of a search of {options.Episodes}");
        if (state.NextEpisode > 0 && state.Best is null)
            throw SearchState.Damaged(statePath, $"{state.NextEpisode} episodes are done but no best policy is saved");
        var full = env.FullWidths();
        if (state.Best is { } b && (b.Widths.Length != full.Length || b.Widths.Where((w, g) => w < 1 || w > full[g]).Any()))
            throw SearchState.Damaged(statePath, $"the best policy's widths [{string.Join(", ", b.Widths)}] do not fit this network's {full.Length} groups [{string.Join(", ", full)}]");
        int odd = state.Replay.FindIndex(t => t.State.Length != StateEmbedding.Size || t.Next.Length != StateEmbedding.Size);
        if (odd >= 0) throw SearchState.Damaged(statePath, $"replay transition {odd} has states of {state.Replay[odd].State.Length} and {state.Replay[odd].Next.Length} features, {StateEmbedding.Size} expected");
        foreach (var (key, p) in agent.Tensors())
        {
            if (!tensors.TryGetValue(key, out var t)) throw SearchState.Damaged(statePath, $"the agent's tensor '{key}' is missing");
            if (!t.shape.SequenceEqual(p.shape))
                throw SearchState.Damaged(statePath, $"the agent's tensor '{key}' has shape [{string.Join(", ", t.shape)}], [{string.Join(", ", p.shape)}] expected");
        }
        var extra = tensors.Keys.Except(agent.Tensors().Keys).FirstOrDefault();
        if (extra is not null) throw SearchState.Damaged(statePath, $"tensor '{extra}' is not one of the agent's");
        if (state.ActorOptimizer is null || state.CriticOptimizer is null) return null;
        var actor = SearchState.Bytes(statePath, state.ActorOptimizer, "actor's");
        var critic = SearchState.Bytes(statePath, state.CriticOptimizer, "critic's");
        if (agent.OptimizerStatesProblem(actor, critic) is { } problem) throw SearchState.Damaged(statePath, problem);
        return (actor, critic);
    }

    static readonly JsonSerializerOptions LogReadJson = StrictJson.ForReading(LogJson);

    /// <summary>
    /// Keeps the log lines of episodes before <paramref name="episodes"/> (a crash may have left one
    /// more, or half a last line, which is dropped). Any other line that is not an episode of this
    /// search is damage: the report and the confirmation of the top policies read every line.
    /// </summary>
    void TrimLog(int episodes)
    {
        if (!File.Exists(logPath)) return;
        var kept = new List<string>();
        var lines = File.ReadAllLines(logPath);
        for (int i = 0; i < lines.Length; i++)
        {
            string? problem;
            EpisodeRecord? r = null;
            try
            {
                r = JsonSerializer.Deserialize<EpisodeRecord>(lines[i], LogReadJson);
                problem = r is null ? "is null" : Problem(r);
            }
            catch (JsonException e)
            {
                problem = $"is not an episode record ({e.Message})";
            }
            if (problem is null)
            {
                if (r!.Episode < episodes) kept.Add(lines[i]);
            }
            else if (i < lines.Length - 1)
                throw new CheckpointException($"{logPath}: line {i + 1} {problem}; the log is damaged: start over in a new --out (or delete it)");
        }
        AtomicFile.WriteAllText(logPath, string.Concat(kept.Select(l => l + "\n")));
    }

    /// <summary>What makes a parsed record unusable for this search: counts or channels that do not fit its groups.</summary>
    string? Problem(EpisodeRecord r)
    {
        int n = env.StepCount;
        if (r.Episode < 0) return $"has episode number {r.Episode}";
        if (r.RawActions.Length != n || r.Keep.Length != n || r.Channels.Length != n)
            return $"has {r.RawActions.Length} actions, {r.Keep.Length} keep ratios and {r.Channels.Length} channel counts; this search has {n} steps";
        for (int i = 0; i < n; i++)
            if (r.Channels[i] < 1 || r.Channels[i] > env.Steps[i].Channels)
                return $"gives group '{env.Steps[i].Name}' {r.Channels[i]} channels, it has {env.Steps[i].Channels}";
        return null;
    }

    public static IReadOnlyList<EpisodeRecord> ReadLog(string path) =>
        File.ReadAllLines(path).Select(l => JsonSerializer.Deserialize<EpisodeRecord>(l, LogJson)!).ToList();
}
