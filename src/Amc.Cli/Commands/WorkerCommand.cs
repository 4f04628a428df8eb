using System.CommandLine;
using System.Diagnostics;
using System.Net;
using Amc.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Amc.Cli.Commands;

/// <summary>`amc worker`: a scoring worker (an Orleans silo) that joins a search's cluster and scores the policies it is sent.</summary>
public static class WorkerCommand
{
    public static Command Create()
    {
        var cluster = new Option<string>("--cluster") { Description = "Cluster config (JSON): clustering, coordinator (IP:port), clusterId, secret", Required = true };
        var serve = new Option<string[]>("--serve")
        {
            Description = "A checkpoint or data file or folder this worker may read (repeat for several); work that names any other path is refused",
            Required = true,
        };
        var address = new Option<string>("--address") { Description = "This machine's IP address, as the coordinator reaches it", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "The worker silo's TCP port (0: a free one)", DefaultValueFactory = _ => 0 }.In(OptionRange.Between(0, 65535));
        // Local workers started by `amc search --workers` leave with the search, even when it is killed.
        var exitWith = new Option<int?>("--exit-with") { Description = "Exit when the process with this id exits", Hidden = true };
        var cmd = new Command("worker", "Join a search's cluster as a scoring worker (see `amc search --workers / --cluster`)") { cluster, serve, address, port, exitWith };
        cmd.SetAction(p =>
        {
            CommonOptions.Apply(p);
            var config = ClusterConfig.Load(p.GetValue(cluster)!);
            if (!IPAddress.TryParse(p.GetValue(address), out var ip)) throw new UsageException($"--address must be an IP address, got '{p.GetValue(address)}'");
            var served = p.GetValue(serve)!;
            foreach (var path in served)
                if (!Path.Exists(path)) throw new UsageException($"--serve {path}: no such file or folder");
            int? parent = p.GetValue(exitWith);
            var settings = new WorkerSettings(config.Secret, served.Select(Path.GetFullPath).ToList(), WorkerScoring.Load, Console.WriteLine);
            int siloPort = p.GetValue(port) is 0 ? SiloSetup.FreePort(ip) : p.GetValue(port);
            using var host = WorkerHost.StartAsync(config, ip, siloPort, settings).GetAwaiter().GetResult();
            Console.WriteLine($"worker {ip}:{siloPort} joined cluster {config.ClusterId} at {config.Coordinator}");
            var stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            while (!stopping.IsCancellationRequested && !(parent is int pid && Gone(pid))) stopping.WaitHandle.WaitOne(500);
            host.StopAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static bool Gone(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException) { return true; }
    }
}
