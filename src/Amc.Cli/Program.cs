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

root.Options.Add(new Option<string>(ConfigFile.OptionName) { Description = "YAML or JSON file of options (flags on the command line win)", Recursive = true });
try
{
    args = ConfigFile.Expand(args);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return ExitCodes.BadInput;
}
var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var e in parse.Errors) Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine("Run 'amc --help' or 'amc <command> --help' for usage.");
    return ExitCodes.BadInput;
}
try
{
    int code = await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    if (code == ExitCodes.Ok) ConfigFile.SaveResolved(parse);
    return code;
}
catch (Exception e) when (ExitCodes.IsBadInput(e))
{
    Console.Error.WriteLine($"error: {e.Message}");
    return ExitCodes.BadInput;
}
catch (Exception e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    if (Environment.GetEnvironmentVariable("AMC_DEBUG") == "1") Console.Error.WriteLine(e);
    else Console.Error.WriteLine("(an internal error; set AMC_DEBUG=1 to see the stack trace, and please report it)");
    return ExitCodes.Failure;
}
