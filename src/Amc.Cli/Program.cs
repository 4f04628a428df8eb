using System.CommandLine;
using Amc.Cli;
using Amc.Cli.Commands;

Amc.Runtime.MallocTuning.Apply();

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
    return await step.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}));

var config = new Option<string>(ConfigFile.OptionName) { Description = "YAML or JSON file of options (flags on the command line win)", Recursive = true };
root.Options.Add(config);
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
// Expand found none; one the parser still sees came from a response file (@file), which Expand cannot read.
if (parse.GetResult(config) is not null)
{
    Console.Error.WriteLine(ExitCodes.OneLine($"{ConfigFile.OptionName} inside a response file (@file) is not read; give it on the command line"));
    return ExitCodes.BadInput;
}
try
{
    int code = await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    // Only a run of the command itself has results to sit beside (not --help or --version).
    if (code == ExitCodes.Ok && parse.Action == parse.CommandResult.Command.Action) ConfigFile.SaveResolved(parse);
    return code;
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
