namespace Amc.Search;

/// <summary>
/// What proposes policies and learns from their rewards. A round proposes its rollouts one after
/// another from the same agent (each drawing its own noise from the search's one random stream,
/// in episode order), then the agent learns from them in episode order.
/// </summary>
internal interface ISearchAgent
{
    Rollout Propose(int episode, ISearchEnvironment env, SearchRandom random);

    /// <summary>Learns from scored rollouts in their order; one <see cref="Learning"/> per rollout.</summary>
    IReadOnlyList<Learning> Learn(IReadOnlyList<(Rollout Rollout, double Reward)> scored, SearchRandom random);
}
