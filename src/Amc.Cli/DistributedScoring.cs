using System.Net;
using System.Security.Cryptography;
using Amc.Distributed;

namespace Amc.Cli;

/// <summary>
/// `amc search --workers N` or `--cluster CONFIG`: the coordinator's silo, the local workers when
/// there are any, and the scorer that sends policies to the workers. Deletes the setup's Gram file
/// (written for the local workers) when the search is done with them.
/// </summary>
sealed class DistributedScoring : IDisposable
{
    readonly Coordinator coordinator;
    readonly LocalWorkers? local;
    readonly string? grams;

    DistributedScoring(Coordinator coordinator, LocalWorkers? local, RemoteCandidateScorer scorer, string? grams)
    {
        this.coordinator = coordinator;
        this.local = local;
        this.grams = grams;
        Scorer = scorer;
    }

    public RemoteCandidateScorer Scorer { get; }

    /// <summary>Starts <paramref name="localWorkers"/> workers on this machine, or joins the cluster of <paramref name="clusterPath"/>; returns once a worker (all local ones) joined.</summary>
    public static DistributedScoring Start(int? localWorkers, string? clusterPath, ScoringSetup setup, Action<string> say)
    {
        var config = clusterPath is not null ? ClusterConfig.Load(clusterPath)
            : ClusterConfig.Create("localhost", $"127.0.0.1:{SiloSetup.FreePort(IPAddress.Loopback)}", $"amc-local-{Environment.ProcessId}",
                Convert.ToHexString(RandomNumberGenerator.GetBytes(24)), "--workers");
        var coordinator = Coordinator.StartAsync(config).GetAwaiter().GetResult();
        LocalWorkers? local = null;
        try
        {
            if (localWorkers is int n)
            {
                string[] served = [setup.Checkpoint, .. Path.Exists(setup.Data) ? [setup.Data] : Array.Empty<string>(), .. setup.Grams is null ? Array.Empty<string>() : [setup.Grams]];
                local = LocalWorkers.Start(config, n, served);
                try { coordinator.WaitForWorkers(n, TimeSpan.FromSeconds(120), () => local.AnyExited).GetAwaiter().GetResult(); }
                catch (ClusterException e) when (local.AnyExited) { throw new ClusterException($"{e.Message}; a worker exited: {local.Errors()}"); }
                say($"{n} local scoring worker(s) joined (one thread each)");
            }
            else
            {
                say($"coordinator {config.Coordinator}: waiting for workers of cluster {config.ClusterId}");
                coordinator.WaitForWorkers(1, TimeSpan.FromMinutes(10)).GetAwaiter().GetResult();
                say($"{coordinator.Workers().Count} scoring worker(s) in the cluster");
            }
            return new DistributedScoring(coordinator, local, new RemoteCandidateScorer(coordinator, setup, TimeSpan.FromSeconds(60), say), setup.Grams);
        }
        catch
        {
            local?.Dispose();
            coordinator.DisposeAsync().AsTask().GetAwaiter().GetResult();
            if (setup.Grams is not null) File.Delete(setup.Grams);
            throw;
        }
    }

    public void Dispose()
    {
        Scorer.Dispose();
        local?.Dispose();
        coordinator.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (grams is not null) File.Delete(grams);
    }
}
