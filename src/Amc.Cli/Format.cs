namespace Amc.Cli;

static class Format
{
    /// <summary>1234567 -> "1.23 M": counts as people read them in papers.</summary>
    public static string Count(long n) => n switch
    {
        >= 1_000_000_000 => $"{n / 1e9:F2} G",
        >= 1_000_000 => $"{n / 1e6:F2} M",
        >= 1_000 => $"{n / 1e3:F1} K",
        _ => n.ToString(),
    };

    public static string Duration(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : t.TotalMinutes >= 1 ? $"{t.Minutes}m{t.Seconds:D2}s" : $"{t.TotalSeconds:F1}s";

    /// <summary>File sizes in powers of 1024, as file managers show them.</summary>
    public static string Bytes(long n) => n switch
    {
        >= 1L << 30 => $"{n / (double)(1L << 30):F2} GiB",
        >= 1L << 20 => $"{n / (double)(1L << 20):F2} MiB",
        >= 1L << 10 => $"{n / 1024.0:F1} KiB",
        _ => $"{n} B",
    };

    public static string Percent(double fraction) => $"{100 * fraction:F2} %";
}
