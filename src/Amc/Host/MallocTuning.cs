using System.Runtime.InteropServices;

namespace Amc.Host;

/// <summary>
/// glibc returns freed memory to the OS eagerly, and libtorch allocates and frees large buffers on
/// every op; on these machines that trimming cost a large share of training and inference time
/// (docs/BENCHMARKS.md, "Measurements behind design choices").
/// Raising the trim threshold and the mmap threshold keeps the memory in the process.
/// </summary>
public static class MallocTuning
{
    const int M_TRIM_THRESHOLD = -1;
    const int M_MMAP_THRESHOLD = -3;

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int Mallopt(int param, int value);

    static bool applied;

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
