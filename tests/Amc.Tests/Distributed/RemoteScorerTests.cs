using System.Net;
using Amc.Distributed;
using Amc.Graph;
using Amc.Pruning;
using Amc.Search;
using Amc.Training;
using Microsoft.Extensions.Hosting;

namespace Amc.Tests.Distributed;

/// <summary>
/// The Orleans plumbing with a stand-in scorer, every silo in this process: policies reach the
/// workers and come back in order, setups load once per worker, and work is refused without the
/// secret or for a path the worker does not serve. (A killed worker process: <see cref="WorkerProcessTests"/>.)
/// </summary>
public class RemoteScorerTests
{
    const string Secret = "a-test-secret-of-some-length";
    static readonly string Served = Path.Combine(Path.GetTempPath(), "amc-served");

    /// <summary>Scores a policy by its widths, so a score shows which policy it belongs to.</summary>
    sealed class WidthScorer(Action onScore) : ICandidateScorer
    {
        public CandidateScore Score(Policy policy)
        {
            onScore();
            Thread.Sleep(50);
            var w = policy.Widths();
            return new CandidateScore(policy, w.Sum(), w[0], new Evaluation(w.Sum() / 1000.0, 1, 10, 0), new StageTimes(0, 0, 0, 0.05));
        }
    }

    sealed class Cluster : IAsyncDisposable
    {
        public required Coordinator Coordinator { get; init; }
        public required List<IHost> Workers { get; init; }
        public int[] Loads = [], Scores = [];

        public async ValueTask DisposeAsync()
        {
            foreach (var w in Workers)
            {
                await w.StopAsync(TimeSpan.FromSeconds(5));
                w.Dispose();
            }
            await Coordinator.DisposeAsync();
        }
    }

    /// <param name="room">Workers the cluster may have in all (some may join later: <see cref="AddWorker"/>).</param>
    static async Task<Cluster> Start(int workers, string workerSecret = Secret, int? room = null)
    {
        var config = ClusterConfig.Create("localhost", $"127.0.0.1:{SiloSetup.FreePort(IPAddress.Loopback)}", "test-" + Guid.NewGuid().ToString("N")[..6], Secret, "test");
        var coordinator = await Coordinator.StartAsync(config);
        var cluster = new Cluster { Coordinator = coordinator, Workers = [], Loads = new int[room ?? workers], Scores = new int[room ?? workers] };
        for (int i = 0; i < workers; i++) await AddWorker(cluster, workerSecret);
        await coordinator.WaitForWorkers(workers, TimeSpan.FromSeconds(60));
        return cluster;
    }

    static async Task AddWorker(Cluster cluster, string workerSecret = Secret)
    {
        int id = cluster.Workers.Count;
        var settings = new WorkerSettings(workerSecret, [Served], _ =>
        {
            Interlocked.Increment(ref cluster.Loads[id]);
            return new ScoringContext(new WidthScorer(() => Interlocked.Increment(ref cluster.Scores[id])), new MemoryStream());
        });
        cluster.Workers.Add(await WorkerHost.StartAsync(cluster.Coordinator.Config with { Secret = workerSecret }, IPAddress.Loopback, 0, settings));
    }

