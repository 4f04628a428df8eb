using System.Diagnostics;
using System.Text.Json;
using Amc.Runtime;
using static TorchSharp.torch;

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
            first = state.NextEpisode;
            random = SearchRandom.FromState(state.Random);
            best = state.Best;
            agent.Baseline = state.Baseline;
            agent.Replay.Restore(state.Replay);
            agent.LoadTensors(tensors);
            if (state.ActorOptimizer is not null && state.CriticOptimizer is not null)
                agent.LoadOptimizerStates(Convert.FromBase64String(state.ActorOptimizer), Convert.FromBase64String(state.CriticOptimizer));
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
            if (best is null || record.Reward > best.Reward)
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
        double reward = Reward.Of(score, options);

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
            Mean(updates, u => u.CriticLoss), Mean(updates, u => u.ActorLoss), Mean(updates, u => u.MeanQ),
            Mean(updates, u => u.MeanTarget), updates.Count > 0 ? agent.Baseline : null);
    }

    static double? Mean(List<UpdateStats> updates, Func<UpdateStats, double> f) => updates.Count > 0 ? updates.Average(f) : null;

    /// <summary>Keeps the log lines of episodes before <paramref name="episodes"/> (a crash may have left one more, or half a line).</summary>
    void TrimLog(int episodes)
    {
        if (!File.Exists(logPath)) return;
        var kept = new List<string>();
        foreach (var line in File.ReadAllLines(logPath))
        {
            try
            {
                var r = JsonSerializer.Deserialize<EpisodeRecord>(line, LogJson);
                if (r is not null && r.Episode < episodes) kept.Add(line);
            }
            catch (JsonException)
            {
                // a half-written last line from a crash
            }
        }
        AtomicFile.WriteAllText(logPath, string.Concat(kept.Select(l => l + "\n")));
    }

    public static IReadOnlyList<EpisodeRecord> ReadLog(string path) =>
        File.ReadAllLines(path).Select(l => JsonSerializer.Deserialize<EpisodeRecord>(l, LogJson)!).ToList();
}
