using System.Diagnostics;
using System.Net;
using Amc.Distributed;
using Microsoft.Extensions.Hosting;

namespace Amc.Tests.Distributed;

/// <summary>
/// Redis clustering with a password (<c>requirepass</c>): the cluster config's "redis" connection
/// string carries it, silos that give it join, one that gives another is refused in one message.
/// The test starts its own Redis (redis-server, which .ci/run installs) so that the shared one stays without a password.
/// </summary>
public class RedisPasswordTests
{
    const string Password = "a-redis-password-for-the-test";

    [RedisServerFact]
    public async Task Silos_join_through_a_redis_with_a_password_and_a_wrong_one_is_refused()
    {
        int port = SiloSetup.FreePort(IPAddress.Loopback);
        using var redis = Process.Start(new ProcessStartInfo(RedisServerFactAttribute.Server,
            ["--port", $"{port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--requirepass", Password])
        { RedirectStandardOutput = true, UseShellExecute = false })!;
        redis.BeginOutputReadLine();
        try
        {
            Assert.True(RedisFactAttribute.Reachable($"127.0.0.1:{port}", TimeSpan.FromSeconds(30)), "the test's redis-server did not start");
            ClusterConfig Config(string password) => ClusterConfig.Create("redis", $"127.0.0.1:{SiloSetup.FreePort(IPAddress.Loopback)}",
                "password-test-" + Guid.NewGuid().ToString("N")[..8], "secret-for-the-password-test", "test", $"127.0.0.1:{port},password={password}");

            var config = Config(Password);
            await using (var coordinator = await Coordinator.StartAsync(config))
            {
                using var worker = await WorkerHost.StartAsync(config, IPAddress.Loopback, 0,
                    new WorkerSettings(config.Secret, ["/nothing"], _ => throw new InvalidOperationException("no work in this test")));
                await coordinator.WaitForWorkers(1, TimeSpan.FromSeconds(60));
                await worker.StopAsync(TimeSpan.FromSeconds(5));
            }
            var e = await Assert.ThrowsAsync<ClusterException>(() => Coordinator.StartAsync(Config("not-the-password")));
            Assert.Contains("cannot start the coordinator's silo", e.Message);
            Assert.Contains("authentication", e.Message, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            redis.Kill();
            redis.WaitForExit();
        }
    }
}

/// <summary>A test that starts its own redis-server: skipped only off CI when none is installed (on CI it fails instead).</summary>
public sealed class RedisServerFactAttribute : FactAttribute
{
    public static string Server => "/usr/bin/redis-server";

    public RedisServerFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CI") is null && !File.Exists(Server))
            Skip = $"no {Server} (Debian: apt-get install redis-server); on CI this test fails instead";
    }
}
