namespace Amc.Latency;

/// <summary>How a latency table is measured and where it is cached.</summary>
/// <param name="Threads">ONNX Runtime intra-op threads, as the deployed network will run.</param>
/// <param name="MaxValuesPerAxis">A layer whose input or output can take more widths than this is
/// measured on this many of them (evenly spread, both ends included) and interpolated in between;
/// MobileNet's 1024-channel pointwise convs would otherwise need ~100 x 100 measurements each.</param>
/// <param name="CacheDirectory">Null: $XDG_CACHE_HOME/amc/latency or ~/.cache/amc/latency.</param>
/// <param name="UseCache">False: always measure (the result is still written).</param>
/// <param name="Int8">Time the network as `amc quantize` deploys it: every conv / linear layer int8
/// but the first and the last, the whole networks quantized (ranges from random inputs: an
/// integer kernel's time does not depend on them).</param>
public sealed record LatencyTableOptions(
    int Threads = 1,
    int Warmup = 5,
    int Repeats = 30,
    int MaxValuesPerAxis = 16,
    string? CacheDirectory = null,
    bool UseCache = true,
    bool Int8 = false)
{
    public string ResolvedCacheDirectory => CacheDirectory ?? DefaultCacheDirectory();

    static string DefaultCacheDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg;
        return Path.Combine(root, "amc", "latency");
    }
}
