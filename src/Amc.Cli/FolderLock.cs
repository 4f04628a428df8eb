using Amc.Files;
using System.Text.Json;

namespace Amc.Cli;

/// <summary>
/// An exclusive lock on an output folder for as long as a run writes it (amc search): two runs on
/// one folder would interleave their episode logs and overwrite each other's state. The lock is
/// an OS lock on one byte of the folder's <c>.lock</c> file, so it ends with its process, kill -9
/// included, and a stale file never blocks the next run. The locked byte lies past the text the
/// holder writes (pid, host, start time, command), so a refused run can read whom to wait for:
/// an exclusive open (FileShare.None) would keep that text from other processes too.
/// </summary>
public sealed class FolderLock : IDisposable
{
    public const string FileName = ".lock";
    const long LockedByte = 1L << 30;

    readonly FileStream stream;

    FolderLock(FileStream stream) => this.stream = stream;

    /// <summary>Locks <paramref name="folder"/> (which must exist), or refuses naming the run that holds it.</summary>
    /// <param name="option">The option that named the folder, for the message (e.g. "--out").</param>
    public static FolderLock Acquire(string folder, string option)
    {
        var path = Path.Combine(folder, FileName);
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        if (OperatingSystem.IsMacOS())
        {
            // .NET has no byte-range locks there. An exclusive open locks the whole file instead
            // (also released when the process dies), and hides the holder's details.
            stream.Dispose();
            try { stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) { throw Refused(folder, option, "its details cannot be read on this platform"); }
        }
        else
        {
            try
            {
                stream.Lock(LockedByte, 1);
            }
            catch (IOException)
            {
                string holder = Holder(stream);
                stream.Dispose();
                throw Refused(folder, option, holder);
            }
        }
        stream.SetLength(0);
        JsonSerializer.Serialize(stream, new Holding(Environment.ProcessId, Environment.MachineName, DateTimeOffset.Now, CommonOptions.CommandLine), ResultJson.Options);
        stream.Flush(flushToDisk: true);
        return new FolderLock(stream);
    }

    static UsageException Refused(string folder, string option, string holder) =>
        new($"{option} {folder} is in use by another run ({holder}); wait for it to finish or choose another {option}");

    /// <summary>Who holds the lock, as its holder wrote it; the holder may not have written it yet.</summary>
    static string Holder(FileStream stream)
    {
        try
        {
            stream.Position = 0;
            var h = JsonSerializer.Deserialize<Holding>(stream, ResultJson.Options);
            if (h is not null) return $"pid {h.Pid} on {h.Host}, started {h.Started:yyyy-MM-dd HH:mm:ss zzz}: {h.Command}";
        }
        catch (JsonException) { }
        return "a process that has not written its details yet";
    }

    sealed record Holding(int Pid, string Host, DateTimeOffset Started, string Command);

    /// <summary>Releases the lock; the file stays (deleting it would let a run that opened it just before lock a file no one else sees).</summary>
    public void Dispose() => stream.Dispose();
}
