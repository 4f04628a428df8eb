namespace Amc.Search;

/// <summary>
/// One step of an episode as DDPG learns from it. Action is the agent's raw output (before the
/// budget wall and rounding), as in the official code; Reward is the episode's final reward,
/// given to every step of the episode.
/// </summary>
internal sealed record Transition(float[] State, float Action, float Reward, float[] Next, bool Done);
