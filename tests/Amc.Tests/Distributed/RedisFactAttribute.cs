using System.Net.Sockets;

namespace Amc.Tests.Distributed;

/// <summary>
/// A test that needs the Redis server of <see cref="Address"/> (AMC_TEST_REDIS, default 127.0.0.1:6390,
/// which .ci/run starts). Skipped only off CI when no Redis answers; on CI (CI set) it runs and fails
/// with a clear message, so a missing Redis never passes silently there.
/// </summary>
public sealed class RedisFactAttribute : FactAttribute
{
    public static string Address => Environment.GetEnvironmentVariable("AMC_TEST_REDIS") is { Length: > 0 } a ? a : "127.0.0.1:6390";

    public RedisFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CI") is null && !Reachable())
            Skip = $"no Redis at {Address} (start one: redis-server --port 6390 --daemonize yes); on CI this test fails instead";
    }

    public static bool Reachable() => Reachable(Address, TimeSpan.FromSeconds(2));

    /// <summary>Whether a TCP server answers at <paramref name="address"/> (host:port) within <paramref name="wait"/>.</summary>
    public static bool Reachable(string address, TimeSpan wait)
    {
        int colon = address.LastIndexOf(':');
        var deadline = DateTime.UtcNow + wait;
        do
        {
            try
            {
                using var client = new TcpClient();
                if (client.ConnectAsync(address[..colon], int.Parse(address[(colon + 1)..])).Wait(TimeSpan.FromSeconds(2))) return true;
            }
            catch (Exception e) when (e is SocketException or AggregateException or FormatException) { }
            Thread.Sleep(100);
        } while (DateTime.UtcNow < deadline);
        return false;
    }
}
