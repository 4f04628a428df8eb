using System.CommandLine;
using Amc.Cli.Commands;
using Amc.Distributed;
using Amc.Search;
using Amc.Sessions;
using Amc.Torch;
using Amc.Training;

namespace Amc.Cli;

/// <summary>
/// A search's scoring set-up as it travels to workers: the options that decide how a policy is
/// scored, as command-line arguments, parsed on the worker by the same options as `amc search`
/// so that a worker builds exactly the scorer the search would build.
/// </summary>
static class WorkerScoring
{
    /// <summary>The engine option of `amc search`, for the workers' parse.</summary>
    static readonly Option<string> Engine = new("--eval-engine") { DefaultValueFactory = _ => "ort" };
    /// <summary>The reward option of `amc search`: under agreement or fidelity the worker's held-out images carry the original's outputs.</summary>
    static readonly Option<string> Reward = SearchCommand.RewardOption();
    /// <summary>Search's --int8: the worker scores candidates as int8 networks.</summary>
    static readonly Option<bool> Int8 = new("--int8");
    /// <summary>Search's --mixed-precision: only the int8 groups' layers of a policy run in int8.</summary>
    static readonly Option<bool> Mixed = new("--mixed-precision");

    static Option[] ScoringOptions() =>
    [
        DataOptions.HeldOut, DataOptions.SplitSeed, DataOptions.ImageSize, DataOptions.Resize, DataOptions.Squash, DataOptions.CacheMegabytes, PruningOptions.Round, PruningOptions.Criterion,
        PruningOptions.CalibrationImages, PruningOptions.BatchNormImages, PruningOptions.NoBatchNorm, PruningOptions.Ridge, CommonOptions.Seed,
    ];

    /// <summary>The setup of the search parsed in <paramref name="p"/> (paths made absolute: workers check them against what they serve).</summary>
    public static ScoringSetup Setup(ParseResult p, string fingerprint, string checkpoint, string engine, string reward, bool int8 = false, bool mixedPrecision = false)
    {
        var args = new List<string>();
        // As the user gave them (a default is the same on the worker: the same options parse them).
        foreach (var option in ScoringOptions())
            if (p.GetResult(option) is { Implicit: false } given)
                args.AddRange([option.Name, .. given.Tokens.Select(t => t.Value)]);
        args.AddRange([Engine.Name, engine, Reward.Name, reward]);
        if (int8) args.Add(Int8.Name);
        if (mixedPrecision) args.Add(Mixed.Name);
        string data = p.GetValue(DataOptions.Data)!;
        if (Path.Exists(data) && data is not (Amc.Data.DataSource.FashionMnist or Amc.Data.DataSource.FashionMnistSubset)) data = Path.GetFullPath(data);
        return new ScoringSetup(fingerprint, Path.GetFullPath(checkpoint), data, args.ToArray());
    }

    /// <summary>Loads a setup on a worker: checkpoint, data, calibration images and Gram matrices (the coordinator's file when it sent one), and the scorer.</summary>
    public static ScoringContext Load(ScoringSetup setup)
    {
        var cmd = new Command("scoring") { DataOptions.Data, Engine, Reward, Int8, Mixed };
        foreach (var option in ScoringOptions()) cmd.Options.Add(option);
        var p = cmd.Parse(["--data", setup.Data, .. setup.Arguments]);
        if (p.Errors.Count > 0) throw new UsageException("scoring options: " + string.Join("; ", p.Errors.Select(e => e.Message)));
        var ck = Checkpoint.Load(setup.Checkpoint).RequireFinite(setup.Checkpoint);
        var pruning = PruningOptions.Read(p, reconstruct: true);
        var scoring = new SearchScoring(ck, DataOptions.OpenFor(p, ck), PruningOptions.Calibration(p), pruning,
            p.GetValue(Engine) == "ort" ? ScoringEngine.OnnxRuntime : ScoringEngine.Torch, SearchCommand.RewardKindOf(p.GetValue(Reward)!), p.GetValue(Int8), p.GetValue(Mixed));
        try
        {
            if (setup.Grams is string grams)
            {
                try { scoring.Pruner.UseGrams(grams, setup.Key); }
                catch (CheckpointException e) { Console.WriteLine($"collecting the Gram matrices here: the coordinator's cannot be used ({e.Message})"); }
            }
            scoring.Pruner.Grams(pruning.Seed);
            return new ScoringContext(scoring.Scorer(), scoring);
        }
        catch
        {
            scoring.Dispose();
            throw;
        }
    }
}
