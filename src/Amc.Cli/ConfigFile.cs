using System.CommandLine;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using Amc.Files;

namespace Amc.Cli;

/// <summary>
/// `--config exp.yaml` (or .json): a mapping of option names to values, e.g.
/// <c>target-macs: 0.5</c> or <c>episodes: 400</c>. Values from the file are inserted as if typed
/// before the user's flags; an option the user also typed on the command line keeps the typed
/// value. After a run, the resolved options are saved next to its output so it can be repeated.
/// </summary>
public static class ConfigFile
{
    public const string OptionName = "--config";

    /// <summary>
    /// Returns args with the config file's options added (the --config pair removed). The file is
    /// given as "--config FILE", "--config=FILE" or "--config:FILE" (the forms the parser accepts
    /// for any option), once: a second config file would leave unclear which one wins.
    /// </summary>
    public static string[] Expand(string[] args)
    {
        // Tokens after "--" are arguments, never options.
        int end = Array.IndexOf(args, "--");
        var found = Enumerable.Range(0, end < 0 ? args.Length : end).Where(i => IsConfig(args[i])).ToList();
        if (found.Count == 0) return args;
        if (found.Count > 1)
            throw new UsageException($"{OptionName} is given {found.Count} times; give one config file (flags typed on the command line override its values)");
        int at = found[0];
        bool attached = args[at] != OptionName;
        if (!attached && at + 1 >= (end < 0 ? args.Length : end)) throw new UsageException("--config needs a file, e.g. --config exp.yaml");
        string path = attached ? args[at][(OptionName.Length + 1)..] : args[at + 1];
        if (path == "") throw new UsageException("--config needs a file, e.g. --config exp.yaml");
        if (!File.Exists(path)) throw new UsageException($"--config: {path} not found");
        var rest = args.Take(at).Concat(args.Skip(at + (attached ? 1 : 2))).ToList();
        var typed = rest.Where(a => a.StartsWith("--")).Select(a => a.Split('=', ':')[0]).ToHashSet();
        var added = new List<string>();
        foreach (var (key, values) in Read(path))
        {
            string flag = "--" + key;
            if (typed.Contains(flag)) continue;
            if (values.Count == 1 && values[0] == "true") { added.Add(flag); continue; }
            if (values.Count == 1 && values[0] == "false") continue;
            added.Add(flag);
            added.AddRange(values);
        }
        // Options go after the command name (the first token that is not an option).
        int command = rest.FindIndex(a => !a.StartsWith('-'));
        rest.InsertRange(command < 0 ? rest.Count : command + 1, added);
        return rest.ToArray();
    }

    static bool IsConfig(string arg) =>
        arg == OptionName || arg.StartsWith(OptionName + "=", StringComparison.Ordinal) || arg.StartsWith(OptionName + ":", StringComparison.Ordinal);

    /// <summary>
    /// The file's option names and values, in order. Read from the YAML event stream rather than
    /// YamlDotNet's node model: that model resolves aliases into shared nodes and hashes mapping
    /// keys, so a self-referencing key recurses until the process dies. Only the shape the file
    /// needs is accepted: a mapping of names to plain values or lists of plain values (or the
    /// saved form, {"command": ..., "options": {...}}); no anchors, aliases or nested structures.
    /// </summary>
    static List<(string Key, List<string> Values)> Read(string path)
    {
        using var reader = new StreamReader(path);
        var parser = new Parser(reader);
        try
        {
            Expect<StreamStart>(parser, path);
            if (parser.Current is StreamEnd) return [];
            Expect<DocumentStart>(parser, path);
            var root = ReadNode(parser, path, depth: 0);
            Expect<DocumentEnd>(parser, path);
            if (parser.Current is not StreamEnd) throw Bad(path, "holds more than one YAML document; give one mapping of option names to values");
            if (root is not List<(string, object?)> map)
                throw Bad(path, "must be a mapping of option names to values, e.g. 'episodes: 400'");
            // A saved resolved config ({"command": ..., "options": {...}}) can be fed back as it is.
            if (map.FirstOrDefault(kv => kv.Item1 == "options").Item2 is List<(string, object?)> options) map = options;
            var result = new List<(string, List<string>)>();
            foreach (var (name, value) in map)
            {
                string key = name.TrimStart('-');
                if (key is "config" or "command" || value is null) continue;
                var values = value switch
                {
                    string text => [text],
                    List<object?> list => list.Select(v => v as string ?? throw Bad(path,
                        $"value of '{key}' must be a value or a list of values; nested lists and mappings are not supported")).ToList(),
                    _ => throw Bad(path, $"value of '{key}' must be a value or a list, not a mapping"),
                };
                result.Add((key, values));
            }
            return result;
        }
        catch (YamlException e)
        {
            throw new UsageException($"--config: {path} is not valid YAML or JSON ({e.Message})");
        }
    }

    /// <summary>Deep enough for the saved form's lists (mapping, options mapping, list, value); deeper is refused, not recursed into.</summary>
    const int MaxDepth = 3;

