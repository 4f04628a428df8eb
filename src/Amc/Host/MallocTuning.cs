using System.Runtime.InteropServices;

namespace Amc.Host;

/// <summary>
/// glibc returns freed memory to the OS eagerly, and libtorch allocates and frees large buffers on
/// every op; on these machines that trimming cost a large share of training and inference time
/// (docs/BENCHMARKS.md, "Measurements behind design choices").
/// Raising the trim threshold and the mmap threshold keeps the memory in the process. The price is
/// fragmentation: freed chunks stay resident, and a long run of training steps crept up from the
/// peak its estimate was calibrated on (<see cref="ReleaseAbove"/> gives it back).
/// </summary>
public static class MallocTuning
{
    const int M_TRIM_THRESHOLD = -1;
    const int M_MMAP_THRESHOLD = -3;

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int Mallopt(int param, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    static extern int MallocTrim(nuint pad);

    static bool applied;

    /// <summary>
    /// Returns the free memory the allocator holds to the OS (malloc_trim) when the process's
    /// resident memory is above <paramref name="bytes"/>; below it, keeps it for reuse, as
    /// <see cref="Apply"/> wants: once returned, a step faults its activations in again.
    /// </summary>
    /// <returns>Whether it trimmed.</returns>
    public static bool ReleaseAbove(long bytes)
    {
        if (!OperatingSystem.IsLinux() || Environment.WorkingSet <= bytes) return false;
        try
        {
            MallocTrim(0);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // not glibc
        }
    }

    public static void Apply()
    {
        if (applied || !OperatingSystem.IsLinux()) return;
        applied = true;
        try
        {
            Mallopt(M_TRIM_THRESHOLD, int.MaxValue);
            Mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (e.g. musl): nothing to tune.
        }
    }
}
