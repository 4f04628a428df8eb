using System.Collections.Concurrent;
using Amc.Graph;
using Amc.Search;
using Orleans.Runtime;

namespace Amc.Distributed;

/// <summary>
/// Scores a round's policies on the cluster's workers: each worker takes the next policy as soon
/// as it is free, and the scores come back in the policies' order, so the search (which learns
/// from them in episode order) is the same whatever the timing. A worker that leaves mid-policy
/// is dropped and its policy sent to another; a worker's score does not depend on which worker
/// gives it, so a fault changes nothing in the result.
/// </summary>
public sealed class RemoteCandidateScorer(Coordinator coordinator, ScoringSetup setup, TimeSpan waitForWorker) : ICandidateScorer
{
    readonly HashSet<SiloAddress> lost = [];
    int resent;

    /// <summary>Policies sent again because their worker left before answering.</summary>
    public int Resent => resent;

    public CandidateScore Score(Policy policy) => ScoreAll([policy])[0];

    public IReadOnlyList<CandidateScore> ScoreAll(IReadOnlyList<Policy> policies) =>
        // The search loop is synchronous; no Orleans scheduler runs on this thread, so blocking is safe.
        ScoreAllAsync(policies).GetAwaiter().GetResult();

    async Task<IReadOnlyList<CandidateScore>> ScoreAllAsync(IReadOnlyList<Policy> policies)
    {
        var scores = new CandidateScore?[policies.Count];
        var pending = new ConcurrentQueue<int>(Enumerable.Range(0, policies.Count));
        while (!pending.IsEmpty)
        {
            var workers = await Available();
            await Task.WhenAll(workers.Select(w => Drain(w, pending, policies, scores)));
        }
        return scores.Select(s => s!).ToList();
    }

    async Task Drain(SiloAddress worker, ConcurrentQueue<int> pending, IReadOnlyList<Policy> policies, CandidateScore?[] scores)
    {
        var grain = coordinator.Grains.GetGrain<IScoringWorker>(OnSiloPlacement.KeyOf(worker));
        while (pending.TryDequeue(out int i))
        {
            WorkResult result;
            try { result = await grain.Score(new WorkItem(setup, policies[i].Widths(), coordinator.Config.Secret)); }
            catch (Exception e) when (e is OrleansException or TimeoutException)
            {
                // The worker left (killed, crashed, cut off): never send it work again; a restarted one joins with a new address.
                lock (lost) lost.Add(worker);
                pending.Enqueue(i);
                Interlocked.Increment(ref resent);
                return;
            }
            if (result.Refusal is not null) throw new ClusterException(result.Refusal);
            scores[i] = result.ToScore(policies[i]);
        }
    }

    async Task<IReadOnlyList<SiloAddress>> Available()
    {
        var deadline = DateTime.UtcNow + waitForWorker;
        while (true)
        {
            List<SiloAddress> workers;
            lock (lost) workers = coordinator.Workers().Where(w => !lost.Contains(w)).ToList();
            if (workers.Count > 0) return workers;
            if (DateTime.UtcNow > deadline)
                throw new ClusterException($"no scoring worker left in the cluster at {coordinator.Config.Coordinator} for {waitForWorker.TotalSeconds:0} s ({lost.Count} left during the search)");
            await Task.Delay(200);
        }
    }
}
