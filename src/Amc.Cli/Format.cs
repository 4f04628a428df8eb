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

    public static string Percent(double fraction) => $"{100 * fraction:F2} %";
}