    /// <summary>
    /// The node at the parser's position, as a string (null for ~ / null / empty), a list of
    /// nodes, or a list of (key, node) pairs; moves past it.
    /// </summary>
    static object? ReadNode(IParser parser, string path, int depth)
    {
        var e = parser.Current!;
        if (e is AnchorAlias || e is NodeEvent { Anchor.IsEmpty: false })
            throw Bad(path, $"uses a YAML anchor or alias (line {e.Start.Line}); write each value out instead");
        if (depth > MaxDepth)
            throw Bad(path, $"nests too deeply (line {e.Start.Line}); values must be plain values or lists of them");
        Next(parser, path);
        switch (e)
        {
            case Scalar s:
                return s.Value is "" or "~" or "null" ? null : s.Value;
            case SequenceStart:
            {
                var items = new List<object?>();
                while (parser.Current is not SequenceEnd) items.Add(ReadNode(parser, path, depth + 1));
                Next(parser, path);
                return items;
            }
            case MappingStart:
            {
                var pairs = new List<(string, object?)>();
                while (parser.Current is not MappingEnd)
                {
                    var keyEvent = parser.Current!;
                    if (ReadNode(parser, path, depth + 1) is not string key)
                        throw Bad(path, $"has a key that is not an option name (line {keyEvent.Start.Line}); keys must be plain names such as 'episodes'");
                    if (pairs.Any(p => p.Item1 == key)) throw Bad(path, $"gives '{key}' twice (line {keyEvent.Start.Line}); keep one");
                    pairs.Add((key, ReadNode(parser, path, depth + 1)));
                }
                Next(parser, path);
                return pairs;
            }
            default:
                throw Bad(path, $"has an unexpected YAML element at line {e.Start.Line}");
        }
    }

    static void Expect<T>(IParser parser, string path) where T : ParsingEvent
    {
        if (parser.Current is null) Next(parser, path);
        if (parser.Current is not T) throw Bad(path, $"has an unexpected YAML element at line {parser.Current!.Start.Line}");
        // Past the stream's end there is nothing to move to.
        if (parser.Current is not StreamEnd) Move(parser, path);
    }

    /// <summary>Moves to the next event; the event stream ending inside a node means the file is cut short.</summary>
    static void Next(IParser parser, string path)
    {
        if (!Move(parser, path) || parser.Current is null) throw Bad(path, "ends unexpectedly");
    }

    /// <summary>
    /// The parser's MoveNext. YamlDotNet 16.3's scanner fails on some malformed flow mappings
    /// ("a: {b: 1~ \n# c") with an InvalidOperationException instead of a YamlException: that is
    /// the file's syntax error too.
    /// </summary>
    static bool Move(IParser parser, string path)
    {
        try
        {
            return parser.MoveNext();
        }
        catch (InvalidOperationException)
        {
            throw new UsageException($"--config: {path} is not valid YAML or JSON (after line {parser.Current?.End.Line.ToString() ?? "1"})");
        }
    }

    static UsageException Bad(string path, string problem) => new($"--config: {path} {problem}");

    /// <summary>
    /// Saves the command's resolved options (defaults included) as JSON next to its output:
    /// inside the --out folder for commands that write a folder, else beside the --out file.
    /// </summary>
    public static void SaveResolved(ParseResult p, CommandOutputs outputs)
    {
        var cmd = p.CommandResult.Command;
        if (ResolvedPath(p) is not string target) return;
        var values = new SortedDictionary<string, object?>();
        foreach (var o in cmd.Options.Concat(p.RootCommandResult.Command.Options.Where(o => o.Recursive)))
        {
            if (o.Name is "--help" or "-h" or "--version" || o.ValueType == typeof(void)) continue;
            values[o.Name.TrimStart('-')] = GetValue(p, o);
        }
        // Staged with the command's other outputs: it appears only when they all do.
        AtomicFile.WriteAllText(outputs.Stage(target), JsonSerializer.Serialize(new { command = cmd.Name, options = values }, ResultJson.Options));
    }

    /// <summary>Where <see cref="SaveResolved"/> writes: in the --out folder of search, demo and compress, else beside the --out file; null without --out.</summary>
    public static string? ResolvedPath(ParseResult p)
    {
        var cmd = p.CommandResult.Command;
        var outOption = cmd.Options.FirstOrDefault(o => o.Name == "--out");
        if (outOption is null || p.GetResult(outOption) is null) return null;
        string? output = p.GetValue((Option<string>)outOption);
        if (string.IsNullOrEmpty(output)) return null;
        return cmd.Name is "search" or "demo" or "compress"
            ? Path.Combine(output, "config.json")
            : output + ".config.json";
    }

    static object? GetValue(ParseResult p, Option o)
    {
        var method = typeof(ParseResult).GetMethods().First(m => m.Name == "GetValue" && m.IsGenericMethod && m.GetParameters()[0].ParameterType.IsGenericType
            && m.GetParameters()[0].ParameterType.GetGenericTypeDefinition() == typeof(Option<>));
        return method.MakeGenericMethod(o.ValueType).Invoke(p, [o]);
    }
}
