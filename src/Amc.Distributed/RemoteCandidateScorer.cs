using System.Collections.Concurrent;
using Amc.Graph;
using Amc.Search;
using Orleans.Runtime;

namespace Amc.Distributed;

/// <summary>
/// Scores a round's policies on the cluster's workers: each worker takes the next policy as soon
/// as it is free, and the scores come back in the policies' order, so the search (which learns
/// from them in episode order) is the same whatever the timing. A call that fails puts its policy
/// back in the queue for any worker; a worker's score does not depend on which worker gives it, so
/// a fault changes nothing in the result. The failed worker rests a moment and is tried again
/// (a failure can be transient, e.g. while the cluster notices another worker died); one that
/// fails <see cref="MaxFailures"/> times in a row, or that the membership declares dead, gets no more work.
/// </summary>
public sealed class RemoteCandidateScorer(Coordinator coordinator, ScoringSetup setup, TimeSpan waitForWorker) : ICandidateScorer
{
    const int MaxFailures = 5;
    static readonly TimeSpan Rest = TimeSpan.FromSeconds(2);
    readonly Dictionary<SiloAddress, (int Count, DateTime Last)> failures = [];
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
                // The worker left (killed, crashed, cut off) or the call failed on the way: the policy goes to whoever is free.
                lock (failures) failures[worker] = (failures.GetValueOrDefault(worker).Count + 1, DateTime.UtcNow);
                pending.Enqueue(i);
                Interlocked.Increment(ref resent);
                return;
            }
            lock (failures) failures.Remove(worker);
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
            int given;
            lock (failures)
            {
                var now = DateTime.UtcNow;
                workers = coordinator.Workers().Where(w => !failures.TryGetValue(w, out var f) || (f.Count < MaxFailures && now - f.Last > Rest)).ToList();
                given = failures.Count(f => f.Value.Count >= MaxFailures);
            }
            if (workers.Count > 0) return workers;
            if (DateTime.UtcNow > deadline)
                throw new ClusterException($"no scoring worker left in the cluster at {coordinator.Config.Coordinator} for {waitForWorker.TotalSeconds:0} s ({given} gave up after {MaxFailures} failed calls)");
            await Task.Delay(200);
        }
    }
}
