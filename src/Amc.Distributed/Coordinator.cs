using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime;

namespace Amc.Distributed;

/// <summary>
/// The search's own silo: the membership primary the workers join. It hosts no scoring work; it
/// sees which workers are in the cluster and sends them policies (see <see cref="RemoteCandidateScorer"/>).
/// </summary>
public sealed class Coordinator : IAsyncDisposable
{
    readonly IHost host;

    Coordinator(IHost host, ClusterConfig config)
    {
        this.host = host;
        Config = config;
    }

    public ClusterConfig Config { get; }
    public IGrainFactory Grains => host.Services.GetRequiredService<IGrainFactory>();
    SiloAddress Self => host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;

    public static async Task<Coordinator> StartAsync(ClusterConfig config)
    {
        var host = new HostBuilder()
            .UseOrleans(silo => SiloSetup.Configure(silo, config, config.Coordinator.Address, config.Coordinator.Port))
            .Build();
        try { await host.StartAsync(); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            host.Dispose();
            throw new ClusterException($"cannot start the coordinator's silo on {config.Coordinator}: {e.Message}");
        }
        return new Coordinator(host, config);
    }

    /// <summary>The worker silos active now, in a fixed order.</summary>
    public IReadOnlyList<SiloAddress> Workers()
    {
        var self = Self;
        return host.Services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active && !m.SiloAddress.Equals(self))
            .Select(m => m.SiloAddress).OrderBy(s => s.ToParsableString(), StringComparer.Ordinal).ToList();
    }

    /// <summary>Waits until at least <paramref name="count"/> workers have joined.</summary>
    public async Task WaitForWorkers(int count, TimeSpan timeout, Func<bool>? givingUp = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Workers().Count < count)
        {
            if (DateTime.UtcNow > deadline || givingUp?.Invoke() == true)
                throw new ClusterException($"{Workers().Count} of {count} scoring worker(s) joined the cluster at {Config.Coordinator} within {timeout.TotalSeconds:0} s");
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try { await host.StopAsync(TimeSpan.FromSeconds(5)); }
        finally { host.Dispose(); }
    }
}
