using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Amc.Distributed;

/// <summary>A worker silo: joins the coordinator's cluster and scores the policies it is sent.</summary>
public static class WorkerHost
{
    /// <summary>Starts a worker silo on <paramref name="address"/>:<paramref name="port"/> (0: a free port).</summary>
    public static async Task<IHost> StartAsync(ClusterConfig config, IPAddress address, int port, WorkerSettings settings)
    {
        if (port == 0) port = SiloSetup.FreePort(address);
        var host = new HostBuilder()
            .UseOrleans(silo =>
            {
                SiloSetup.Configure(silo, config, address, port);
                silo.Services.AddSingleton(settings);
                silo.Services.AddSingleton<LoadedSetups>();
            })
            .Build();
        try { await host.StartAsync(); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            host.Dispose();
            throw new ClusterException($"the worker could not join the cluster at {config.Coordinator}: {e.Message}");
        }
        return host;
    }
}
