using System.Diagnostics;

namespace Amc.Tests.Cli;

/// <summary>What one run of the amc command gave back.</summary>
sealed record CliResult(string[] Args, int ExitCode, string Stdout, string Stderr)
{
    public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"amc {string.Join(' ', Args)} -> exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// Runs the amc command as a child process, as a user does: exit codes, stderr and crashes are
/// then the real ones (an unhandled exception in-process would only fail the test, never show
/// what the user sees). The Amc.Cli build next to the test assembly is started with `dotnet`.
/// </summary>
static class CliRun
{
    static readonly string Dll = typeof(Amc.Cli.ExitCodes).Assembly.Location;

    /// <summary>Runs amc with --threads 1 added: the tests run beside each other on small machines.</summary>
    public static CliResult Amc(params string[] args) => Run(Start(args), args);

    /// <summary>Runs amc with an environment variable set (e.g. XDG_CACHE_HOME, to keep caches in a temp folder).</summary>
    public static CliResult AmcWith((string Name, string Value) variable, params string[] args)
    {
        var process = Start(false, args);
        process.StartInfo.Environment[variable.Name] = variable.Value;
        process.Start();
        return Run(process, args);
    }

    /// <summary>
    /// Runs amc in <paramref name="workingDirectory"/> with environment variables set, or removed
    /// where the value is null (e.g. HOME and TMPDIR in temp folders, to see what a run writes).
    /// </summary>
    public static CliResult AmcIn(string workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var process = Start(false, args);
        process.StartInfo.WorkingDirectory = workingDirectory;
        foreach (var (name, value) in environment)
            if (value is null) process.StartInfo.Environment.Remove(name);
            else process.StartInfo.Environment[name] = value;
        process.Start();
        return Run(process, args);
    }

    public static Process Start(params string[] args) => Start(true, args);

    static Process Start(bool start, string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.ArgumentList.Add("--threads");
        info.ArgumentList.Add("1");
        var process = new Process { StartInfo = info };
        if (start) process.Start();
        return process;
    }

    public static CliResult Run(Process process, string[] args, int timeoutSeconds = 120)
    {
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"amc {string.Join(' ', args)} ran longer than {timeoutSeconds} s");
            }
            return new CliResult(args, process.ExitCode, stdout.Result, stderr.Result);
        }
    }
}
