using System.Diagnostics;
using System.Net;
using Amc.Distributed;
using Amc.Search;
using Amc.Tests.Cli;
using Amc.Tests.Data;
using Amc.Tests.Search;

namespace Amc.Tests.Distributed;

/// <summary>
/// `amc search --workers N` and `--cluster` with `amc worker` processes, as a user runs them: the
/// same seed and N give the in-process search's episodes (K = N), and a worker killed mid-policy
/// changes nothing in them.
/// </summary>
[Collection(TrainedModelCollection.Name)]
public class WorkerProcessTests(TrainedModel model)
{
    static string[] Episodes(string outDir) =>
        File.ReadAllLines(Path.Combine(outDir, "episodes.jsonl")).Select(SearchGoldenTests.WithoutTimes).ToArray();

    string[] Search(string outDir, string data, params string[] more) =>
        ["search", "--checkpoint", model.Checkpoint, "--data", data, .. more.Contains("--episodes") ? Array.Empty<string>() : ["--episodes", "6"], "--warmup", "2", "--seed", "4",
         "--calibration-images", "40", "--bn-images", "20", "--no-baselines", "--confirm-top", "0", "--out", outDir, .. more];

    [Fact]
    public void Local_workers_give_the_in_process_search_with_as_many_rollouts_per_round()
    {
        foreach (int n in new[] { 2, 1 })
        {
            string local = model.NewPath("local"), workers = model.NewPath("workers");
            // K = 1 is the serial search (pinned bit for bit by the golden tests); K defaults to N with --workers.
            CliAssert.Ok(CliRun.Amc(Search(local, model.Data, n == 1 ? [] : ["--rollouts-per-round", $"{n}"])));
            var r = CliRun.Run(CliRun.Start(Search(workers, model.Data, "--workers", $"{n}")), [], timeoutSeconds: 300);
            CliAssert.Ok(r);
            Assert.Contains($"{n} local scoring worker(s) joined", r.Stdout);
            Assert.Equal(Episodes(local), Episodes(workers));
            // The Gram matrices the workers read (a pid-tagged temporary) go with the search.
            Assert.Empty(Directory.GetFiles(workers, ".worker-grams*", SearchOption.AllDirectories));
        }
    }

