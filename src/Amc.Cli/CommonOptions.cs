using System.CommandLine;
using TorchSharp;

namespace Amc.Cli;

/// <summary>Options every command shares, and the process set-up they drive.</summary>
public static class CommonOptions
{
    public static readonly Option<int> Seed = new("--seed") { Description = "Seed for every random choice (same seed, same result)", DefaultValueFactory = _ => 0, Recursive = true };
    /// <summary>More threads than this is a typo, not a machine: each one is an OS thread libtorch starts.</summary>
    public const int MaxThreads = 1024;

    public static readonly Option<int> Threads = new Option<int>("--threads") { Description = "CPU threads for tensor work (default: all cores)", DefaultValueFactory = _ => Environment.ProcessorCount, Recursive = true }
        .In(OptionRange.Between(1, MaxThreads));
    public static readonly Option<bool> Json = new("--json") { Description = "Print the result as JSON on stdout", Recursive = true };

    /// <summary>The command as the user typed it, recorded in checkpoints and configs so a run can be repeated.</summary>
    public static string CommandLine => "amc " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));

    /// <summary>Applies --threads and --seed to libtorch; call before any tensor work.</summary>
    public static void Apply(ParseResult p)
    {
        torch.set_num_threads(p.GetValue(Threads));
        torch.manual_seed(p.GetValue(Seed));
    }
}
