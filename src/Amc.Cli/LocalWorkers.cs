using System.Diagnostics;
using Amc.Distributed;

namespace Amc.Cli;

/// <summary>
/// The `amc worker` child processes of `amc search --workers N`. Separate processes, not silos in
/// the search's own process: each has its own libtorch and ONNX Runtime thread pools (one thread
/// each), its own memory, and can die on its own, as a worker on another machine would.
/// </summary>
sealed class LocalWorkers : IDisposable
{
    readonly List<Process> processes = [];
    readonly List<string> errors = [];
    readonly string configPath;

    LocalWorkers(string configPath) => this.configPath = configPath;

    public static LocalWorkers Start(ClusterConfig config, int count, IEnumerable<string> served)
    {
        // The secret goes in a file only this user reads, not on the command line (ps shows that to everyone).
        string path = Path.Combine(Path.GetTempPath(), $"amc-cluster-{Environment.ProcessId}-{Guid.NewGuid():N}.json");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var writer = new StreamWriter(path, options)) writer.Write(config.ToJson());
        var workers = new LocalWorkers(path);
        try
        {
            for (int i = 0; i < count; i++) workers.processes.Add(workers.StartOne(served));
        }
        catch
        {
            workers.Dispose();
            throw;
        }
        return workers;
    }

    Process StartOne(IEnumerable<string> served)
    {
        // The amc apphost beside this assembly, else `dotnet Amc.Cli.dll` (as the tests run it).
        string dll = typeof(LocalWorkers).Assembly.Location, apphost = Path.ChangeExtension(dll, OperatingSystem.IsWindows() ? ".exe" : null);
        var info = new ProcessStartInfo(File.Exists(apphost) ? apphost : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (!File.Exists(apphost)) info.ArgumentList.Add(dll);
        foreach (var a in new[] { "worker", "--cluster", configPath, "--threads", "1", "--exit-with", $"{Environment.ProcessId}" }) info.ArgumentList.Add(a);
        foreach (var s in served)
        {
            info.ArgumentList.Add("--serve");
            info.ArgumentList.Add(s);
        }
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is string line) lock (errors) errors.Add(line);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Whether a worker has exited (before the search ends, a failure: see <see cref="Errors"/>).</summary>
    public bool AnyExited => processes.Any(p => p.HasExited);

    public string Errors()
    {
        lock (errors) return string.Join(" ", errors);
    }

    public void Dispose()
    {
        foreach (var p in processes)
        {
            try { if (!p.HasExited) p.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { } // it exited meanwhile
            p.Dispose();
        }
        File.Delete(configPath);
    }
}
