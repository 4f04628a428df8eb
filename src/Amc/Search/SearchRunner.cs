using System.Diagnostics;
using System.Text.Json;
using static TorchSharp.torch;
using Amc.Files;
using Amc.Torch;

namespace Amc.Search;

/// <summary>
/// The AMC search loop, in rounds: the agent proposes K rollouts (K = RolloutsPerRound, one in
/// AMC), the scorer scores their policies (concurrently where it can), each gets its reward, and
/// the agent learns from them in episode order; the best episode is kept. Crash-safe: state is
/// saved after every round and the episode log is trimmed to match it on resume.
/// </summary>
internal sealed class SearchRunner
{
    readonly ISearchEnvironment env;
    readonly ICandidateScorer scorer;
    readonly SearchOptions options;
    readonly string statePath, logPath, fingerprint;
    readonly long originalMacs, originalParams;

    public string LogPath => logPath;

    public SearchRunner(ISearchEnvironment env, ICandidateScorer scorer, SearchOptions options, string outDir, string fingerprint)
    {
        if (options.RolloutsPerRound < 1) throw new ArgumentException($"need at least one rollout per round, got {options.RolloutsPerRound}");
        this.env = env;
        this.scorer = scorer;
        this.options = options;
        this.fingerprint = fingerprint;
        Directory.CreateDirectory(outDir);
        statePath = Path.Combine(outDir, "search-state.safetensors");
        logPath = Path.Combine(outDir, "episodes.jsonl");
        (originalMacs, originalParams) = env.Cost(env.Full);
        seeds = [];
        if (options.WarmStart)
        {
            var channels = BudgetedChannels("a warm start begins with the hand-crafted policies of a budget");
            seeds = Baselines.Names.Select(name => channels.ActionsFor(Baselines.Policy(name, channels, options))).ToList();
        }
        randomHigh = !options.BalancedRandom ? options.UpperBound
            : Math.Clamp(2 * UniformKeep(BudgetedChannels("balanced random actions centre on the uniform policy of a budget")) - options.LowerBound,
                options.LowerBound, options.UpperBound);
    }

    /// <summary>The environment as a channel search under a budget, which the baselines need; <paramref name="what"/> says who needs it.</summary>
    PruningEnvironment BudgetedChannels(string what) => env is PruningEnvironment channels && channels.Wall is not null
        ? channels : throw new ArgumentException($"{what}: it needs a channel search in resource mode");

    /// <summary>The largest random keep ratio (<see cref="SearchOptions.BalancedRandom"/>).</summary>
    readonly double randomHigh;

    /// <summary>The uniform baseline's keep ratio, after rounding: the mean over the groups.</summary>
    double UniformKeep(PruningEnvironment channels)
    {
        var uniform = Baselines.Policy("uniform", channels, options);
        return channels.Steps.Average(g => (double)uniform.Width(g.Id) / g.Channels);
    }

    /// <summary>The actions of the first episodes under <see cref="SearchOptions.WarmStart"/>; empty otherwise.</summary>
    readonly IReadOnlyList<double[]> seeds;

    public static readonly JsonSerializerOptions LogJson = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public BestPolicy Run(bool resume, Action<SearchProgress>? progress = null)
    {
        var random = new SearchRandom(options.Seed);
        // Built for the random agent too: its state file has always held the (unused) networks.
        using var ddpg = new DdpgAgent(env.StateSize, options.Ddpg.ReplayEpisodes * env.StepCount, options.Ddpg, options.Seed);
        ISearchAgent agent = options.Agent == AgentKind.Random ? new RandomSearchAgent(options, randomHigh) : new DdpgSearchAgent(ddpg, options, randomHigh);
        int first = 0;
        BestPolicy? best = null;
        if (resume && File.Exists(statePath))
        {
            var (state, tensors) = SearchState.Load(statePath);
            if (state.Fingerprint != fingerprint)
                throw new CheckpointException($"{statePath} belongs to a search with other settings, another base network or " +
                    "(under a latency budget) another latency table; use a new --out or the original settings and table");
            var optimizers = CheckFits(state, tensors, ddpg);
            first = state.NextEpisode;
            random = SearchRandom.FromState(state.Random);
            best = state.Best;
            ddpg.Baseline = state.Baseline;
            ddpg.Replay.Restore(state.Replay);
            ddpg.LoadTensors(tensors);
            if (optimizers is var (actorState, criticState)) ddpg.LoadOptimizerStates(actorState, criticState);
            TrimLog(first);
        }
        else
        {
            if (File.Exists(logPath)) File.Delete(logPath);
        }

        var clock = Stopwatch.StartNew();
        if (options.Asynchronous) best = RunAsynchronously(first, best, agent, random, ddpg, clock, progress);
        else
            for (int start = first; start < options.Episodes; start += options.RolloutsPerRound)
            {
                var records = RunRound(start, Math.Min(options.RolloutsPerRound, options.Episodes - start), agent, random);
                var bestAfter = new List<BestPolicy?>(records.Count);
                foreach (var record in records)
                {
                    best = Better(best, record);
                    bestAfter.Add(best);
                }
                Save(records, best, random, ddpg);
                for (int i = 0; i < records.Count; i++)
                    progress?.Invoke(Progress(records[i], bestAfter[i], clock.Elapsed.TotalSeconds / (records[^1].Episode - first + 1)));
            }
        if (best is null && options.Episodes > 0)
            throw new CheckpointException($"every one of the {options.Episodes} policies the search scored gave NaN or Inf outputs on the held-out images, " +
                "so there is no policy to choose; check the checkpoint with 'amc eval' (its weights may be broken) or search wider keep ratios (--lbound)");
        return best ?? throw new InvalidOperationException("no episode was run");
    }

