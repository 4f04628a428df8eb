using System.CommandLine;
using TorchSharp;

namespace Amc.Cli;

/// <summary>Options every command shares, and the process set-up they drive.</summary>
public static class CommonOptions
{
    public static readonly Option<int> Seed = new("--seed") { Description = "Seed for every random choice (same seed, same result)", DefaultValueFactory = _ => 0, Recursive = true };
    public static readonly Option<int> Threads = new("--threads") { Description = "CPU threads for tensor work (default: all cores)", DefaultValueFactory = _ => Environment.ProcessorCount, Recursive = true };
    public static readonly Option<bool> Json = new("--json") { Description = "Print the result as JSON on stdout", Recursive = true };

    /// <summary>The command as the user typed it, recorded in checkpoints and configs so a run can be repeated.</summary>
    public static string CommandLine => "amc " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));

    /// <summary>Applies --threads and --seed to libtorch; call before any tensor work.</summary>
    public static void Apply(ParseResult p)
    {
        int threads = p.GetValue(Threads);
        if (threads < 1) throw new UsageException($"--threads must be at least 1, got {threads}");
        torch.set_num_threads(threads);
        torch.manual_seed(p.GetValue(Seed));
    }
}
