namespace Amc.Data;

/// <summary>
/// A class-list file: one class folder name per line, in the model's label order (line 1 is
/// label 0), so a model trained elsewhere (a 1000-class ImageNet model) is scored against its own
/// label order rather than the folder's alphabetical one. Only a line's first word is the name, so
/// a synset file such as "n01440764 tench, Tinca tinca" works as it is; blank lines are skipped.
/// Folder names with spaces cannot be listed.
/// </summary>
public static class ClassList
{
    public static string[] Read(string path)
    {
        if (!File.Exists(path))
            throw new DataFormatException(path, "class-list file not found");
        var names = File.ReadLines(path)
            .Select(line => line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(words => words.Length > 0)
            .Select(words => words[0])
            .ToArray();
        if (names.Length == 0)
            throw new DataFormatException(path, "class-list file names no class", "Write one class folder name per line, in the model's label order");
        var repeated = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null)
            throw new DataFormatException(path, $"names class '{repeated.Key}' {repeated.Count()} times", "Each class has one label: list every folder name once");
        return names;
    }
}
