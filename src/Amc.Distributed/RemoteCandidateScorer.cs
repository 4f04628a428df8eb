using Amc.Graph;
using Amc.Search;
using Orleans.Runtime;

namespace Amc.Distributed;

/// <summary>
/// Scores policies on the cluster's workers. A dispatcher loop watches the membership: a worker
/// that joins (at any time) first loads the search's setup, then takes the next waiting policy
/// each time it is free; one the membership no longer lists is gone. Scores come back to each
/// caller in its policies' order, so the synchronous search (which learns from them in episode
/// order) is the same whatever the timing; <see cref="Score"/> may be called from several threads
/// at once (the asynchronous search keeps several policies in flight).
/// A call that fails puts its policy back in the queue for any worker; a worker's score does not
/// depend on which worker gives it, so a fault changes nothing in the result. The failed worker
/// rests a moment and is tried again (a failure can be transient, e.g. while the cluster notices
/// another worker died); one that fails <see cref="MaxFailures"/> times in a row is given up.
/// </summary>
public sealed class RemoteCandidateScorer : ICandidateScorer, IDisposable
{
    const int MaxFailures = 5;
    static readonly TimeSpan Rest = TimeSpan.FromSeconds(2), Tick = TimeSpan.FromMilliseconds(100);

    sealed record Job(int Number, Policy Policy, TaskCompletionSource<CandidateScore> Done);

    sealed class Worker(SiloAddress silo)
    {
        public SiloAddress Silo { get; } = silo;
        public WorkerActivity Activity = WorkerActivity.Loading;
        public bool Loaded, Busy;
        public int? Policy;
        public int Failures, Scored;
        public DateTime LastFailure;
    }

    readonly Coordinator coordinator;
    readonly ScoringSetup setup;
    readonly TimeSpan waitForWorker;
    readonly Action<string>? say;
    readonly Lock gate = new();
    readonly Queue<Job> pending = new();
    readonly Dictionary<SiloAddress, Worker> workers = [];
    readonly CancellationTokenSource stop = new();
    readonly SemaphoreSlim wake = new(0);
    readonly Task dispatcher;
    int submitted, resent;
    DateTime? noWorkerSince;
    /// <summary>Why the search cannot go on (a refusal, no worker left): every policy, waiting or new, fails with it.</summary>
    Exception? failure;

    /// <param name="waitForWorker">How long policies may wait with no worker in the cluster before the search fails.</param>
    /// <param name="say">Told when a worker joins, leaves or is given up.</param>
    public RemoteCandidateScorer(Coordinator coordinator, ScoringSetup setup, TimeSpan waitForWorker, Action<string>? say = null)
    {
        this.coordinator = coordinator;
        this.setup = setup;
        this.waitForWorker = waitForWorker;
        this.say = say;
        dispatcher = Task.Run(Dispatch);
    }

    /// <summary>Policies sent again because their worker left before answering.</summary>
    public int Resent => resent;

    /// <summary>Every worker seen in this search (the gone ones too), in a fixed order.</summary>
    public IReadOnlyList<WorkerState> Workers()
    {
        lock (gate)
            return workers.Values.OrderBy(w => w.Silo.ToParsableString(), StringComparer.Ordinal)
                .Select(w => new WorkerState(w.Silo.Endpoint.ToString(), w.Activity, w.Policy, w.Scored)).ToList();
    }

    public CandidateScore Score(Policy policy) => ScoreAll([policy])[0];

