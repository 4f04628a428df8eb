namespace Amc.Search;

/// <summary>Random search: every keep ratio uniform in [lbound, rbound]; learns nothing.</summary>
internal sealed class RandomSearchAgent(SearchOptions options) : ISearchAgent
{
    public Rollout Propose(int episode, ISearchEnvironment env, SearchRandom random) =>
        Rollout.Collect(episode, "random", 0, env, _ => random.Uniform(options.LowerBound, options.UpperBound));

    public IReadOnlyList<Learning> Learn(IReadOnlyList<(Rollout Rollout, double Reward)> scored, SearchRandom random) =>
        scored.Select(_ => new Learning([], null, 0)).ToList();
}