    [Fact]
    public void A_worker_killed_mid_policy_changes_nothing_in_the_search()
    {
        using var temp = new TempFolder();
        // 4000 held-out images: a score takes long enough (about a second) for the kill to land in the middle of it;
        // with 500 it took 0.11 s on a quiet machine and could finish before the signal arrived.
        string data = TinyIdxData.Write(temp.Folder("data"), train: 5000, test: 50);
        string[] scoring = ["--heldout", "4000", "--rollouts-per-round", "2"];
        string reference = model.NewPath("reference"), faulty = model.NewPath("faulty");
        CliAssert.Ok(CliRun.Amc(Search(reference, data, scoring)));

        string config = temp.File("cluster.json");
        File.WriteAllText(config, ClusterConfig.Create("localhost", $"127.0.0.1:{SiloSetup.FreePort(IPAddress.Loopback)}", "kill-test",
            "secret-for-the-kill-test", "test").ToJson());
        var search = CliRun.Start(Search(faulty, data, [.. scoring, "--cluster", config]));
        var workers = new List<(Process Process, List<string> Lines)>();
        try
        {
            var killed = new ManualResetEventSlim();
            List<string>? victimLines = null;
            for (int i = 0; i < 2; i++)
            {
                var process = CliRun.Start("worker", "--cluster", config, "--serve", model.Checkpoint, "--serve", data);
                var lines = new List<string>();
                process.OutputDataReceived += (_, e) =>
                {
                    if (e.Data is not string line) return;
                    lock (lines) lines.Add(line);
                    // The first worker to start a policy dies in the middle of it; its policy waits for
                    // the other (which may join only then: the search starts with the first worker in).
                    if (line == "scoring a policy" && !killed.IsSet)
                        lock (killed)
                            if (!killed.IsSet)
                            {
                                process.Kill();
                                victimLines = lines;
                                killed.Set();
                            }
                };
                process.BeginOutputReadLine();
                workers.Add((process, lines));
            }
            var r = CliRun.Run(search, [], timeoutSeconds: 300);
            CliAssert.Ok(r);
            Assert.True(killed.IsSet, "no worker was killed: the search ended first");
            // The victim by reference: the other worker may also have exited by now (it leaves when the search's cluster ends).
            lock (victimLines!) Assert.Equal("scoring a policy", victimLines[^1]);
            Assert.Equal(Episodes(reference), Episodes(faulty));
        }
        finally
        {
            foreach (var (process, _) in workers)
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                process.Dispose();
            }
        }
    }

    [Fact]
    public void A_coordinator_killed_with_kill_9_continues_with_resume_to_the_uninterrupted_search()
    {
        using var temp = new TempFolder();
        // 2000 held-out images: a round lasts long enough (about half a second) for the kill to land between the first round and the last.
        string data = TinyIdxData.Write(temp.Folder("data"), train: 3000, test: 50);
        string[] scoring = ["--heldout", "2000", "--episodes", "8"];
        string reference = model.NewPath("reference"), killed = model.NewPath("killed");
        CliAssert.Ok(CliRun.Amc(Search(reference, data, [.. scoring, "--rollouts-per-round", "2"])));

        var search = CliRun.Start(Search(killed, data, [.. scoring, "--workers", "2"]));
        var output = new System.Text.StringBuilder();
        search.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        search.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        search.BeginOutputReadLine();
        search.BeginErrorReadLine();
        string log = Path.Combine(killed, "episodes.jsonl"), state = Path.Combine(killed, "search-state.safetensors");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(240);
        // Killed as soon as the first round's state is saved: the search is then past its start and far from its end.
        while (!search.HasExited && !File.Exists(state) && DateTime.UtcNow < deadline) Thread.Sleep(10);
        bool exited = search.HasExited;
        search.Kill(); // SIGKILL, the coordinator only: its local workers must notice it is gone by themselves
        search.WaitForExit();
        search.Dispose();
        lock (output) Assert.False(exited, $"the search exited before it could be killed: {output}");
        int done = File.ReadAllLines(log).Length;
        Assert.InRange(done, 2, 7);

        var r = CliRun.Run(CliRun.Start(Search(killed, data, [.. scoring, "--workers", "2", "--resume"])), [], timeoutSeconds: 300);
        CliAssert.Ok(r);
        Assert.Equal(Episodes(reference), Episodes(killed));
    }

    [Fact]
    public void An_asynchronous_search_on_local_workers_gives_a_search_with_the_usual_files()
    {
        string sync = model.NewPath("sync"), async = model.NewPath("async");
        CliAssert.Ok(CliRun.Amc(Search(sync, model.Data, "--rollouts-per-round", "2")));
        var r = CliRun.Run(CliRun.Start(Search(async, model.Data, "--workers", "2", "--async")), [], timeoutSeconds: 300);
        CliAssert.Ok(r);
        Assert.Equal(Directory.GetFiles(sync).Select(Path.GetFileName).Order(), Directory.GetFiles(async).Select(Path.GetFileName).Order());
        // Every episode once, in the order learned from; the warm-up's two random policies are two of the first (K = 2 in flight).
        var episodes = SearchRunner.ReadLog(Path.Combine(async, "episodes.jsonl"));
        Assert.Equal(Enumerable.Range(0, 6), episodes.Select(e => e.Episode));
        Assert.Equal(2, episodes.Count(e => e.Phase == "warmup"));
        Assert.All(episodes, e => Assert.InRange(e.Top1, 0, 1));
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(async, "search-config.json")));
        Assert.True(config.RootElement.GetProperty("search").GetProperty("Asynchronous").GetBoolean());
        Assert.True(File.Exists(Path.Combine(async, "best-policy.json")));
    }

    [RedisFact]
    public void A_worker_started_first_finds_the_coordinator_through_redis_and_outlives_the_search()
    {
        Assert.True(RedisFactAttribute.Reachable(), $"no Redis answers at {RedisFactAttribute.Address}: .ci/run starts one (redis-server --port 6390)");
        using var temp = new TempFolder();
        string[] scoring = ["--rollouts-per-round", "2"];
        string reference = model.NewPath("reference"), viaRedis = model.NewPath("redis");
        CliAssert.Ok(CliRun.Amc(Search(reference, model.Data, scoring)));

        // A fresh cluster id: Redis keeps the membership of earlier runs.
        string config = temp.File("cluster.json");
        File.WriteAllText(config, ClusterConfig.Create("redis", $"127.0.0.1:{SiloSetup.FreePort(IPAddress.Loopback)}",
            "redis-test-" + Guid.NewGuid().ToString("N")[..8], "secret-for-the-redis-test", "test", RedisFactAttribute.Address).ToJson());
        var worker = CliRun.Start("worker", "--cluster", config, "--serve", model.Checkpoint, "--serve", model.Data);
        var joined = new ManualResetEventSlim();
        worker.OutputDataReceived += (_, e) => { if (e.Data?.StartsWith("worker ") == true) joined.Set(); };
        worker.BeginOutputReadLine();
        try
        {
            // The worker is in the cluster before any coordinator exists.
            Assert.True(joined.Wait(TimeSpan.FromSeconds(60)), "the worker did not join the Redis cluster within 60 s");
            var r = CliRun.Run(CliRun.Start(Search(viaRedis, model.Data, [.. scoring, "--cluster", config])), [], timeoutSeconds: 300);
            CliAssert.Ok(r);
            Assert.Equal(Episodes(reference), Episodes(viaRedis));
            // The cluster does not end with the coordinator: the worker waits for the next search.
            Thread.Sleep(TimeSpan.FromSeconds(5));
            Assert.False(worker.HasExited, "the worker exited with the search");
        }
        finally
        {
            if (!worker.HasExited) worker.Kill(entireProcessTree: true);
            worker.Dispose();
        }
    }
}