    public IReadOnlyList<CandidateScore> ScoreAll(IReadOnlyList<Policy> policies)
    {
        var jobs = new List<Job>(policies.Count);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(stop.IsCancellationRequested, this);
            if (failure is not null) throw failure;
            foreach (var policy in policies)
            {
                var job = new Job(++submitted, policy, new TaskCompletionSource<CandidateScore>(TaskCreationOptions.RunContinuationsAsynchronously));
                pending.Enqueue(job);
                jobs.Add(job);
            }
        }
        wake.Release();
        // The search loop is synchronous; no Orleans scheduler runs on this thread, so blocking is safe.
        return Task.WhenAll(jobs.Select(j => j.Done.Task)).GetAwaiter().GetResult();
    }

    async Task Dispatch()
    {
        while (!stop.IsCancellationRequested)
        {
            lock (gate) Assign();
            try { await wake.WaitAsync(Tick, stop.Token); }
            catch (OperationCanceledException) { break; }
        }
    }

    /// <summary>Brings the workers up to the membership, then gives every free worker something to do.</summary>
    void Assign()
    {
        var now = DateTime.UtcNow;
        var members = coordinator.Workers().ToHashSet();
        foreach (var silo in members)
            if (!workers.ContainsKey(silo))
            {
                workers[silo] = new Worker(silo);
                say?.Invoke($"worker {silo.Endpoint} joined");
            }
        foreach (var w in workers.Values)
        {
            if (w.Activity == WorkerActivity.Gone) continue;
            if (!members.Contains(w.Silo))
            {
                Leave(w, "left the cluster");
                continue;
            }
            if (w.Busy || (w.Failures > 0 && now - w.LastFailure < Rest)) continue;
            if (!w.Loaded) Start(w, null);
            else if (pending.TryDequeue(out var job)) Start(w, job);
        }
        bool anyWorker = workers.Values.Any(w => w.Activity != WorkerActivity.Gone);
        if (anyWorker || pending.Count == 0) noWorkerSince = null;
        else if (noWorkerSince is null) noWorkerSince = now;
        else if (now - noWorkerSince > waitForWorker)
            Fail(new ClusterException($"no scoring worker left in the cluster at {coordinator.Config.Coordinator} for {waitForWorker.TotalSeconds:0} s " +
                $"({workers.Values.Count(w => w.Failures >= MaxFailures)} given up after {MaxFailures} failed calls)"));
    }

    void Leave(Worker w, string why)
    {
        w.Activity = WorkerActivity.Gone;
        w.Policy = null;
        say?.Invoke($"worker {w.Silo.Endpoint} {why}");
    }

    /// <summary>Sends the worker its setup to load (<paramref name="job"/> null) or a policy to score.</summary>
    void Start(Worker w, Job? job)
    {
        w.Busy = true;
        w.Activity = job is null ? WorkerActivity.Loading : WorkerActivity.Scoring;
        w.Policy = job?.Number;
        _ = Run(w, job);
    }

    async Task Run(Worker w, Job? job)
    {
        var grain = coordinator.Grains.GetGrain<IScoringWorker>(OnSiloPlacement.KeyOf(w.Silo));
        try
        {
            string? refusal;
            WorkResult? result = null;
            if (job is null) refusal = await grain.Load(setup, coordinator.Config.Secret);
            else refusal = (result = await grain.Score(new WorkItem(setup, job.Policy.Widths(), coordinator.Config.Secret, job.Policy.Int8Groups()))).Refusal;
            if (refusal is not null)
            {
                // A refusal is an answer: another worker would refuse the same way.
                lock (gate)
                {
                    if (job is not null) job.Done.TrySetException(new ClusterException(refusal));
                    Leave(w, "refused the work");
                    Fail(new ClusterException(refusal));
                }
                return;
            }
            lock (gate)
            {
                w.Failures = 0;
                w.Loaded = true;
                if (job is not null) w.Scored++;
            }
            if (job is not null) job.Done.TrySetResult(result!.ToScore(job.Policy));
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            // The worker left (killed, crashed, cut off) or the call failed on the way: the policy goes to whoever is free.
            lock (gate)
            {
                w.Failures++;
                w.LastFailure = DateTime.UtcNow;
                if (job is not null && stop.IsCancellationRequested) job.Done.TrySetException(new ObjectDisposedException(nameof(RemoteCandidateScorer)));
                else if (job is not null)
                {
                    pending.Enqueue(job);
                    resent++;
                }
                if (w.Failures >= MaxFailures && w.Activity != WorkerActivity.Gone) Leave(w, $"given up after {MaxFailures} failed calls");
            }
        }
        catch (Exception e)
        {
            // A fault in the scoring itself (not the cluster): the search sees it as it would in one process.
            lock (gate)
            {
                job?.Done.TrySetException(e);
                Leave(w, $"failed: {e.Message}");
                Fail(e);
            }
        }
        finally
        {
            lock (gate)
            {
                w.Busy = false;
                if (w.Activity != WorkerActivity.Gone) w.Activity = w.Loaded ? WorkerActivity.Idle : WorkerActivity.Loading;
                w.Policy = null;
            }
            wake.Release();
        }
    }

    /// <summary>Fails every waiting policy and every later one (the search then stops with <paramref name="error"/>).</summary>
    void Fail(Exception error)
    {
        failure ??= error;
        while (pending.TryDequeue(out var job)) job.Done.TrySetException(error);
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (stop.IsCancellationRequested) return;
            stop.Cancel();
            Fail(new ObjectDisposedException(nameof(RemoteCandidateScorer)));
        }
        try { dispatcher.Wait(TimeSpan.FromSeconds(5)); }
        catch (AggregateException) { }
        stop.Dispose();
    }
}
