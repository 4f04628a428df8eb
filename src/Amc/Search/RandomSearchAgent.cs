namespace Amc.Search;

/// <summary>Random search: every keep ratio uniform in [lbound, <paramref name="high"/>] (rbound, or less under
/// <see cref="SearchOptions.BalancedRandom"/>); learns nothing.</summary>
internal sealed class RandomSearchAgent(SearchOptions options, double high) : ISearchAgent
{
    public Rollout Propose(int episode, ISearchEnvironment env, SearchRandom random) =>
        Rollout.Collect(episode, "random", 0, env, _ => random.Uniform(options.LowerBound, high));

    public IReadOnlyList<Learning> Learn(IReadOnlyList<(Rollout Rollout, double Reward)> scored, SearchRandom random) =>
        scored.Select(_ => new Learning([], null, 0)).ToList();
}
