using Amc.Data;
using Amc.Search;
using Amc.Training;

namespace Amc.Sessions;

/// <summary>
/// The steps of finishing a search that the channel search (<see cref="SearchSession"/>) and the
/// sparsity search (<see cref="SparsitySearchSession"/>) take alike: re-scoring the top policies on
/// held-out images the search never scored on, naming the search's row of the comparison, and the
/// summary's lines on the agent and the chosen episode. Scoring and the files differ and stay with each session.
/// </summary>
static class SearchFinish
{
    /// <summary>
    /// Re-scores the log's best <see cref="SearchSettings.ConfirmTop"/> policies on the images of the
    /// default held-out split that the search did not score on: null when that is off or no such image is left.
    /// </summary>
    /// <param name="episodes">The episodes that may be chosen: the search's log, or under a latency budget those of it that met the budget when timed.</param>
    /// <param name="scorerOn">A scorer like the search's, on the given images (disposed afterwards when it is disposable).</param>
    public static (BestPolicy Best, IReadOnlyList<ConfirmedPolicy> Scored)? Confirm(SearchSettings settings, OpenedData data, ISearchEnvironment env,
        IReadOnlyList<EpisodeRecord> episodes, Func<TensorBatches, ICandidateScorer> scorerOn, Action<string>? note)
    {
        int k = settings.ConfirmTop;
        if (k == 0) return null;
        var fresh = data.UnscoredHeldOut();
        if (fresh.Length == 0) return null;
        note?.Invoke($"confirming the best {k} policies on {fresh.Length} held-out images the search did not score on");
        using var batches = new TensorBatches(data.Train, fresh, PruningMemory.ScoringBatch);
        var confirm = scorerOn(batches);
        try { return TopPolicyConfirmation.Choose(episodes, env, confirm, k, settings.Search); }
        finally { (confirm as IDisposable)?.Dispose(); }
    }

    /// <summary>The name of the search's own row in the comparison with the original and the baselines.</summary>
    public static string RowName(SearchOptions options, IReadOnlyList<ConfirmedPolicy>? confirmed)
    {
        string agent = options.Agent == AgentKind.Random ? "random search" : "AMC (DDPG)";
        return confirmed is null ? $"{agent}, best of {options.Episodes}" : $"{agent}, best of {options.Episodes} (top {confirmed.Count} re-scored)";
    }

    /// <summary>summary.md's "agent" setting: the agent, the episodes and, for DDPG, the exploration noise's schedule.</summary>
    public static string AgentLine(SearchOptions options) =>
        $"{options.Agent}, {options.Episodes} episodes ({options.Ddpg.WarmupEpisodes} warm-up)" + (options.Agent == AgentKind.Ddpg
            ? $", exploration sigma {options.Ddpg.InitialSigma} x {options.Ddpg.Decay(options.Episodes):0.####}^k (last episode {options.Ddpg.Sigma(options.Episodes - 1, options.Episodes):0.###})" +
            (options.Ddpg.TwinCritics ? ", twin critics (clipped double Q)" : "") +
            (options.Ddpg.ActorDelay is int delay ? $", actor and targets every {delay} steps" : "") +
            (options.Ddpg.TargetNoise is double noise ? $", target action noise sigma {noise}" : "") : "") +
        (options.WarmStart ? $"; warm start: episodes 0-{Baselines.Names.Length - 1} are the hand-crafted policies ({string.Join(", ", Baselines.Names)})" : "") +
        (options.BalancedRandom ? "; random keep ratios centred on the uniform policy's" : "");

    /// <summary>summary.md's "best episode" setting: the episode and, after a confirmation, each re-scored policy's two scores.</summary>
    public static string BestEpisodeLine(BestPolicy best, IReadOnlyList<ConfirmedPolicy>? confirmed, SearchOptions options) =>
        confirmed is null ? $"{best.Episode}"
            : $"{best.Episode}, the best of the top {confirmed.Count} policies re-scored on held-out images the search did not score on: " +
              string.Join(", ", confirmed.Select(c => $"ep {c.Episode} {Reward.Format(options, c.HeldOut)} -> {Reward.Format(options, c.Confirm)}"));
}
