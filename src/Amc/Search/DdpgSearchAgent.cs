using System.Diagnostics;

namespace Amc.Search;

/// <summary>
/// AMC's agent: uniform random keep ratios for the warm-up episodes, then the actor's action with
/// truncated normal noise of decaying sigma. Every step of a scored episode goes to the replay
/// buffer with the episode's reward (and its raw action, or the realised keep ratio: <see cref="DdpgOptions.ReplayedAction"/>); after warm-up each episode is followed by as many DDPG
/// updates as it has steps.
/// </summary>
/// <param name="warmupHigh">The warm-up's largest keep ratio: rbound, or less under <see cref="SearchOptions.BalancedRandom"/>.</param>
internal sealed class DdpgSearchAgent(DdpgAgent ddpg, SearchOptions options, double warmupHigh) : ISearchAgent
{
    public Rollout Propose(int episode, ISearchEnvironment env, SearchRandom random)
    {
        if (episode < options.Ddpg.WarmupEpisodes)
            return Rollout.Collect(episode, "warmup", 0, env, _ => random.Uniform(options.LowerBound, warmupHigh));
        double sigma = options.Ddpg.Sigma(episode, options.Episodes);
        return Rollout.Collect(episode, "explore", sigma, env,
            state => random.TruncatedNormal(ddpg.Act(state), sigma, options.LowerBound, options.UpperBound));
    }

    public IReadOnlyList<Learning> Learn(IReadOnlyList<(Rollout Rollout, double Reward)> scored, SearchRandom random)
    {
        var result = new List<Learning>(scored.Count);
        foreach (var (rollout, reward) in scored)
        {
            long start = Stopwatch.GetTimestamp();
            foreach (var (state, step) in rollout.Steps)
            {
                double action = options.Ddpg.ReplayedAction == ReplayedAction.Raw ? step.RawAction : step.RealizedKeep;
                ddpg.Replay.Add(new Transition(state, (float)action, (float)reward, step.Next, step.Done));
            }
            var updates = new List<UpdateStats>();
            if (rollout.Episode >= options.Ddpg.WarmupEpisodes)
                // Counted within the episode, so a resumed search delays on the same steps.
                for (int i = 0; i < rollout.Steps.Count; i++) updates.Add(ddpg.Update(random, (i + 1) % (options.Ddpg.ActorDelay ?? 1) == 0));
            result.Add(new Learning(updates, updates.Count > 0 ? ddpg.Baseline : null, Stopwatch.GetElapsedTime(start).TotalSeconds));
        }
        return result;
    }
}
