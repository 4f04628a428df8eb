using System.CommandLine;
using Amc.Cli.Commands;

namespace Amc.Cli;

/// <summary>
/// The `amc` command as a function: arguments in, exit code out, every failure turned into the
/// README's contract (0 success, 2 bad input on one line, 1 anything else). Program.cs calls it;
/// tests call it in process to try thousands of malformed inputs in seconds.
/// </summary>
public static class AmcCli
{
    public static async Task<int> RunAsync(string[] args, TextWriter? errors = null)
    {
        errors ??= Console.Error;
        var root = new RootCommand("amc: AutoML for Model Compression (He et al., ECCV 2018) for CNNs, in .NET");
        root.Options.Add(CommonOptions.Seed);
        root.Options.Add(CommonOptions.Threads);
        root.Options.Add(CommonOptions.Json);
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(ProfileCommand.Create());
        root.Subcommands.Add(PruneCommand.Create());
        root.Subcommands.Add(SearchCommand.Create());
        root.Subcommands.Add(WorkerCommand.Create());
        root.Subcommands.Add(FinetuneCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(QuantizeCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(LatencyTableCommand.Create());
        root.Subcommands.Add(CompressCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        var config = new Option<string>(ConfigFile.OptionName) { Description = "YAML or JSON file of options (flags on the command line win)", Recursive = true };
        root.Options.Add(config);

        try
        {
            args = ConfigFile.Expand(args);
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                // One line, so scripts can show or grep it: every parse error, then where help is.
                errors.WriteLine(ExitCodes.OneLine($"{string.Join("; ", parse.Errors.Select(e => e.Message))} (run 'amc --help' or 'amc <command> --help' for usage)"));
                return ExitCodes.BadInput;
            }
            // Expand found none; one the parser still sees came from a response file (@file), which Expand cannot read.
            if (parse.GetResult(config) is not null)
            {
                errors.WriteLine(ExitCodes.OneLine($"{ConfigFile.OptionName} inside a response file (@file) is not read; give it on the command line"));
                return ExitCodes.BadInput;
            }
            return await Invoke(parse);
        }
        catch (Exception e) when (ExitCodes.IsBadInput(e))
        {
            errors.WriteLine(ExitCodes.OneLine(e.Message));
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The file system said no (disk full, permissions): not a bug, and its message names the path.
            errors.WriteLine(ExitCodes.OneLine(e.Message));
            return ExitCodes.Failure;
        }
        catch (Exception e)
        {
            // A bug, not the user's input: the whole exception helps the report.
            errors.WriteLine($"error: internal failure: {e}");
            return ExitCodes.Failure;
        }
    }

    /// <summary>
    /// Invokes a parsed command with its outputs staged (CommandOutputs): they replace their targets,
    /// with the resolved options beside them, only if the command succeeds; otherwise, or if it
    /// throws, what it created is deleted.
    /// </summary>
    static async Task<int> Invoke(ParseResult parse)
    {
        using var outputs = CommandOutputs.Open(parse);
        int code = await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        if (code != ExitCodes.Ok) return code;
        // Only a run of the command itself has results to sit beside (not --help or --version).
        if (parse.Action == parse.CommandResult.Command.Action) ConfigFile.SaveResolved(parse, outputs);
        outputs.Commit();
        return code;
    }
}
