using System.CommandLine;
using Amc.Cli;
using Amc.Cli.Commands;

Amc.Runtime.MallocTuning.Apply();
// First, while this is the only thread that could read the environment it changes.
Amc.Deploy.OnnxRuntimeEnvironment.DisableTelemetry();

var root = new RootCommand("amc: AutoML for Model Compression (He et al., ECCV 2018) for CNNs, in .NET");
root.Options.Add(CommonOptions.Seed);
root.Options.Add(CommonOptions.Threads);
root.Options.Add(CommonOptions.Json);
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(ProfileCommand.Create());
root.Subcommands.Add(PruneCommand.Create());
root.Subcommands.Add(SearchCommand.Create());
root.Subcommands.Add(FinetuneCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(ImportCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(LatencyTableCommand.Create());
root.Subcommands.Add(DemoCommand.Create(async stepArgs =>
{
    var step = root.Parse(stepArgs);
    if (step.Errors.Count > 0) throw new UsageException(string.Join("; ", step.Errors.Select(e => e.Message)));
    // Each step's outputs are committed when it succeeds: the next step reads them.
    return await Run(step, saveResolvedOptions: false);
}));

root.Options.Add(new Option<string>(ConfigFile.OptionName) { Description = "YAML or JSON file of options (flags on the command line win)", Recursive = true });
try
{
    args = ConfigFile.Expand(args);
}
catch (UsageException e)
{
    Console.Error.WriteLine(ExitCodes.OneLine(e.Message));
    return ExitCodes.BadInput;
}
var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // One line, so scripts can show or grep it: every parse error, then where help is.
    Console.Error.WriteLine(ExitCodes.OneLine($"{string.Join("; ", parse.Errors.Select(e => e.Message))} (run 'amc --help' or 'amc <command> --help' for usage)"));
    return ExitCodes.BadInput;
}
try
{
    return await Run(parse, saveResolvedOptions: true);
}
catch (Exception e) when (ExitCodes.IsBadInput(e))
{
    Console.Error.WriteLine(ExitCodes.OneLine(e.Message));
    return ExitCodes.BadInput;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    // The file system said no (disk full, permissions): not a bug, and its message names the path.
    Console.Error.WriteLine(ExitCodes.OneLine(e.Message));
    return ExitCodes.Failure;
}
catch (Exception e)
{
    // A bug, not the user's input: the whole exception helps the report.
    Console.Error.WriteLine($"error: internal failure: {e}");
    return ExitCodes.Failure;
}

/// <summary>
/// Invokes a parsed command with its outputs staged (CommandOutputs): they replace their targets,
/// with the resolved options beside them, only if the command succeeds; otherwise, or if it
/// throws, what it created is deleted.
/// </summary>
static async Task<int> Run(ParseResult parse, bool saveResolvedOptions)
{
    using var outputs = CommandOutputs.Open(parse);
    int code = await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    if (code != ExitCodes.Ok) return code;
    // Only a run of the command itself has results to sit beside (not --help or --version).
    if (saveResolvedOptions && parse.Action == parse.CommandResult.Command.Action) ConfigFile.SaveResolved(parse, outputs);
    outputs.Commit();
    return code;
}
