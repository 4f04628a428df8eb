using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Hosting;

namespace Amc.Distributed;

/// <summary>What the coordinator's silo and every worker silo share: membership, endpoints, timeouts, placement.</summary>
public static class SiloSetup
{
    internal static void Configure(ISiloBuilder silo, ClusterConfig config, IPAddress address, int port)
    {
        if (config.Clustering == "redis")
            silo.UseRedisClustering(config.Redis!);
        else
            silo.UseDevelopmentClustering(config.Coordinator);
        silo.Configure<ClusterOptions>(o => { o.ClusterId = config.ClusterId; o.ServiceId = "amc-search"; })
            // No gateway: the coordinator is a silo itself, so no client ever connects.
            .ConfigureEndpoints(address, port, gatewayPort: 0)
            // A worker that dies is declared dead within seconds (its work is then re-sent), not the default half minute.
            .Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
            })
            // A score at 224x224 can take minutes: only a worker that leaves the cluster fails a call.
            .Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromHours(2))
            .AddPlacementDirector<OnSiloPlacement, OnSiloPlacementDirector>();
    }

    /// <summary>A TCP port free now on <paramref name="address"/> (another process could take it before the silo does).</summary>
    public static int FreePort(IPAddress address)
    {
        using var listener = new TcpListener(address, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
