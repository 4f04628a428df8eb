using System.CommandLine;
using System.Text.Json;
using Amc.Runtime;
using YamlDotNet.RepresentationModel;

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

    /// <summary>Returns args with the config file's options added (the --config pair removed).</summary>
    public static string[] Expand(string[] args)
    {
        int at = Array.IndexOf(args, OptionName);
        if (at < 0) return args;
        if (at + 1 >= args.Length) throw new UsageException("--config needs a file, e.g. --config exp.yaml");
        string path = args[at + 1];
        if (!File.Exists(path)) throw new UsageException($"--config: {path} not found");
        var rest = args.Take(at).Concat(args.Skip(at + 2)).ToList();
        var typed = rest.Where(a => a.StartsWith("--")).Select(a => a.Split('=')[0]).ToHashSet();
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

    static List<(string Key, List<string> Values)> Read(string path)
    {
        var yaml = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            yaml.Load(reader);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new UsageException($"--config: {path} is not valid YAML or JSON ({e.Message})");
        }
        if (yaml.Documents.Count == 0) return [];
        if (yaml.Documents[0].RootNode is not YamlMappingNode map)
            throw new UsageException($"--config: {path} must be a mapping of option names to values, e.g. 'episodes: 400'");
        // A saved resolved config ({"command": ..., "options": {...}}) can be fed back as it is.
        if (map.Children.TryGetValue(new YamlScalarNode("options"), out var inner) && inner is YamlMappingNode options) map = options;
        var result = new List<(string, List<string>)>();
        foreach (var (k, v) in map.Children)
        {
            if (v is YamlScalarNode { Value: null or "" or "null" or "~" }) continue;
            if (((YamlScalarNode)k).Value is "config" or "command") continue;
            string key = ((YamlScalarNode)k).Value!.TrimStart('-');
            var values = v switch
            {
                YamlScalarNode s => [s.Value ?? ""],
                YamlSequenceNode seq => seq.Children.Select(c => ((YamlScalarNode)c).Value ?? "").ToList(),
                _ => throw new UsageException($"--config: value of '{key}' in {path} must be a value or a list"),
            };
            result.Add((key, values));
        }
        return result;
    }

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
        AtomicFile.WriteAllText(outputs.Stage(target), JsonSerializer.Serialize(new { command = cmd.Name, options = values }, CliJson.Options));
    }

    /// <summary>Where <see cref="SaveResolved"/> writes: in the --out folder of search and demo, else beside the --out file; null without --out.</summary>
    public static string? ResolvedPath(ParseResult p)
    {
        var cmd = p.CommandResult.Command;
        var outOption = cmd.Options.FirstOrDefault(o => o.Name == "--out");
        if (outOption is null || p.GetResult(outOption) is null) return null;
        string? output = p.GetValue((Option<string>)outOption);
        if (string.IsNullOrEmpty(output)) return null;
        return cmd.Name == "search" || cmd.Name == "demo"
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