    /// <summary>Waits until the scorer sees the workers as <paramref name="expected"/> says; how long it took.</summary>
    static TimeSpan Until(RemoteCandidateScorer scorer, Func<IReadOnlyList<WorkerState>, bool> expected, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!expected(scorer.Workers()))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60)) Assert.Fail($"{what} within 60 s: {string.Join(", ", scorer.Workers())}");
            Thread.Sleep(20);
        }
        return clock.Elapsed;
    }

    static ScoringSetup Setup(string fingerprint = "f1", string? checkpoint = null) =>
        new(fingerprint, checkpoint ?? Path.Combine(Served, "base.amc"), "fashion-mnist-subset", ["--seed", "3"]);

    static List<Policy> Policies(int n) => Enumerable.Range(0, n).Select(i => Policy.OfWidths([8 + i, 16, 2 * i + 1])).ToList();

    [Fact]
    public async Task Policies_are_scored_on_every_worker_and_come_back_in_their_order()
    {
        await using var cluster = await Start(2);
        using var scorer = new RemoteCandidateScorer(cluster.Coordinator, Setup(), TimeSpan.FromSeconds(10));
        var policies = Policies(8);
        var scores = scorer.ScoreAll(policies);
        Assert.Equal(policies, scores.Select(s => s.Policy));
        Assert.Equal(policies.Select(p => (long)p.Widths().Sum()), scores.Select(s => s.Macs));
        Assert.Equal(policies.Select(p => p.Widths().Sum() / 1000.0), scores.Select(s => s.HeldOut.Top1));
        // Both workers took work; each loaded the setup once, whatever it scored.
        Assert.All(cluster.Scores, n => Assert.True(n > 0));
        Assert.Equal(8, cluster.Scores.Sum());
        scorer.ScoreAll(Policies(4));
        Assert.Equal([1, 1], cluster.Loads);
        Assert.Equal(0, scorer.Resent);
        // Another search's fingerprint: loaded again by the worker(s) it reached.
        using (var other = new RemoteCandidateScorer(cluster.Coordinator, Setup("f2"), TimeSpan.FromSeconds(10))) other.ScoreAll(Policies(4));
        Assert.InRange(cluster.Loads.Sum(), 3, 4);
        // The same fingerprint with other scoring options (calibration images are not in the fingerprint): loaded again too.
        int before = cluster.Loads.Sum();
        using (var other = new RemoteCandidateScorer(cluster.Coordinator, Setup("f2") with { Arguments = ["--calibration-images", "10"] }, TimeSpan.FromSeconds(10))) other.ScoreAll(Policies(4));
        Assert.True(cluster.Loads.Sum() > before);
    }

    [Fact]
    public async Task A_worker_that_joins_late_gets_work_and_one_that_leaves_is_seen_gone()
    {
        await using var cluster = await Start(1, room: 2);
        using var scorer = new RemoteCandidateScorer(cluster.Coordinator, Setup(), TimeSpan.FromSeconds(10));
        scorer.ScoreAll(Policies(3));
        Until(scorer, w => w is [{ Activity: WorkerActivity.Idle, Scored: 3 }], "the first worker idle after its 3 policies");

        await AddWorker(cluster);
        Until(scorer, w => w.Count == 2 && w.All(s => s.Activity == WorkerActivity.Idle), "the late worker loaded");
        Assert.Equal([1, 1], cluster.Loads);
        var policies = Policies(8);
        Assert.Equal(policies, scorer.ScoreAll(policies).Select(s => s.Policy));
        Assert.True(cluster.Scores[1] > 0, $"the late worker scored none of the 8 policies ({cluster.Scores[0]} on the first)");

        // The first worker leaves; the second takes all the work from then on.
        var first = cluster.Workers[0];
        cluster.Workers.RemoveAt(0);
        await first.StopAsync(TimeSpan.FromSeconds(5));
        first.Dispose();
        Until(scorer, w => w.Count(s => s.Activity == WorkerActivity.Gone) == 1, "the worker that left seen gone");
        int before = cluster.Scores[1];
        scorer.ScoreAll(Policies(2));
        Assert.Equal(before + 2, cluster.Scores[1]);
    }

    [Fact]
    public async Task Work_without_the_cluster_secret_is_refused()
    {
        await using var cluster = await Start(1, workerSecret: "another-secret-of-enough-length");
        using var scorer = new RemoteCandidateScorer(cluster.Coordinator, Setup(), TimeSpan.FromSeconds(10));
        var e = Assert.Throws<ClusterException>(() => scorer.ScoreAll(Policies(2)));
        Assert.Contains("wrong cluster secret", e.Message);
        Assert.Equal([0], cluster.Loads);
    }

    [Fact]
    public async Task Work_naming_a_path_the_worker_does_not_serve_is_refused()
    {
        await using var cluster = await Start(1);
        foreach (var path in new[] { "/etc/passwd", Path.Combine(Served, "..", "elsewhere.amc"), Served + "-sibling/base.amc" })
        {
            using var scorer = new RemoteCandidateScorer(cluster.Coordinator, Setup(checkpoint: path), TimeSpan.FromSeconds(10));
            var e = Assert.Throws<ClusterException>(() => scorer.Score(Policies(1)[0]));
            Assert.Contains("does not serve the checkpoint", e.Message);
        }
        using var data = new RemoteCandidateScorer(cluster.Coordinator, Setup() with { Data = "/tmp/other-data" }, TimeSpan.FromSeconds(10));
        Assert.Contains("does not serve the data", Assert.Throws<ClusterException>(() => data.Score(Policies(1)[0])).Message);
        using var grams = new RemoteCandidateScorer(cluster.Coordinator, Setup() with { Grams = "/tmp/grams.safetensors" }, TimeSpan.FromSeconds(10));
        Assert.Contains("does not serve the Gram matrices file", Assert.Throws<ClusterException>(() => grams.Score(Policies(1)[0])).Message);
        using var responseFile = new RemoteCandidateScorer(cluster.Coordinator, Setup() with { Arguments = ["@/etc/passwd"] }, TimeSpan.FromSeconds(10));
        Assert.Contains("response files", Assert.Throws<ClusterException>(() => responseFile.Score(Policies(1)[0])).Message);
        Assert.Equal([0], cluster.Loads);
    }

    [Fact]
    public void A_cluster_config_without_a_real_secret_or_address_is_refused()
    {
        Assert.Contains("secret", Assert.Throws<ClusterException>(() => ClusterConfig.Create("localhost", "127.0.0.1:11111", "amc", "short", "c.json")).Message);
        Assert.Contains("coordinator", Assert.Throws<ClusterException>(() => ClusterConfig.Create("localhost", "somewhere", "amc", Secret, "c.json")).Message);
        Assert.Contains("needs \"redis\"", Assert.Throws<ClusterException>(() => ClusterConfig.Create("redis", "127.0.0.1:1", "amc", Secret, "c.json")).Message);
        Assert.Contains("not supported", Assert.Throws<ClusterException>(() => ClusterConfig.Create("zookeeper", "127.0.0.1:1", "amc", Secret, "c.json")).Message);
        var redis = ClusterConfig.Create("redis", "127.0.0.1:11111", "amc", Secret, "r.json", "127.0.0.1:6390");
        var redisPath = Path.GetTempFileName();
        try
        {
            File.WriteAllText(redisPath, redis.ToJson());
            Assert.Equal(redis, ClusterConfig.Load(redisPath));
        }
        finally { File.Delete(redisPath); }
        var config = ClusterConfig.Create("localhost", "127.0.0.1:11111", "amc", Secret, "c.json");
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, config.ToJson());
            Assert.Equal(config, ClusterConfig.Load(path));
        }
        finally { File.Delete(path); }
    }
}
