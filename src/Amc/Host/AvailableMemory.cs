namespace Amc.Host;

/// <summary>
/// How much memory a run can still take: the kernel's MemAvailable (free memory plus caches it
/// can drop, without swapping), capped by the limit the .NET GC sees (a container's cgroup limit,
/// which MemAvailable ignores) less what this process already holds.
/// </summary>
public static class AvailableMemory
{
    public static long Bytes()
    {
        long limit = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes - Environment.WorkingSet;
        return MemAvailable() is long free ? Math.Min(free, limit) : limit;
    }

    /// <summary>MemAvailable of /proc/meminfo in bytes, or null off Linux (or on kernels before 3.14).</summary>
    public static long? MemAvailable(string path = "/proc/meminfo")
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return parts.Length >= 2 && long.TryParse(parts[1], out var kb) ? kb * 1024 : null;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
