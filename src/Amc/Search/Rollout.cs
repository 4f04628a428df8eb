using System.Diagnostics;
using Amc.Graph;

namespace Amc.Search;

/// <summary>One step of a rollout: the state the agent saw and what the environment made of its action.</summary>
internal sealed record RolloutStep(float[] State, StepResult Result);

/// <summary>
/// One episode as an agent proposed it, before it is scored: every step of the environment and
/// the policy it ended at. <paramref name="AgentSeconds"/> is the time spent choosing actions.
/// </summary>
internal sealed record Rollout(int Episode, string Phase, double Sigma, IReadOnlyList<RolloutStep> Steps, Policy Policy, double AgentSeconds)
{
    /// <summary>Runs one episode of <paramref name="env"/>, each action chosen by <paramref name="act"/> from the state.</summary>
    public static Rollout Collect(int episode, string phase, double sigma, ISearchEnvironment env, Func<float[], double> act)
    {
        var state = env.Reset();
        var steps = new List<RolloutStep>(env.StepCount);
        double agentSeconds = 0;
        for (int t = 0; t < env.StepCount; t++)
        {
            long start = Stopwatch.GetTimestamp();
            double action = act(state);
            agentSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
            var result = env.Step(action);
            steps.Add(new RolloutStep(state, result));
            state = result.Next;
        }
        return new Rollout(episode, phase, sigma, steps, env.Policy, agentSeconds);
    }
}

/// <summary>What an agent did with one scored rollout: its gradient steps (none in warm-up or
/// random search), the reward baseline after them, and the seconds it took.</summary>
internal sealed record Learning(IReadOnlyList<UpdateStats> Updates, double? Baseline, double Seconds);
