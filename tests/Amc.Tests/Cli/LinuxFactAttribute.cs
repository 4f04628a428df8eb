namespace Amc.Tests.Cli;

/// <summary>A fact that needs Linux process signals; skipped elsewhere.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "needs SIGSTOP / SIGCONT (Linux)";
    }
}
