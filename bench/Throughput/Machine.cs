using System.Runtime.InteropServices;

/// <summary>What the numbers were taken on, for the results file.</summary>
static class Machine
{
    public static string CpuModel()
    {
        const string cpuinfo = "/proc/cpuinfo";
        if (!File.Exists(cpuinfo)) return RuntimeInformation.ProcessArchitecture.ToString();
        var line = File.ReadLines(cpuinfo).FirstOrDefault(l => l.StartsWith("model name"));
        return line is null ? "unknown" : line[(line.IndexOf(':') + 1)..].Trim();
    }

    /// <summary>The 1-minute load average: above the bench's own threads, other work shared the cores.</summary>
    public static double? LoadAverage()
    {
        const string loadavg = "/proc/loadavg";
        return File.Exists(loadavg) ? double.Parse(File.ReadAllText(loadavg).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    public static string Describe() =>
        $"{Environment.ProcessorCount} cores (nproc), {CpuModel()}, {RuntimeInformation.OSDescription}, .NET {Environment.Version}";
}
