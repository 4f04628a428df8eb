namespace Amc.Cli;

/// <summary>
/// The one check that a command's outputs do not overwrite its inputs (or each other): `amc export
/// --checkpoint a.amc --onnx a.amc` would replace the checkpoint with the ONNX file. Paths are
/// compared as the file system sees them: made absolute, symbolic links resolved in every part
/// (a linked folder too), and without regard to case where the file system usually ignores it
/// (Windows, macOS). Hard links are not detected.
/// </summary>
public static class OutputPaths
{
    /// <summary>A path and the option it came from, or what it is, e.g. "the optimizer state (of --out)".</summary>
    public readonly record struct Named(string Name, string? Path);

    /// <summary>
    /// Throws a UsageException naming both options when an output is the same file as an input
    /// that exists, or as another output. Null paths (options not given) are skipped.
    /// </summary>
    public static void RefuseClashes(IEnumerable<Named> outputs, IEnumerable<Named> inputs)
    {
        var outs = outputs.Where(o => o.Path is not null).Select(o => (o.Name, o.Path, Canonical: Canonical(o.Path!))).ToList();
        // An input that does not exist cannot be destroyed; the command reports it missing.
        var ins = inputs.Where(i => i.Path is not null && (File.Exists(i.Path) || Directory.Exists(i.Path)))
            .Select(i => (i.Name, i.Path, Canonical: Canonical(i.Path!))).ToList();
        foreach (var o in outs)
            foreach (var i in ins)
                if (Same(o.Canonical, i.Canonical))
                    throw new UsageException($"{o.Name} {o.Path} is the same {(Directory.Exists(i.Path) ? "folder" : "file")} as {i.Name} {i.Path}: " +
                        "the output would overwrite the input; give another output path");
        for (int a = 0; a < outs.Count; a++)
            for (int b = a + 1; b < outs.Count; b++)
                if (Same(outs[a].Canonical, outs[b].Canonical))
                    throw new UsageException($"{outs[a].Name} {outs[a].Path} and {outs[b].Name} {outs[b].Path} are the same file; choose different output paths");
    }

    static bool Same(string a, string b) =>
        string.Equals(a, b, OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    /// <summary>The absolute path with every symbolic link in it resolved; parts that do not exist yet are kept as given.</summary>
    public static string Canonical(string path) => Canonical(path, depth: 0);

    static string Canonical(string path, int depth)
    {
        // As the OS does (ELOOP): a cycle of links is not followed forever.
        if (depth > 40) return Path.GetFullPath(path);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var root = Path.GetPathRoot(full)!;
        var current = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            // LinkTarget reads the link itself (lstat), so a link to a missing file is still seen.
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (info.LinkTarget is string target)
                current = Canonical(Path.Combine(Path.GetDirectoryName(current)!, target), depth + 1);
        }
        return current;
    }
}