    /// <summary>The episode's rollout: a hand-crafted policy's actions for the first ones under <see cref="SearchOptions.WarmStart"/>, else the agent's.</summary>
    Rollout Propose(int episode, ISearchAgent agent, SearchRandom random)
    {
        if (episode >= seeds.Count) return agent.Propose(episode, env, random);
        var actions = seeds[episode];
        int step = 0;
        return Rollout.Collect(episode, "seed", 0, env, _ => actions[step++]);
    }

    /// <summary>Episodes first .. first + count - 1: proposed in order, scored together, learned from in order.</summary>
    List<EpisodeRecord> RunRound(int first, int count, ISearchAgent agent, SearchRandom random)
    {
        var rollouts = Enumerable.Range(first, count).Select(e => Propose(e, agent, random)).ToList();
        var scoreClock = Stopwatch.StartNew();
        var scores = scorer.ScoreAll(rollouts.Select(r => r.Policy).ToList());
        double scoreSeconds = scoreClock.Elapsed.TotalSeconds;
        var rewards = scores.Select(s => Reward.Of(s, options, originalMacs, originalParams)).ToList();
        var learnings = agent.Learn(rollouts.Zip(rewards).ToList(), random);
        return rollouts.Select((r, i) => Record(r, scores[i], rewards[i], learnings[i], count == 1 ? scoreSeconds : scores[i].Times.Total)).ToList();
    }

    /// <summary>
    /// The asynchronous search: K policies in flight, each scored on its own thread (the scorer
    /// sends it to a worker); as a score arrives the agent learns from it and the next policy is
    /// proposed. Episodes are numbered in the order they are learned from, so the log, the state
    /// and a resume work as in rounds of one; a policy keeps the phase and noise it was proposed with.
    /// Policies still in flight when the search is killed are proposed anew on resume.
    /// </summary>
    BestPolicy? RunAsynchronously(int first, BestPolicy? best, ISearchAgent agent, SearchRandom random, DdpgAgent ddpg, Stopwatch clock, Action<SearchProgress>? progress)
    {
        var inFlight = new List<(Rollout Rollout, Task<CandidateScore> Score, Stopwatch Clock)>();
        int proposed = first;
        for (int episode = first; episode < options.Episodes; episode++)
        {
            while (inFlight.Count < options.RolloutsPerRound && proposed < options.Episodes)
            {
                var rollout = Propose(proposed++, agent, random);
                // A thread of its own, not the pool's: the scorer's call blocks until a worker answers.
                inFlight.Add((rollout, Task.Factory.StartNew(() => scorer.Score(rollout.Policy), TaskCreationOptions.LongRunning), Stopwatch.StartNew()));
            }
            int done = Task.WaitAny(inFlight.Select(f => (Task)f.Score).ToArray());
            var (proposal, task, scoreClock) = inFlight[done];
            inFlight.RemoveAt(done);
            var score = task.GetAwaiter().GetResult();
            double reward = Reward.Of(score, options, originalMacs, originalParams);
            // Learned from as proposed (warm-up or not), logged under the order it is learned in.
            var learning = agent.Learn([(proposal, reward)], random)[0];
            var record = Record(proposal with { Episode = episode }, score, reward, learning, scoreClock.Elapsed.TotalSeconds);
            best = Better(best, record);
            Save([record], best, random, ddpg);
            progress?.Invoke(Progress(record, best, clock.Elapsed.TotalSeconds / (episode - first + 1)));
        }
        return best;
    }

