using System.CommandLine;
using System.Runtime.CompilerServices;
using Amc.Files;

namespace Amc.Cli;

/// <summary>
/// What one run of a command writes, so that a run that fails leaves nothing behind and a file it
/// would replace stays as it was. Outputs are staged: written under their temporary name
/// (<see cref="AtomicFile.TempPath"/>) and renamed over their targets only when the command has
/// succeeded, its resolved-options file included (<see cref="Commit"/>). A failed run deletes its
/// temporaries, the files it tracked and created, and the folders it created that are left empty.
/// Files written as a run goes (train's per-epoch checkpoints, search's state and log) are not
/// staged: they are what --resume continues from, and are kept when the run stops.
/// </summary>
public sealed class CommandOutputs : IDisposable
{
    static readonly ConditionalWeakTable<ParseResult, CommandOutputs> open = new();

    readonly ParseResult parse;
    readonly List<(string Target, string Temp, bool Existed)> staged = [];
    readonly List<string> createdFiles = [], createdFolders = [];
    readonly List<IDisposable> held = [];
    Func<bool> resumable = () => false;
    bool committed;

    CommandOutputs(ParseResult parse) => this.parse = parse;

    /// <summary>Opens the outputs of one command run; Program commits them when the command succeeds.</summary>
    public static CommandOutputs Open(ParseResult parse)
    {
        var outputs = new CommandOutputs(parse);
        open.AddOrUpdate(parse, outputs);
        return outputs;
    }

    /// <summary>The outputs of the run <paramref name="parse"/> is invoking.</summary>
    public static CommandOutputs Of(ParseResult parse) =>
        open.TryGetValue(parse, out var outputs) ? outputs : throw new InvalidOperationException("the command was invoked without CommandOutputs.Open");

    /// <summary>
    /// Declares the files (and folders) this run will write and the files it reads, before any
    /// work: refuses an output that is an input or another output (<see cref="OutputPaths"/>), and
    /// removes the temporaries killed runs left beside each output. The resolved-options file of
    /// --out is added to the outputs here.
    /// </summary>
    public void Declare(IEnumerable<OutputPaths.Named> outputs, IEnumerable<OutputPaths.Named> inputs)
    {
        var all = outputs.ToList();
        if (ConfigFile.ResolvedPath(parse) is string config && !all.Any(o => o.Path == config))
            all.Add(new("the resolved options (of --out)", config));
        OutputPaths.RefuseClashes(all, inputs);
        foreach (var o in all)
            if (o.Path is not null) AtomicFile.RemoveStaleTemps(o.Path);
    }

    /// <summary>
    /// The path to write <paramref name="target"/> to: its temporary name, renamed over the target
    /// by <see cref="Commit"/>. Creates the folder if needed (removed again if the run fails).
    /// </summary>
    public string Stage(string target)
    {
        var full = Path.GetFullPath(target);
        if (staged.FirstOrDefault(s => s.Target == full) is { Temp: not null } already) return already.Temp;
        CreateFolder(Path.GetDirectoryName(full)!);
        var temp = AtomicFile.TempPath(full);
        staged.Add((full, temp, File.Exists(full)));
        return temp;
    }

    /// <summary>Creates a folder and its missing parents; those this run created are removed on failure if left empty.</summary>
    public void CreateFolder(string folder)
    {
        var missing = new Stack<string>();
        for (var f = Path.GetFullPath(folder); !Directory.Exists(f); f = Path.GetDirectoryName(f)!) missing.Push(f);
        Directory.CreateDirectory(folder);
        createdFolders.AddRange(missing);
    }

    /// <summary>
    /// A file the command writes itself, not staged (a log, a state file, a lock): if it does not
    /// exist yet, this run creates it, and a failed run deletes it unless the run is resumable.
    /// </summary>
    public void Track(string file)
    {
        var full = Path.GetFullPath(file);
        if (!File.Exists(full)) createdFiles.Add(full);
    }

    /// <summary>
    /// When <paramref name="resumable"/> holds after a failure, the tracked files are kept: they
    /// are the state --resume continues from (search's state saved after an episode).
    /// </summary>
    public void KeepTrackedWhen(Func<bool> resumable) => this.resumable = resumable;

    /// <summary>Keeps <paramref name="resource"/> (a folder lock) until the outputs are committed or cleaned up, then disposes it.</summary>
    public T Hold<T>(T resource) where T : IDisposable
    {
        held.Add(resource);
        return resource;
    }

    /// <summary>Renames every staged output over its target: the run succeeded.</summary>
    public void Commit()
    {
        var renamed = new List<(string Target, bool Existed)>();
        try
        {
            foreach (var (target, temp, existed) in staged)
            {
                File.Move(temp, target, overwrite: true);
                renamed.Add((target, existed));
            }
            committed = true;
        }
        catch
        {
            // A rename failed (rare: same folder, same file system): undo what this run created.
            // Files it already replaced cannot be given back.
            foreach (var (target, existed) in renamed)
                if (!existed) TryDelete(target);
            throw;
        }
    }

    /// <summary>Releases what is held; not committed (the command failed or threw): deletes what this run created.</summary>
    public void Dispose()
    {
        open.Remove(parse);
        if (!committed)
        {
            foreach (var (_, temp, _) in staged) TryDelete(temp);
            if (!resumable())
                foreach (var file in createdFiles) TryDelete(file);
        }
        foreach (var resource in held) resource.Dispose();
        if (committed) return;
        // Deepest first, and only when empty: a folder that now holds anything else is not ours to remove.
        foreach (var folder in createdFolders.OrderByDescending(f => f.Length))
        {
            try
            {
                if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    static void TryDelete(string file)
    {
        try { File.Delete(file); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
