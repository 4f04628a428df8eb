using System.Diagnostics;

namespace Amc.Files;

/// <summary>
/// Writes a file so that a reader (or a crash) never sees it half written: write to a temporary
/// file in the same folder, flush it to disk, then rename over the target. The temporary name is
/// <c>.{name}.{pid}.tmp</c>: hidden, and tagged with the writer's process id so that a later run
/// can tell the leftovers of a killed writer from the temporary of one still running.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        // Already this process's temporary name (a staged output that becomes visible only when a
        // command commits it): write it in place rather than through a temporary of the temporary.
        if (TempOwner(full) == Environment.ProcessId)
        {
            WriteFlushed(full, write);
            return;
        }
        RemoveStaleTemps(full);
        var tmp = TempPath(full);
        try
        {
            WriteFlushed(tmp, write);
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); });

    /// <summary>The temporary name this process writes <paramref name="path"/> through.</summary>
    public static string TempPath(string path)
    {
        var full = Path.GetFullPath(path);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
    }

    /// <summary>
    /// Deletes the temporaries that writers of <paramref name="path"/> left when they were killed
    /// (kill -9, power loss): those whose process is no longer running. A temporary of a live
    /// process, this one included, is its write in progress and is left alone.
    /// </summary>
    public static void RemoveStaleTemps(string path)
    {
        var full = Path.GetFullPath(path);
        RemoveStale(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.*.tmp");
    }

    /// <summary>Deletes every killed writer's temporary in <paramref name="folder"/> (see <see cref="RemoveStaleTemps"/>).</summary>
    public static void RemoveStaleTempsIn(string folder) => RemoveStale(folder, ".*.tmp");

    static void RemoveStale(string folder, string pattern)
    {
        if (!Directory.Exists(folder)) return;
        foreach (var file in Directory.EnumerateFiles(folder, pattern))
            if (TempOwner(file) is int pid && !IsRunning(pid))
            {
                try { File.Delete(file); }
                catch (IOException) { } // another run cleaning up at the same moment
                catch (UnauthorizedAccessException) { } // not ours to delete: leave it
            }
    }

    /// <summary>The process id in a temporary name <c>.{name}.{pid}.tmp</c>; null for any other name.</summary>
    static int? TempOwner(string path)
    {
        var name = Path.GetFileName(path);
        if (!name.StartsWith('.') || !name.EndsWith(".tmp", StringComparison.Ordinal)) return null;
        var stem = name[..^".tmp".Length];
        int dot = stem.LastIndexOf('.');
        return dot > 0 && int.TryParse(stem[(dot + 1)..], out int pid) && pid > 0 ? pid : null;
    }

    static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    static void WriteFlushed(string path, Action<Stream> write)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        write(stream);
        stream.Flush(flushToDisk: true);
    }
}