    /// <summary>The best policy after <paramref name="record"/>: a network with NaN or Inf outputs is never the result, however its accuracy reads.</summary>
    BestPolicy? Better(BestPolicy? best, EpisodeRecord record) =>
        record.NonFiniteImages == 0 && (best is null || record.Reward > best.Reward)
            ? BestPolicy.Of(record, env.FromSteps(record.Channels))
            : best;

    /// <summary>Appends the records to the log, then saves the state after them (a resume starts at the next episode).</summary>
    void Save(IReadOnlyList<EpisodeRecord> records, BestPolicy? best, SearchRandom random, DdpgAgent ddpg)
    {
        File.AppendAllText(logPath, string.Concat(records.Select(r => JsonSerializer.Serialize(r, LogJson) + "\n")));
        var (actorOpt, criticOpt) = ddpg.OptimizerStates();
        new SearchState
        {
            NextEpisode = records[^1].Episode + 1, Random = random.State, Baseline = ddpg.Baseline, Best = best,
            Replay = ddpg.Replay.InOrder().ToList(), ActorOptimizer = Convert.ToBase64String(actorOpt),
            CriticOptimizer = Convert.ToBase64String(criticOpt), Fingerprint = fingerprint,
        }.Save(statePath, ddpg.Tensors());
    }

    SearchProgress Progress(EpisodeRecord r, BestPolicy? best, double secondsPerEpisode) =>
        new(r.Episode, options.Episodes, r.Phase, r.Reward, Reward.Score(options, r), r.MacsFraction, r.BudgetFraction, best, secondsPerEpisode);

    EpisodeRecord Record(Rollout rollout, CandidateScore score, double reward, Learning learning, double scoreSeconds)
    {
        var steps = rollout.Steps;
        var updates = learning.Updates;
        return new EpisodeRecord(
            rollout.Episode,
            rollout.Phase,
            steps.Select(s => Math.Round(s.Result.RawAction, 5)).ToArray(),
            steps.Select(s => Math.Round(s.Result.RealizedKeep, 5)).ToArray(),
            steps.Select(s => s.Result.Channels).ToArray(),
            score.Macs, score.Params,
            (double)score.Macs / originalMacs, (double)score.Params / originalParams,
            score.HeldOut.Top1, score.HeldOut.Top5, reward, rollout.Sigma,
            rollout.AgentSeconds + scoreSeconds + learning.Seconds, score.Times, rollout.AgentSeconds + learning.Seconds,
            env.Wall is { } wall ? Math.Round((double)wall.Measure(rollout.Policy) / wall.Original, 5) : null,
            score.HeldOut.NonFinite,
            Mean(updates, u => u.CriticLoss), Mean(updates, u => u.ActorLoss), Mean(updates, u => u.MeanQ),
            Mean(updates, u => u.MeanTarget), learning.Baseline,
            options.Reward == RewardKind.Accuracy ? null : score.HeldOut.Agreement,
            options.Reward == RewardKind.Accuracy ? null : score.HeldOut.RelativeError);
    }

    static double? Mean(IReadOnlyList<UpdateStats> updates, Func<UpdateStats, double> f) => updates.Count > 0 ? updates.Average(f) : null;

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
        var full = env.Full;
        if (state.Best is { } b && (b.Widths.Count != full.Count || Enumerable.Range(0, full.Count).Any(g => b.Widths.Width(g) < 1 || b.Widths.Width(g) > full.Width(g))))
            throw SearchState.Damaged(statePath, $"the best policy's widths {b.Widths} do not fit this network's {full.Count} groups {full}");
        int odd = state.Replay.FindIndex(t => t.State.Length != env.StateSize || t.Next.Length != env.StateSize);
        if (odd >= 0) throw SearchState.Damaged(statePath, $"replay transition {odd} has states of {state.Replay[odd].State.Length} and {state.Replay[odd].Next.Length} features, {env.StateSize} expected");
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
            if (r.Channels[i] < 1 || r.Channels[i] > env.StepSize(i))
                return $"gives '{env.StepName(i)}' {r.Channels[i]}, it has {env.StepSize(i)}";
        return null;
    }

    public static IReadOnlyList<EpisodeRecord> ReadLog(string path) =>
        File.ReadAllLines(path).Select(l => JsonSerializer.Deserialize<EpisodeRecord>(l, LogJson)!).ToList();
}
