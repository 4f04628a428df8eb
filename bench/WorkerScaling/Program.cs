// A simulation of scoring on N Orleans workers: each policy "costs" a fixed sleep of S ms on its
// worker (no pruning, no network), so what is measured is the coordination: the coordinator's
// RemoteCandidateScorer, Orleans messaging over loopback TCP and the worker silos. Every silo runs
// in this one process (each its own silo, own port, own membership entry: calls go over TCP as
// between processes). Sync: rounds of N policies, as `amc search --workers N`. Async: N policies
// always in flight, as `--async`. With --jitter J a policy costs S * (1 + J * u), u uniform in
// [-1, 1] from a fixed seed: uneven workers, where rounds wait for their slowest policy.
//
// dotnet run -c Release --project bench/WorkerScaling -- [--cost-ms 200] [--episodes 64] [--workers 1,2,4,8,16] [--jitter 0]
using System.Diagnostics;
using System.Net;
using Amc.Distributed;
using Amc.Graph;
using Amc.Pruning;
using Amc.Search;
using Amc.Training;
using Microsoft.Extensions.Hosting;

int costMs = 200, episodes = 64;
double jitter = 0;
int[] counts = [1, 2, 4, 8, 16];
for (int i = 0; i + 1 < args.Length; i += 2)
    switch (args[i])
    {
        case "--cost-ms": costMs = int.Parse(args[i + 1]); break;
        case "--episodes": episodes = int.Parse(args[i + 1]); break;
        case "--workers": counts = args[i + 1].Split(',').Select(int.Parse).ToArray(); break;
        case "--jitter": jitter = double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
        default: throw new ArgumentException($"unknown option {args[i]}");
    }

// Every worker silo here shares this process's thread pool, and a worker blocks a pool thread for
// each policy it scores (as it does in its own process, where that is its only work): enough
// threads from the start, or the pool's slow growth would be measured instead of the cluster.
ThreadPool.SetMinThreads(Math.Max(64, 4 * counts.Max()), 64);

// Policy i's cost, the same in every run.
var random = new Random(7);
var costs = Enumerable.Range(0, episodes).Select(_ => costMs * (1 + jitter * (2 * random.NextDouble() - 1))).ToArray();
var policies = Enumerable.Range(0, episodes).Select(i => Policy.OfWidths([i + 1, 8])).ToList();
double ideal = costs.Sum() / 1000;
Console.WriteLine($"simulated scoring: {episodes} policies of {costMs} ms (jitter {jitter:0.##}), {ideal:F1} s of scoring in all; load average {File.ReadAllText("/proc/loadavg").Trim()}");
Console.WriteLine("| N | mode | wall s | speed-up vs N = 1 | speed-up / N | overhead per policy ms |");
Console.WriteLine("|---:|---|---:|---:|---:|---:|");
var baseline = new Dictionary<string, double>();
foreach (int n in counts)
{
    var config = ClusterConfig.Create("localhost", $"127.0.0.1:{SiloSetup.FreePort(IPAddress.Loopback)}", $"sim-{n}", "a-simulation-secret-0123", "bench");
    await using var coordinator = await Coordinator.StartAsync(config);
    var workers = new List<IHost>();
    for (int w = 0; w < n; w++)
        workers.Add(await WorkerHost.StartAsync(config, IPAddress.Loopback, 0,
            new WorkerSettings(config.Secret, ["/"], _ => new ScoringContext(new SleepScorer(costs), new MemoryStream()))));
    await coordinator.WaitForWorkers(n, TimeSpan.FromSeconds(120));
    using (var scorer = new RemoteCandidateScorer(coordinator, new ScoringSetup("sim", "/sim.amc", "fashion-mnist", []), TimeSpan.FromSeconds(60)))
    {
        // Every worker loaded and warm (one call each) before the clock starts: start-up is not what is measured.
        scorer.ScoreAll(Enumerable.Range(0, n).Select(i => Policy.OfWidths([episodes + 1 + i, 8])).ToList());
        foreach (var mode in new[] { "sync", "async" })
        {
            var clock = Stopwatch.StartNew();
            if (mode == "sync")
                for (int start = 0; start < episodes; start += n)
                    scorer.ScoreAll(policies.Skip(start).Take(n).ToList());
            else
            {
                int next = -1;
                var lanes = Enumerable.Range(0, n).Select(_ => Task.Factory.StartNew(() =>
                {
                    for (int i = Interlocked.Increment(ref next); i < episodes; i = Interlocked.Increment(ref next)) scorer.Score(policies[i]);
                }, TaskCreationOptions.LongRunning)).ToArray();
                Task.WaitAll(lanes);
            }
            double wall = clock.Elapsed.TotalSeconds;
            if (n == counts[0]) baseline[mode] = wall * counts[0];
            double speedUp = baseline[mode] / wall;
            // Worker time not spent scoring, per policy: what coordination costs each episode.
            double overheadMs = (wall * n - ideal) / episodes * 1000;
            Console.WriteLine($"| {n} | {mode} | {wall:F2} | {speedUp:F2} | {speedUp / n:F2} | {overheadMs:F1} |");
        }
    }
    foreach (var w in workers)
    {
        await w.StopAsync(TimeSpan.FromSeconds(5));
        w.Dispose();
    }
}
Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");

/// <summary>Scores a policy by sleeping its fixed cost (policy i has widths [i + 1, 8]); the score is made up and unused.</summary>
sealed class SleepScorer(double[] costs) : ICandidateScorer
{
    public CandidateScore Score(Policy policy)
    {
        int i = policy.Widths()[0] - 1;
        double ms = i < costs.Length ? costs[i] : 0;
        Thread.Sleep(TimeSpan.FromMilliseconds(ms));
        return new CandidateScore(policy, 1, 1, new Evaluation(0.5, 0.9, 100, 1), new StageTimes(0, 0, 0, ms / 1000));
    }
}
